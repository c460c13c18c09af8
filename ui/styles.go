package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/themes"
)

// Styles are every lipgloss style the UI uses, built from a Theme here and
// nowhere else, so switching theme (`t`) is one assignment.
type Styles struct {
	Theme themes.Theme

	Text, Muted, Accent, Bold lipgloss.Style
	OK, Warn, Fail            lipgloss.Style

	Header      lipgloss.Style // the header line
	HeaderBadge lipgloss.Style // PAUSED / REPLAY
	Title       lipgloss.Style // pane titles

	Pane        Box // unfocused pane
	PaneFocused Box
	PaneLost    Box // a GPU that is lost or failing

	Selected lipgloss.Style // the selected row of a list

	BarLow, BarMid, BarHigh, BarEmpty lipgloss.Style

	Help help.Styles

	// Pre-rendered forms of the styles on the hot path (see paint).
	barLow, barMid, barHigh, barEmpty, muted, spark paint
}

// paint is a foreground-only style reduced to its escape sequences. Bars,
// sparklines and labels are drawn hundreds of times a frame, and
// lipgloss.Style.Render measures and wraps every string it is given, which
// is most of a frame's cost; wrapping a string in two fixed sequences is not.
type paint struct{ pre, post string }

func paintOf(st lipgloss.Style) paint {
	out := st.Render("x") // escape sequences contain no 'x'
	i := strings.IndexByte(out, 'x')
	if i < 0 {
		return paint{}
	}
	return paint{out[:i], out[i+1:]}
}

func (p paint) on(s string) string {
	if s == "" {
		return ""
	}
	return p.pre + s + p.post
}

// NewStyles derives the styles from a theme.
func NewStyles(t themes.Theme) *Styles {
	fg := func(c lipgloss.TerminalColor) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	s := &Styles{
		Theme:       t,
		Text:        fg(t.Text),
		Muted:       fg(t.Muted),
		Accent:      fg(t.Accent).Bold(true),
		Bold:        fg(t.Text).Bold(true),
		OK:          fg(t.OK),
		Warn:        fg(t.Warn).Bold(true),
		Fail:        fg(t.Fail).Bold(true),
		Header:      lipgloss.NewStyle().Foreground(t.HeaderFg).Background(t.HeaderBg),
		HeaderBadge: lipgloss.NewStyle().Foreground(t.HeaderBg).Background(t.Warn).Bold(true),
		Title:       fg(t.Accent).Bold(true),
		Pane:        Box{lipgloss.RoundedBorder(), fg(t.Border)},
		PaneFocused: Box{lipgloss.ThickBorder(), fg(t.Accent)},
		PaneLost:    Box{lipgloss.DoubleBorder(), fg(t.Fail)},
		Selected:    lipgloss.NewStyle().Background(t.SelectedBg).Bold(true),
		BarLow:      fg(t.BarLow),
		BarMid:      fg(t.BarMid),
		BarHigh:     fg(t.BarHigh),
		BarEmpty:    fg(t.Border),
	}
	if t.Mono {
		// Without colour, reverse video is the only highlight left.
		s.Selected = lipgloss.NewStyle().Reverse(true)
		s.HeaderBadge = lipgloss.NewStyle().Reverse(true).Bold(true)
		s.Header = lipgloss.NewStyle().Bold(true)
	}
	s.barLow, s.barMid, s.barHigh, s.barEmpty = paintOf(s.BarLow), paintOf(s.BarMid), paintOf(s.BarHigh), paintOf(s.BarEmpty)
	s.muted, s.spark = paintOf(s.Muted), paintOf(s.Accent.UnsetBold())
	s.Help = help.Styles{
		Ellipsis:       s.Muted,
		ShortKey:       s.Accent,
		ShortDesc:      s.Muted,
		ShortSeparator: s.Muted,
		FullKey:        s.Accent,
		FullDesc:       s.Text,
		FullSeparator:  s.Muted,
	}
	return s
}

// Box is a pane's frame: the border glyphs say focused (thick), lost
// (double) or plain (rounded) even without colour.
type Box struct {
	Border lipgloss.Border
	Style  lipgloss.Style
}

// selectedRow highlights a whole row. The row's own styling is dropped
// first: its resets would cut the highlight short after the first styled
// cell. Glyphs and words still say everything the colours said.
func (s *Styles) selectedRow(line string) string {
	return s.Selected.Render(ansi.Strip(line))
}

// Status renders a check status as glyph + word, readable without colour.
func (s *Styles) Status(st model.Status) string {
	switch st {
	case model.Pass:
		return s.OK.Render("✔ pass")
	case model.Warn:
		return s.Warn.Render("▲ warn")
	case model.Fail:
		return s.Fail.Render("✖ FAIL")
	case model.Skip:
		return s.Muted.Render("○ skip")
	}
	return s.Muted.Render("? " + string(st))
}

// eventLine renders one timeline event: time, severity word, message and,
// for Xids, the first action.
func (s *Styles) eventLine(ev model.Event, loc *time.Location) string {
	word := map[model.Severity]string{model.SevError: "ERROR", model.SevWarn: "warn", model.SevInfo: "info"}[ev.Severity]
	if word == "" {
		word = string(ev.Severity)
	}
	line := s.Muted.Render(ev.Time.Time().In(loc).Format("15:04:05")) + " " + s.Severity(ev.Severity).Render(fit(word, 5)) +
		" " + ev.Message
	if ev.Action != "" {
		line += s.Muted.Render(" → " + ev.Action)
	}
	return line
}

// Severity picks the style of an event severity.
func (s *Styles) Severity(sev model.Severity) lipgloss.Style {
	switch sev {
	case model.SevError:
		return s.Fail
	case model.SevWarn:
		return s.Warn
	}
	return s.Text
}
