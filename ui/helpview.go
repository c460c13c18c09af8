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
}

func newHelpView(c *common) *helpView { return &helpView{common: c} }

func (h *helpView) Update(tea.Msg) tea.Cmd { return nil }

func (h *helpView) ShortHelp() []key.Binding  { return []key.Binding{h.keys.Back, h.keys.Quit} }
func (h *helpView) FullHelp() [][]key.Binding { return h.keys.FullHelp() }

func (h *helpView) View() string {
	if h.width < 10 || h.height < 3 {
		return fitBlock("", h.width, h.height)
	}
	st := h.styles
	inner := h.width - 4
	hm := help.New()
	hm.Styles = st.Help
	hm.Width = inner
	hm.FullSeparator = "    "
	lines := []string{st.Title.Render("KEYS"), hm.FullHelpView(h.keys.FullHelp()), "",
		st.Muted.Render("theme  ") + st.Theme.Name + st.Muted.Render("  (t cycles "+strings.Join(themes.Names(), ", ")+
			"; NO_COLOR forces mono)"),
		st.Muted.Render("legend ") + st.Status(model.Fail) + "  " + st.Status(model.Warn) + "  " +
			st.Status(model.Skip) + "  " + st.Status(model.Pass) + st.Muted.Render("  ↻ live check  !TAG hardware fault  ") +
			st.verdictBadge(model.Verdict{Level: model.VerdictStale}) + " " + st.verdictBadge(model.Verdict{Level: model.VerdictLost}),
		st.Muted.Render("graphs  one cell per second in the panes (zoom: the last 120 s), each the maximum of its samples"),
		""}
	lines = append(lines, h.overhead()...)
	return boxed(st.PaneFocused, strings.Join(lines, "\n"), h.width, h.height)
}

// overhead is the "about" section: the sampler's own cost and timeliness.
func (h *helpView) overhead() []string {
	st := h.styles
	out := []string{
		st.Title.Render("ABOUT / OVERHEAD") + st.Muted.Render("  fast interval "+h.interval.String()+
			", display at most "+strconv.Itoa(int(1e9/frameEvery))+" frames/s"),
		st.Muted.Render(fitRight("GPU", 4) + fitRight("fast reads", 12) + fitRight("fast mean", 11) +
			fitRight("slow reads", 12) + fitRight("slow mean", 11) + fitRight("late p50", 10) +
			fitRight("late p99", 10) + fitRight("skipped", 9)),
	}
	for i := range h.frame.GPUs {
		s := h.frame.GPUs[i].Stats
		out = append(out, fitRight(strconv.Itoa(i), 4)+
			fitRight(strconv.FormatUint(s.FastReads, 10), 12)+fitRight(fmtDuration(s.FastMean), 11)+
			fitRight(strconv.FormatUint(s.SlowReads, 10), 12)+fitRight(fmtDuration(s.SlowMean), 11)+
			fitRight(fmtDuration(s.LateP50), 10)+fitRight(fmtDuration(s.LateP99), 10)+
			fitRight(strconv.FormatUint(s.SkippedTicks, 10), 9))
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
	out := []string{"", st.Title.Render("DRIVER CALLS") + st.Muted.Render("  mean wall time per call, all GPUs, costliest first")}
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
