package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/gputop/gputop/model"
)

// headerView is the top line: where, what driver, how many GPUs, how often,
// when, and whether the values are frozen or from the past.
func (m *Model) headerView() string {
	st := m.styles
	f := m.frame
	sys := f.System
	host := sys.Host
	if host == "" {
		host = "?"
	}
	// "CUDA 13.0" alone repeats nvidia-smi's ambiguity: it is the newest
	// CUDA the driver supports, not an installed toolkit.
	driver := "driver " + na
	if sys.DriverVersion != "" {
		driver = "driver " + sys.DriverVersion
	}
	if v, ok := sys.CUDADriverVersion.Get(); ok {
		driver += " (CUDA ≤ " + model.CUDAVersionString(v) + ")"
	}
	gpus := strconv.Itoa(len(f.GPUs)) + " GPU"
	if len(f.GPUs) != 1 {
		gpus += "s"
	}
	parts := []string{"gputop", host, driver, gpus}
	if m.cfg.Interval > 0 {
		parts = append(parts, "every "+m.cfg.Interval.String())
	}
	var badges []string
	if m.cfg.Demo {
		badges = append(badges, st.headerBadge.render(" DEMO "))
	}
	if m.paused {
		badges = append(badges, st.headerBadge.render(" PAUSED "))
	}
	if r := m.cfg.Replay; r != nil {
		label := " REPLAY " + r.Host
		if !r.Recorded.IsZero() {
			label += " @ " + r.Recorded.Format("2006-01-02 15:04")
		}
		if m.frame.cursor != 0 {
			label += " ◂ cursor"
		}
		badges = append(badges, st.headerBadge.render(label+" "))
	}
	clock := ""
	if !f.At.IsZero() {
		clock = f.At.Format("15:04:05") + " "
	}
	// Each piece is styled on its own: a badge's reset would otherwise end
	// the header's background before the clock.
	var right strings.Builder
	for _, b := range badges {
		right.WriteString(b + st.header.render(" "))
	}
	right.WriteString(st.header.render(clock))
	// Badges and the clock matter more than the details: drop the program
	// name first, then the interval, then cut the left part.
	lw := max(m.width-textWidth(right.String())-1, 0)
	left := " " + strings.Join(parts, "  ")
	for _, drop := range []int{0, len(parts) - 1} {
		if textWidth(left) <= lw {
			break
		}
		if drop == 0 {
			parts = parts[1:]
		} else if m.cfg.Interval > 0 {
			parts = parts[:len(parts)-1]
		}
		left = " " + strings.Join(parts, "  ")
	}
	return st.header.render(fit(left, lw)+" ") + right.String()
}

// eventsView is the one-line strip with the newest timeline event.
func (m *Model) eventsView() string {
	st := m.styles
	// On wide terminals the host strip (CPU, load, RAM, swap) shares the line.
	evW, hostW := m.width, 0
	if m.hostOK && m.width >= 130 {
		hostW = min(m.width/2, 90)
		evW = m.width - hostW
	}
	// The most severe event the user has not seen (in the log, `e`), so a
	// newer info line cannot hide an older error; else the newest one.
	line := st.muted.render(" events: none yet")
	evs := m.frame.visibleEvents()
	loc := m.now().Location()
	if ev, n, ok := unseenAlert(evs, m.seenEvents); ok {
		line = " " + st.accent.render("e") + st.muted.render(" "+strconv.Itoa(n)+" new ") + st.eventLine(ev, loc)
	} else if ev, ok := m.frame.lastEvent(); ok {
		line = " " + st.muted.render("e log · ") + st.eventLine(ev, loc)
	}
	if hostW == 0 {
		return fit(line, m.width)
	}
	return fit(line, evW-1) + " " + renderHostStrip(m.hostStats, hostW, st)
}

// bindings are the dashboard's footer hints for what has the focus.
func (m *Model) bindings() []key.Binding {
	bindings := append(m.focusedComponent().ShortHelp(), m.keys.Help)
	if m.over == overlayNone && !m.fixOpen {
		bindings = append(bindings, m.keys.Next, m.keys.Rerun)
		if m.cfg.Export != nil && !m.cfg.ReadOnly {
			bindings = append(bindings, m.keys.Export)
		}
	}
	return append(bindings, m.keys.StepBack, m.keys.StepFwd, m.keys.Pause, m.keys.Quit)
}

// footerView is the key hints of what has the focus, or a transient message.
func (m *Model) footerView() string {
	st := m.styles
	if m.footer.text != "" {
		style := st.OK
		if m.footer.isErr {
			style = st.Fail
		}
		return fit(" "+style.Render(m.footer.text), m.width)
	}
	m.help.Width = max(m.width-1, 0)
	bindings := m.bindings()
	if m.noGPU {
		// The no-GPU screen: only the checklist's keys work there.
		bindings = append(m.checks.ShortHelp(), m.keys.Rerun)
		if m.cfg.Export != nil && !m.cfg.ReadOnly {
			bindings = append(bindings, m.keys.Export)
		}
		bindings = append(bindings, m.keys.Quit)
	}
	bindings = dedupe(bindings)
	// The hints change with the focus, not with the samples: render them
	// again only when what they would show differs.
	var key strings.Builder
	key.WriteString(strconv.Itoa(m.width) + " " + strconv.FormatUint(st.gen, 10))
	for _, b := range bindings {
		h := b.Help()
		key.WriteString("\x00" + h.Key + "\x00" + h.Desc + "\x00" + strconv.FormatBool(b.Enabled()))
	}
	return m.frame.drawn.footer.get(key.String(), func() string {
		return fit(" "+m.help.ShortHelpView(bindings), m.width)
	})
}

// dedupe drops bindings a component and the global map both list.
func dedupe(in []key.Binding) []key.Binding {
	seen := map[string]bool{}
	var out []key.Binding
	for _, b := range in {
		k := b.Help().Key
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, b)
	}
	return out
}

// tooSmallView replaces everything when nothing fits.
func tooSmallView(st *Styles, l layout) string {
	msg := "terminal too small (need " + strconv.Itoa(l.needW) + "x" + strconv.Itoa(l.needH) +
		", have " + strconv.Itoa(l.width) + "x" + strconv.Itoa(l.height) + ")"
	if l.width < textWidth(msg) {
		msg = "too small: need " + strconv.Itoa(l.needW) + "x" + strconv.Itoa(l.needH)
	}
	return fitBlock(lipgloss.Place(l.width, l.height, lipgloss.Center, lipgloss.Center, st.warn.render(msg)),
		l.width, l.height)
}

// openErrorView is the screen shown when no GPU could be opened: what
// happened, the code to search for, and the next step.
func openErrorView(st *Styles, e *model.OpenFailure, replay *ReplayInfo, root *model.CheckResult, width, height int) string {
	if width < 10 || height < 3 {
		return fitBlock(st.fail.render("no GPU"), width, height)
	}
	return boxed(st.PaneLost, strings.Join(openErrorLines(st, e, replay, root, width), "\n"), width, height)
}

// rootCause is the checklist's first failing root cause (nil: none yet),
// which the no-GPU screen names first, with its fix.
func rootCause(results []model.CheckResult) *model.CheckResult {
	for i := range results {
		if r := &results[i]; r.Status == model.Fail && r.Counted() {
			return r
		}
	}
	return nil
}

// openErrorLines is the explanation inside the no-GPU box of width cells.
func openErrorLines(st *Styles, e *model.OpenFailure, replay *ReplayInfo, root *model.CheckResult, width int) []string {
	inner := width - 4
	wrap := lipgloss.NewStyle().Width(max(inner-10, 10))
	head := st.fail.render("✖ No GPU could be opened")
	if replay != nil {
		head += st.muted.render("  (recorded")
		if replay.Host != "" {
			head += st.muted.render(" on " + replay.Host)
		}
		if !replay.Recorded.IsZero() {
			head += st.muted.render(" at " + replay.Recorded.Format("2006-01-02 15:04"))
		}
		head += st.muted.render(")")
	}
	lines := []string{head, ""}
	add := func(label, text string, style func(string) string) {
		for i, l := range strings.Split(wrap.Render(text), "\n") {
			lab := ""
			if i == 0 {
				lab = label
			}
			lines = append(lines, st.muted.render(fit(lab, 10))+style(strings.TrimSpace(l)))
		}
	}
	plain := func(s string) string { return s }
	if root != nil {
		// The checks' root cause leads: NVML's code is its symptom.
		add("Cause", "✖ "+root.Title+" (first in the list below)", st.fail.render)
	}
	lines = append(lines, st.muted.render(fit("Code", 10))+e.Code)
	add("What", e.Message, plain)
	// The root cause's fix is the next step when there is one: NVML's hint
	// is generic (in a container without a GPU it would say to install the
	// driver's libraries, which cannot help there).
	switch {
	case root != nil && root.Fix != "":
		add("Next", root.Fix, plain)
	case e.Hint != "":
		add("Next", e.Hint, plain)
	}
	usedRootFix := root != nil && root.Fix != ""
	if replay == nil && (usedRootFix || !strings.Contains(e.Hint, "--demo")) {
		add("Try", "`gputop --demo`: a simulated fleet, no GPU needed", plain)
	}
	lines = append(lines, "", st.muted.render("The checklist below says what else is wrong (enter: the fix).   q quits"))
	if replay != nil {
		lines[len(lines)-1] = st.muted.render("The checklist below was judged from the recorded facts (enter: the fix).   q quits")
	}
	return lines
}
