package ui

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/themes"
	"github.com/gputop/gputop/ui/clip"
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

// copyText puts text on the clipboard by every path that can work here
// (see package clip); the footer then says which paths were used and
// whether one confirmed it. Panes ask for it with copyRequestMsg.
func (m *Model) copyText(text string) tea.Cmd {
	copyFn := m.cfg.Copy
	if copyFn == nil {
		return m.setFooter("clipboard not available", true)
	}
	ctx := m.ctx
	return func() tea.Msg {
		return copiedMsg{res: copyFn(ctx, text)}
	}
}

// defaultCopy is clip.Copy to the program's terminal, where there is one.
func defaultCopy(cfg *Config) func(context.Context, string) clip.Result {
	if cfg.Clipboard == nil {
		return nil
	}
	env := clip.Env{Getenv: cfg.Getenv, Terminal: cfg.Clipboard}
	return func(ctx context.Context, text string) clip.Result { return clip.Copy(ctx, text, env) }
}
