package ui

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/themes"
)

// Styles are every style the UI uses, built from a Theme here and nowhere
// else, so switching theme (`t`) is one assignment. Views draw with one
// API, the paints (st.muted.render, st.fail.on, ...); the lipgloss styles
// they are made from stay exported for what needs a lipgloss.Style (help,
// borders) and for tests.
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
	title, bold, accent, ok, warn, fail, text       paint
	header, headerBadge, selected                   paint
	rising                                          paint // a load climbing, not yet a warning

	// Strings every frame draws the same way, rendered once.
	status  map[model.Status]string
	okBadge string

	// bgPre sets the theme's background ("" when it has none); paintBackground
	// puts it behind every cell of a screen.
	bgPre string

	// gen tells one set of styles from another for the panes' view caches:
	// a theme change overwrites the Styles in place, so a pointer would not.
	gen uint64
}

var stylesGen atomic.Uint64

// paint is a foreground-only style reduced to its escape sequences. Bars,
// sparklines and labels are drawn hundreds of times a frame, and
// lipgloss.Style.Render measures and wraps every string it is given, which
// is most of a frame's cost; wrapping a string in two fixed sequences is not.
type paint struct {
	pre, post string
	style     lipgloss.Style
}

func paintOf(st lipgloss.Style) paint {
	out := st.Render("x") // escape sequences contain no 'x'
	i := strings.IndexByte(out, 'x')
	if i < 0 {
		return paint{style: st}
	}
	return paint{out[:i], out[i+1:], st}
}

// on is render that leaves an empty string empty.
func (p paint) on(s string) string {
	if s == "" {
		return ""
	}
	return p.pre + s + p.post
}

// render is exactly p.style.Render(s). For a style with no size, padding,
// border or margin, lipgloss only expands tabs, splits lines and wraps each
// line in the same two sequences, so a string without tab, CR or newline
// is wrapped here directly and anything else goes to lipgloss.
func (p paint) render(s string) string {
	if strings.ContainsAny(s, "\t\r\n") {
		return p.style.Render(s)
	}
	return p.pre + s + p.post
}

// NewStyles derives the styles from a theme.
func NewStyles(t themes.Theme) *Styles {
	fg := func(c lipgloss.TerminalColor) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	s := &Styles{
		Theme:       t,
		gen:         stylesGen.Add(1),
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
		Pane:        newBox(lipgloss.RoundedBorder(), fg(t.Border)),
		PaneFocused: newBox(lipgloss.ThickBorder(), fg(t.Accent)),
		PaneLost:    newBox(lipgloss.DoubleBorder(), fg(t.Fail)),
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
	s.title, s.bold, s.accent, s.text = paintOf(s.Title), paintOf(s.Bold), paintOf(s.Accent), paintOf(s.Text)
	s.ok, s.warn, s.fail = paintOf(s.OK), paintOf(s.Warn), paintOf(s.Fail)
	s.header, s.headerBadge, s.selected = paintOf(s.Header), paintOf(s.HeaderBadge), paintOf(s.Selected)
	s.rising = paintOf(s.Warn.UnsetBold())
	s.status = map[model.Status]string{
		model.Pass: s.OK.Render("✔ pass"),
		model.Warn: s.Warn.Render("▲ warn"),
		model.Fail: s.Fail.Render("✖ FAIL"),
		model.Skip: s.Muted.Render("○ skip"),
	}
	s.okBadge = s.OK.Render("● ok")
	if t.Background != nil {
		if _, none := t.Background.(lipgloss.NoColor); !none {
			s.bgPre = paintOf(lipgloss.NewStyle().Background(t.Background)).pre
		}
	}
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

	edge paint // Style, pre-rendered for the border glyphs
}

func newBox(b lipgloss.Border, st lipgloss.Style) Box {
	return Box{Border: b, Style: st, edge: paintOf(st)}
}

// selectedRow highlights a whole row. The row's own styling is dropped
// first: its resets would cut the highlight short after the first styled
// cell. Glyphs and words still say everything the colours said.
func (s *Styles) selectedRow(line string) string {
	return s.selected.render(ansi.Strip(line))
}

// Status renders a check status as glyph + word, readable without colour.
func (s *Styles) Status(st model.Status) string {
	if r, ok := s.status[st]; ok {
		return r
	}
	return s.muted.render("? " + string(st))
}

// eventLine renders one timeline event: time, severity word, message and,
// for Xids, the first action.
func (s *Styles) eventLine(ev model.Event, loc *time.Location) string {
	word := map[model.Severity]string{model.SevError: "ERROR", model.SevWarn: "warn", model.SevInfo: "info"}[ev.Severity]
	if word == "" {
		word = string(ev.Severity)
	}
	sev := s.text
	switch ev.Severity {
	case model.SevError:
		sev = s.fail
	case model.SevWarn:
		sev = s.warn
	}
	line := s.muted.render(ev.Time.Time().In(loc).Format("15:04:05")) + " " + sev.render(fit(word, 5)) +
		" " + ev.Message
	if ev.Action != "" {
		line += s.muted.render(" → " + ev.Action)
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

// paintBackground puts the theme's background behind every cell of screen:
// each line starts with it and every reset inside a line turns it on again,
// so styled spans keep their own colours and everything else gets the
// background, padding included.
func (s *Styles) paintBackground(screen string) string {
	if s.bgPre == "" {
		return screen
	}
	const reset = "\x1b[0m"
	var b strings.Builder
	b.Grow(len(screen) + len(screen)/8)
	for i, line := range strings.Split(screen, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s.bgPre)
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(line, reset, reset+s.bgPre), "\x1b[m", reset+s.bgPre))
		b.WriteString(reset)
	}
	return b.String()
}
