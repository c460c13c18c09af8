package ui

import (
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/themes"
)

// helpView is the `?` overlay: every key, generated from the KeyMap, and
// what the sampler itself costs per GPU.
type helpView struct {
	*common
	size
	// pane is the component that had the focus when help opened: its keys
	// come first, generated from its own KeyMap.
	pane   help.KeyMap
	name   string
	offset int // first line shown
}

func newHelpView(c *common) *helpView { return &helpView{common: c} }

// open shows help for the pane that has the focus.
func (h *helpView) open(pane help.KeyMap, name string) {
	h.pane, h.name, h.offset = pane, name, 0
}

// rows is how many lines of help fit.
func (h *helpView) rows() int { return max(h.height-3, 1) }

func (h *helpView) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	if off, ok := h.keys.scroll(km, h.offset, h.rows(), len(h.content())); ok {
		h.offset = off
		h.clamp()
	}
	return nil
}

func (h *helpView) clamp() {
	h.offset = max(min(h.offset, len(h.content())-h.rows()), 0)
}

func (h *helpView) SetSize(w, hgt int) {
	h.size.SetSize(w, hgt)
	h.clamp()
}

func (h *helpView) ShortHelp() []key.Binding {
	scroll := h.keys.Down
	scroll.SetHelp("↑/↓ pgup/pgdn", "scroll")
	return []key.Binding{scroll, h.keys.Back, h.keys.Quit}
}
func (h *helpView) FullHelp() [][]key.Binding { return h.keys.FullHelp() }

func (h *helpView) View() string {
	if h.width < 10 || h.height < 3 {
		return fitBlock("", h.width, h.height)
	}
	lines := h.content()
	rows := h.rows()
	off := max(min(h.offset, len(lines)-rows), 0)
	end := min(off+rows, len(lines))
	shown := append([]string(nil), lines[off:end]...)
	if len(lines) > rows {
		shown = append(shown, h.styles.muted.render("lines "+strconv.Itoa(off+1)+"-"+strconv.Itoa(end)+" of "+
			strconv.Itoa(len(lines))+" · ↑/↓ pgup/pgdn scroll"))
	}
	return boxed(h.styles.PaneFocused, strings.Join(shown, "\n"), h.width, h.height)
}

// content is every line of help, before scrolling.
func (h *helpView) content() []string {
	st := h.styles
	inner := max(h.width-4, 10)
	hm := help.New()
	hm.Styles = st.Help
	hm.Width = inner
	hm.FullSeparator = "    "
	var lines []string
	if h.pane != nil {
		name := h.name
		if name == "" {
			name = "this pane"
		}
		lines = append(lines, st.title.render("KEYS OF "+strings.ToUpper(name)))
		lines = append(lines, strings.Split(hm.FullHelpView(h.pane.FullHelp()), "\n")...)
		lines = append(lines, "")
	}
	lines = append(lines, st.title.render("KEYS EVERYWHERE"))
	lines = append(lines, strings.Split(hm.FullHelpView(h.keys.FullHelp()), "\n")...)
	lines = append(lines, "",
		st.muted.render("theme  ")+st.Theme.Name+st.muted.render("  (t cycles "+strings.Join(themes.Names(), ", ")+
			"; NO_COLOR forces mono)"),
		st.muted.render("legend ")+st.Status(model.Fail)+"  "+st.Status(model.Warn)+"  "+
			st.Status(model.Skip)+"  "+st.Status(model.Pass)+st.muted.render("  ↻ live check  !TAG hardware fault  ")+
			st.verdictBadge(model.Verdict{Level: model.VerdictStale})+" "+st.verdictBadge(model.Verdict{Level: model.VerdictLost}),
		st.muted.render("graphs  the panes' and the table's cover the last "+sparkSpanLabel+" (zoom: 120 s), each cell the maximum of its samples"),
		"")
	return append(lines, h.overhead()...)
}

// overhead is the "about" section: the sampler's own cost and timeliness.
func (h *helpView) overhead() []string {
	st := h.styles
	out := []string{
		st.title.render("ABOUT / OVERHEAD") + st.muted.render("  fast interval "+h.interval.String()+
			", display at most "+strconv.Itoa(int(1e9/frameEvery))+" frames/s"),
	}
	keep, widths := tableLayout(overheadCols, max(h.width-4, 10))
	out = append(out, tableHeader(st, overheadCols, keep, widths, -1, ""))
	cells := make([]string, len(overheadCols))
	for i := range h.frame.GPUs {
		s := h.frame.GPUs[i].Stats
		all := []string{strconv.Itoa(i), strconv.FormatUint(s.FastReads, 10), fmtDuration(s.FastMean),
			strconv.FormatUint(s.SlowReads, 10), fmtDuration(s.SlowMean), fmtDuration(s.LateP50),
			fmtDuration(s.LateP99), strconv.FormatUint(s.SkippedTicks, 10)}
		for k, c := range keep {
			cells[k] = all[c]
		}
		out = append(out, tableRow(overheadCols, keep, widths, cells[:len(keep)]))
	}
	return append(out, h.driverCalls()...)
}

// driverCalls lists what each kind of driver call costs (mean wall time over
// all GPUs, the costliest first), several to a line.
func (h *helpView) driverCalls() []string {
	if h.callStats == nil {
		return nil
	}
	calls := h.callStats()
	if len(calls) == 0 {
		return nil
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].Mean > calls[j].Mean })
	st := h.styles
	out := []string{"", st.title.render("DRIVER CALLS") + st.muted.render("  mean wall time per call, all GPUs, costliest first")}
	const cellW = 48
	perLine := max((h.width-4)/cellW, 1)
	var line strings.Builder
	for i, c := range calls {
		cell := fit(c.Name, 30) + fitRight(fmtDuration(c.Mean), 9) + st.muted.render(fitRight("×"+strconv.FormatUint(c.Count, 10), 8)) + " "
		line.WriteString(cell)
		if (i+1)%perLine == 0 || i == len(calls)-1 {
			out = append(out, line.String())
			line.Reset()
		}
	}
	return out
}

// focusName names the focused pane for help's heading.
func (m *Model) focusName() string {
	switch {
	case m.over == overlayZoom:
		return "the zoom"
	case m.over == overlayProcs:
		return "the process table"
	case m.over == overlayEvents:
		return "the event log"
	case m.fixOpen:
		return "the fix panel"
	case m.checks.active:
		return "the checklist"
	}
	return "the GPU panes"
}

// overheadCols are the sampler's cost per GPU, in the help overlay.
var overheadCols = []tableCol{
	{Title: "GPU", Width: 3, Right: true}, {Title: "fast reads", Width: 11, Right: true},
	{Title: "fast mean", Width: 10, Right: true}, {Title: "slow reads", Width: 11, Right: true, Keep: 1},
	{Title: "slow mean", Width: 10, Right: true, Keep: 1}, {Title: "late p50", Width: 9, Right: true, Keep: 2},
	{Title: "late p99", Width: 9, Right: true, Keep: 2}, {Title: "skipped", Width: 8, Right: true},
}
