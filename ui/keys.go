package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// KeyMap is every binding of the UI. It implements help.KeyMap, and the help
// overlay and footer are generated from it, so they cannot drift from what
// the keys actually do. Bindings that do not apply (replay keys when live,
// export when read-only) are disabled and disappear from the help.
type KeyMap struct {
	Quit, Help, Rerun, Export, Pause, Theme key.Binding
	Next, Prev, Up, Down, Left, Right       key.Binding
	Enter, Back, Copy                       key.Binding
	Procs, ResetPeaks, Events               key.Binding
	// Lists (checks, event log, help): pages and ends; filters.
	PageUp, PageDown, Home, End key.Binding
	FilterSeverity, FilterGPU   key.Binding
	ProblemsOnly                key.Binding
	CopyNth                     key.Binding
	// Replay cursor.
	StepBack, StepFwd, JumpBack, JumpFwd, Latest key.Binding
}

// DefaultKeyMap returns the bindings of the external contract.
func DefaultKeyMap() *KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return &KeyMap{
		Quit:           b("q", "quit", "q", "ctrl+c"),
		Help:           b("?", "help", "?"),
		Rerun:          b("r", "rerun checks", "r"),
		Export:         b("s", "export snapshot", "s"),
		Pause:          b("p", "pause display", "p"),
		Theme:          b("t", "cycle theme", "t"),
		Next:           b("tab", "next pane", "tab"),
		Prev:           b("shift+tab", "previous pane", "shift+tab"),
		Up:             b("↑/k", "up", "up", "k"),
		Down:           b("↓/j", "down", "down", "j"),
		Left:           b("←/h", "left", "left", "h"),
		Right:          b("→/l", "right", "right", "l"),
		Enter:          b("enter", "zoom GPU / open fix", "enter"),
		Back:           b("esc", "close", "esc"),
		Copy:           b("c", "copy fix command", "c"),
		Procs:          b("P", "processes", "P"),
		ResetPeaks:     b("z", "reset memory peaks", "z"),
		Events:         b("e", "event log", "e"),
		PageUp:         b("pgup", "page up", "pgup", "ctrl+b"),
		PageDown:       b("pgdn", "page down", "pgdown", "ctrl+f", " "),
		Home:           b("home", "first", "home"),
		End:            b("end/G", "last", "end", "G"),
		FilterSeverity: b("f", "filter severity", "f"),
		FilterGPU:      b("g", "filter GPU", "g"),
		ProblemsOnly:   b("f", "problems only", "f"),
		CopyNth:        b("1-9", "copy Nth command", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
		StepBack:       b("[", "step back", "["),
		StepFwd:        b("]", "step forward", "]"),
		JumpBack:       b("{", "back 10s", "{"),
		JumpFwd:        b("}", "forward 10s", "}"),
		Latest:         b("end", "latest", "end"),
	}
}

// setReplay enables the cursor keys only when there is a recording to move
// through.
func (k *KeyMap) setReplay(on bool) {
	k.StepBack.SetKeys("[", "shift+left")
	k.StepBack.SetHelp("[/shift+←", "step back")
	k.StepFwd.SetKeys("]", "shift+right")
	k.StepFwd.SetHelp("]/shift+→", "step forward")
	for _, b := range []*key.Binding{&k.StepBack, &k.StepFwd, &k.JumpBack, &k.JumpFwd, &k.Latest} {
		b.SetEnabled(on)
	}
}

// ShortHelp is the footer's global part.
func (k *KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Next, k.Enter, k.Pause, k.Rerun, k.Export, k.Quit}
}

// FullHelp is the help overlay, one column per group.
func (k *KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Next, k.Prev, k.Up, k.Down, k.Left, k.Right, k.PageUp, k.PageDown},
		{k.Enter, k.Back, k.Copy, k.CopyNth, k.Rerun, k.Export},
		{k.Events, k.Procs, k.ResetPeaks, k.Pause, k.Theme, k.Help, k.Quit},
		{k.StepBack, k.StepFwd, k.JumpBack, k.JumpFwd, k.Latest},
	}
}

// scroll is what the list keys do to a scrolled view's first line: one
// line, one page of page lines, or to either end of total lines. ok is
// false for any other key. The caller clamps the result.
func (k *KeyMap) scroll(km tea.KeyMsg, offset, page, total int) (int, bool) {
	switch {
	case key.Matches(km, k.Up):
		return offset - 1, true
	case key.Matches(km, k.Down):
		return offset + 1, true
	case key.Matches(km, k.PageUp):
		return offset - page, true
	case key.Matches(km, k.PageDown):
		return offset + page, true
	case key.Matches(km, k.Home):
		return 0, true
	case key.Matches(km, k.End):
		return total, true
	}
	return offset, false
}
