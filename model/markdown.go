package model

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model/safe"
)

// WriteMarkdown renders the snapshot as a report to paste into a ticket or a
// chat: a summary line, the failing and warning checks with their evidence
// and fixes first, then the GPUs, the software versions, the other checks,
// the processes and the newest warning and error events. Unavailable values print as "n/a", never as 0.
func WriteMarkdown(w io.Writer, snap *Snapshot) error {
	bw := bufio.NewWriter(w)
	md := &mdWriter{w: bw}
	md.report(snap)
	if md.err != nil {
		return fmt.Errorf("write markdown report: %w", md.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write markdown report: %w", err)
	}
	return nil
}

type mdWriter struct {
	w   *bufio.Writer
	err error
}

func (m *mdWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

const notAvailable = NotAvailable

func (m *mdWriter) report(snap *Snapshot) {
	host := snap.Host
	if host == "" {
		host = "unknown host"
	}
	m.printf("# gputop report: %s\n\n", mdInline(host))
	m.printf("%s\n\n", summaryLine(snap, host))
	if snap.Source == "demo" {
		// A report pasted into a ticket must not pass for a real machine.
		m.printf("_Simulated GPUs (gputop --demo): not measurements of a real machine._\n\n")
	}

	// Fails first, each root cause before the checks that follow from it.
	checks := SortChecks(snap.Checks)
	var problems, others []CheckResult
	for _, c := range checks {
		if c.Status == Fail || c.Status == Warn {
			problems = append(problems, c)
		} else {
			others = append(others, c)
		}
	}
	if len(problems) > 0 {
		m.printf("## Problems\n\n")
		for _, c := range problems {
			m.problem(c)
		}
	}
	m.gpuTable(snap)
	m.migTable(snap) // markdown_mig.go
	m.versions(snap)
	if len(others) > 0 {
		m.printf("## Other checks\n\n")
		for _, c := range others {
			m.printf("- **%s** %s (`%s`)", strings.ToUpper(string(c.Status)), mdInline(c.Title), mdCode(c.ID))
			if c.Evidence != "" {
				m.printf(": %s", mdInline(c.Evidence))
			}
			m.printf("\n")
		}
		m.printf("\n")
	}
	m.processes(snap.Processes)
	m.events(snap.Events)
	if snap.Redaction != "" {
		m.printf("_%s._\n", mdInline(snap.Redaction))
	}
}

func summaryLine(snap *Snapshot, host string) string {
	count := map[Status]int{}
	follows := 0
	for _, c := range snap.Checks {
		if !c.Counted() {
			follows++ // counted once, with its root cause
			continue
		}
		count[c.Status]++
	}
	parts := []string{
		"**" + mdInline(host) + "**",
		plural(len(snap.GPUs), "GPU", "GPUs"),
		fmt.Sprintf("%d fail / %d warn / %d pass / %d skip", count[Fail], count[Warn], count[Pass], count[Skip]),
	}
	if follows > 0 {
		parts[len(parts)-1] += fmt.Sprintf(" (+%d following from a root cause)", follows)
	}
	if !snap.Created.IsZero() {
		parts = append(parts, snap.Created.Time().Format("2006-01-02 15:04:05 UTC"))
	}
	about := "gputop"
	if snap.Version != "" {
		about += " " + snap.Version
	}
	if snap.Source != "" {
		about += ", source " + snap.Source
	}
	parts = append(parts, mdInline(about))
	return strings.Join(parts, " · ")
}

func (m *mdWriter) problem(c CheckResult) {
	m.printf("### %s: %s\n\n", strings.ToUpper(string(c.Status)), mdInline(c.Title))
	meta := "Check `" + mdCode(c.ID) + "`"
	if c.GPU.OK {
		meta += ", GPU " + strconv.Itoa(c.GPU.V)
	}
	switch {
	case c.Root:
		meta += "; root cause: fix it first"
	case c.FollowsFrom != "":
		meta += "; follows from `" + mdCode(c.FollowsFrom) + "`"
	}
	m.printf("%s.\n\n", meta)
	if c.Evidence != "" {
		m.printf("**Evidence:** %s\n\n", mdInline(c.Evidence))
	}
	if c.FollowsFrom != "" {
		m.printf("**Fix:** fix `%s` first; this follows from it.\n\n", mdCode(c.FollowsFrom))
		return
	}
	if c.Why != "" {
		m.printf("**Why it matters:** %s\n\n", mdInline(c.Why))
	}
	if c.Fix != "" {
		m.printf("**Fix:** %s\n\n", mdInline(c.Fix))
	}
	if cmds := mdCommands(c.Commands); len(cmds) > 0 {
		body := strings.Join(cmds, "\n")
		fence := codeFence(body)
		m.printf("%ssh\n%s\n%s\n\n", fence, body, fence)
	}
}

func (m *mdWriter) gpuTable(snap *Snapshot) {
	m.printf("## GPUs\n\n")
	if len(snap.GPUs) == 0 {
		m.printf("No GPU recorded.\n\n")
		if e := snap.NVMLError; e != nil {
			m.printf("No GPU could be opened: %s: %s\n\n", mdCell(e.Code), mdCell(e.Message))
			if e.Hint != "" {
				m.printf("Next: %s\n\n", mdCell(e.Hint))
			}
		}
		return
	}
	m.printf("| GPU | Name | Memory used / total | Util | Temp | Power / limit | Verdict |\n")
	m.printf("|---:|---|---|---:|---:|---|---|\n")
	for _, g := range snap.GPUs {
		var last Sample
		if n := len(g.Samples); n > 0 {
			last = g.Samples[n-1]
		}
		total := last.MemTotal
		if !total.OK {
			total = g.MemoryTotal
		}
		// The badge the dashboard shows, then the driver's words when the
		// GPU could not be read.
		v := g.Verdict
		if v.Level == "" { // written before verdicts were recorded
			v = verdictOfRecord(&g, snap.Checks, snap.Events, snap.Created)
		}
		health := v.Text()
		if g.Health.Reason != "" {
			health += " (" + g.Health.Reason + ")"
		}
		m.printf("| %d | %s | %s | %s | %s | %s | %s |\n", g.Index, mdCell(g.Name),
			memoryCell(last.MemUsed, total), percentCell(last.UtilGPU), FormatTemp(last.TempGPU, g.TempSlowdown),
			powerCell(last.PowerDraw, last.PowerLimit), mdCell(health))
	}
	m.printf("\n")
}

func (m *mdWriter) versions(snap *Snapshot) {
	v := snap.Versions
	driver := firstNonEmpty(v.Driver, snap.DriverVersion)
	cuda := v.CUDADriver
	if cuda == "" && snap.CUDADriverVersion.OK {
		cuda = CUDAVersionString(snap.CUDADriverVersion.V)
	}
	m.printf("## Versions\n\n| Component | Version |\n|---|---|\n")
	row := func(name, value string) { m.printf("| %s | %s |\n", name, mdCell(orNotFound(value))) }
	row("NVIDIA driver", driver)
	row("CUDA supported by the driver", cuda)
	row("CUDA toolkit (nvcc)", strings.Join(v.Toolkit, "; "))
	row("cuDNN", strings.Join(v.CuDNN, "; "))
	row("PyTorch", v.PyTorch)
	m.printf("\n")
}

func (m *mdWriter) processes(ps []Process) {
	if len(ps) == 0 {
		return
	}
	m.printf("## Processes\n\n| GPU | PID | User | GPU memory | Command |\n|---:|---:|---|---:|---|\n")
	for _, p := range ps {
		user, cmd := p.User, firstNonEmpty(p.Command, p.Name)
		if !p.Resolved {
			user, cmd = notAvailable, "(not visible from this host's PID namespace)"
		}
		m.printf("| %s | %d | %s | %s | %s |\n", mdProcessGPU(p), p.PID, mdCell(orNotFound(user)),
			bytesCell(p.UsedMemory), mdCell(cmd))
	}
	m.printf("\n")
}

// maxReportEvents bounds the timeline in a report: the newest warnings and
// errors say what went wrong; the snapshot itself keeps them all.
const maxReportEvents = 20

func (m *mdWriter) events(events []Event) {
	var shown []Event
	for i := len(events) - 1; i >= 0 && len(shown) < maxReportEvents; i-- {
		if events[i].Severity == SevWarn || events[i].Severity == SevError {
			shown = append(shown, events[i])
		}
	}
	if len(shown) == 0 {
		return
	}
	slices.Reverse(shown)
	m.printf("## Events\n\n| Time (UTC) | GPU | Severity | Event |\n|---|---:|---|---|\n")
	for _, e := range shown {
		gpu := "all"
		if e.GPU.OK {
			gpu = strconv.Itoa(e.GPU.V)
		}
		msg := e.Message
		if e.Action != "" {
			msg += " (action: " + e.Action + ")"
		}
		m.printf("| %s | %s | %s | %s |\n", e.Time.Time().Format("15:04:05.000"), gpu, e.Severity, mdCell(msg))
	}
	m.printf("\n")
}

func memoryCell(used, total Opt[uint64]) string { return FormatMemory(used, total) }

func bytesCell(b Opt[uint64]) string {
	if !b.OK {
		return notAvailable
	}
	return strconv.FormatFloat(float64(b.V)/(1<<30), 'f', 1, 64) + " GiB"
}

func percentCell(p Opt[uint32]) string { return FormatPercent(p) }

func powerCell(draw, limit Opt[uint32]) string { return FormatPower(draw, limit) }

func orNotFound(s string) string {
	if s == "" {
		return "not found"
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// mdInline makes outside text safe for a report that is read with cat as
// often as rendered: no terminal controls (model/safe), one line so it
// cannot break the report's structure (a heading or a list inside
// evidence), and the characters Markdown acts on inline (emphasis, links,
// raw HTML and entities, code spans, table cells) escaped with a backslash.
func mdInline(s string) string {
	s = strings.Join(strings.Fields(safe.Line(s)), " ")
	if !strings.ContainsAny(s, mdSpecial) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		// "]" only starts a link when "(" or "[" follows; "[REDACTED]"
		// stays readable.
		// "_" inside a word never starts emphasis: GPU_IS_LOST stays as is.
		if strings.ContainsRune(mdSpecial, r) && (r != ']' || strings.HasPrefix(s[i+1:], "(") || strings.HasPrefix(s[i+1:], "[")) &&
			(r != '_' || !wordAt(s, i-1) || !wordAt(s, i+1)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func wordAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

const mdSpecial = "\\`*_]<>|&~"

// mdCell is text in a table cell: mdInline already escapes "|".
func mdCell(s string) string { return mdInline(s) }

// mdCode is text placed between single backticks: no controls, one line,
// no backtick to end the span early, no "|" to split a table row.
func mdCode(s string) string {
	s = strings.Join(strings.Fields(safe.Line(s)), " ")
	return strings.NewReplacer("`", "'", "|", "/").Replace(s)
}

// mdCommands keeps the commands fit to offer (one line, no controls: see
// safe.CommandOK) for a fenced block.
func mdCommands(cmds []string) []string {
	var out []string
	for _, c := range cmds {
		if safe.CommandOK(c) {
			out = append(out, c)
		}
	}
	return out
}

// codeFence returns a backtick fence longer than any run of backticks in
// body, so commands containing backticks stay inside their block.
func codeFence(body string) string {
	longest, run := 0, 0
	for _, r := range body {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
