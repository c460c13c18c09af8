package ui

import (
	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/themes"
)

// The user's actions that reach outside the screen: theme, export, copy.

func (m *Model) cycleTheme() tea.Cmd {
	if m.getenv("NO_COLOR") != "" {
		return m.setFooter("NO_COLOR is set: staying monochrome", false)
	}
	name := themes.Next(m.styles.Theme.Name)
	th, err := themes.Get(name)
	if err != nil {
		return m.setFooter(err.Error(), true)
	}
	*m.styles = *NewStyles(th)
	m.help.Styles = m.styles.Help
	return m.setFooter("theme: "+name, false)
}

func (m *Model) export() tea.Cmd {
	switch {
	case m.cfg.ReadOnly:
		return m.setFooter("read-only session: export is disabled", true)
	case m.cfg.Export == nil:
		return m.setFooter("export is not available", true)
	case m.exporting:
		return nil
	}
	m.exporting = true
	ctx, export := m.ctx, m.cfg.Export
	return tea.Batch(m.setFooter("exporting snapshot…", false), func() tea.Msg {
		path, err := export(ctx)
		return exportDoneMsg{path: path, err: err}
	})
}

// copyCommand puts the selected check's first command on the clipboard with
// OSC 52, which works over ssh and in tmux; the terminal does the copying.
func (m *Model) copyCommand() tea.Cmd {
	c, ok := m.checks.current()
	if !ok || (!m.checks.active && !m.checks.fixOpen) {
		return m.setFooter("select a check first (tab to the checks pane)", true)
	}
	if len(c.Commands) == 0 {
		return m.setFooter("this check has no command to copy", true)
	}
	w := m.cfg.Clipboard
	if w == nil {
		return m.setFooter("clipboard not available", true)
	}
	text, tmux := c.Commands[0], m.getenv("TMUX") != ""
	return func() tea.Msg {
		seq := osc52.New(text)
		if tmux {
			seq = seq.Tmux()
		}
		_, err := seq.WriteTo(w)
		return copiedMsg{text: text, err: err}
	}
}
