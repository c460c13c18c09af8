package ui

import (
	"github.com/gputop/gputop/model"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
)

// component is the contract every pane follows (after soft-serve's
// common.Component): it handles the messages routed to it, draws itself
// into exactly the size it was given, and names its own keys for the
// footer and help.
type component interface {
	help.KeyMap
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(width, height int)
}

// common is what every component shares with the root. Components hold a
// pointer, so a theme change or a new frame is seen by all of them at once.
type common struct {
	styles   *Styles
	keys     *KeyMap
	frame    *frame
	interval time.Duration
	now      func() time.Time
	// watch follows each GPU's memory while a model loads (growth rate,
	// peak, forecast); cards and the zoom view draw it.
	watch *loadWatch
	// callStats reads the driver call costs for the overhead view (nil: none).
	callStats func() []model.CallStat
}

// size is embedded by components for SetSize.
type size struct{ width, height int }

func (s *size) SetSize(width, height int) { s.width, s.height = max(width, 0), max(height, 0) }
