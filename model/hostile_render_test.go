package model

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/gputop/gputop/model/safe"
)

// plantAll puts s into every string of a snapshot that a renderer draws.
func plantAll(s string) *Snapshot {
	snap := NewSnapshot(testInput())
	snap.Host += s
	snap.Version += s
	snap.DriverVersion += s
	for i := range snap.GPUs {
		g := &snap.GPUs[i]
		g.Name += s
		g.BusID += s
		g.Health.Reason += s
	}
	for i := range snap.Processes {
		p := &snap.Processes[i]
		p.Name, p.User, p.Command = p.Name+s, p.User+s, p.Command+s
		p.Resolved = true
	}
	for i := range snap.Events {
		snap.Events[i].Message += s
		snap.Events[i].Action += s
		snap.Events[i].Severity = SevError
	}
	for i := range snap.Checks {
		c := &snap.Checks[i]
		c.Title += s
		c.Evidence += s
		c.Why += s
		c.Fix += s
		c.ID += s
		c.Commands = append(c.Commands, "echo "+s)
	}
	snap.Versions.PyTorch += s
	snap.Versions.Toolkit = append(snap.Versions.Toolkit, s)
	snap.Redaction += s
	return snap
}

// proseOf drops fenced blocks and code spans, where Markdown is literal.
func proseOf(report string) string {
	var b strings.Builder
	fenced := false
	for _, line := range strings.Split(report, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			b.WriteString(regexp.MustCompile("`[^`]*`").ReplaceAllString(line, ""))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

var unescapedPipe = regexp.MustCompile(`(^|[^\\])\|`)

// checkReport asserts what issue 11 asks of the Markdown report: no byte a
// terminal acts on (cat report.md), no bidi or zero-width character, and
// every table row with the number of cells of its header.
func checkReport(t *testing.T, report string) {
	t.Helper()
	if safe.HasEscape(report) {
		t.Fatalf("report carries a control byte:\n%q", report)
	}
	if safe.HasBidiOrZeroWidth(report) {
		t.Fatalf("report carries a bidi or zero-width character:\n%q", report)
	}
	cells := 0
	for _, line := range strings.Split(report, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := len(unescapedPipe.FindAllString(line, -1))
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Fatalf("table row has %d cell separators, header %d: %q", n, cells, line)
		}
	}
	if strings.Contains(report, "curl") {
		t.Fatalf("report offers a planted command:\n%s", report)
	}
}

func TestMarkdownHostileStrings(t *testing.T) {
	for _, h := range []string{hostileText, "a | b | c", "x\n## heading\n- item", "<img src=x onerror=alert(1)>", "[click](http://evil)", "&#x1b;[2J", "`code` ``` fence"} {
		var buf bytes.Buffer
		if err := WriteMarkdown(&buf, plantAll(h)); err != nil {
			t.Fatal(err)
		}
		checkReport(t, buf.String())
		out := proseOf(buf.String())
		for _, bad := range []string{"<img", "](http", "&#x1b;", "\n## heading"} {
			if regexp.MustCompile(`(^|[^\\])` + regexp.QuoteMeta(bad)).MatchString(out) {
				t.Errorf("report keeps Markdown/HTML syntax %q from outside", bad)
			}
		}
	}
	// The live path: a snapshot built from raw (not loaded) data.
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, HostileSnapshot()); err != nil {
		t.Fatal(err)
	}
	checkReport(t, buf.String())
}

// FuzzMarkdownHostile: whatever string lands in every field, the report has
// no control byte and no broken table.
func FuzzMarkdownHostile(f *testing.F) {
	f.Add(hostileText)
	f.Add("a|b\nc")
	f.Add("\u009b2J\u202e")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "curl") {
			return
		}
		var buf bytes.Buffer
		if err := WriteMarkdown(&buf, plantAll(s)); err != nil {
			t.Fatal(err)
		}
		checkReport(t, buf.String())
	})
}
