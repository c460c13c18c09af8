package ui

import (
	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
)

// Messages between the panes and the root (soft-serve's SelectMsg/CopyMsg,
// pug's prompts): a pane says what it wants, the root acts on it, and
// neither reaches into the other's fields to do so.
type (
	// fixPanelMsg: the checks pane opened or closed its fix panel; the
	// root lays the screen out again (an open fix panel takes the body).
	fixPanelMsg struct{ open bool }
	// closeFixMsg: the root asks the checks pane to close its fix panel
	// (the focus is leaving it).
	closeFixMsg struct{}
	// copyRequestMsg: a pane asks for text on the clipboard.
	copyRequestMsg struct{ text string }
	// footerMsg: a pane asks for a transient footer message.
	footerMsg struct {
		text  string
		isErr bool
	}
	// captureKeysMsg: a pane takes every key (a prompt, a text field)
	// until it sends on=false.
	captureKeysMsg struct{ on bool }
	// checksChangedMsg: the checks pane has new results; the root judges
	// the GPUs' verdicts from them.
	checksChangedMsg struct{ results []model.CheckResult }
	// selectRowMsg: the root asks a list to select the row drawn at line
	// row of the pane (a mouse click).
	selectRowMsg struct{ row int }
	// runChecksMsg: the root asks the checks pane to start a full run (a
	// key, or the first frame); the pane ignores it while one is running.
	runChecksMsg struct{}
	// showGPUMsg: the root asks a pane to show GPU gpu: the GPU panes move
	// their focus to it, the zoom view draws it.
	showGPUMsg struct{ gpu int }
)

// send is a command that delivers msg.
func send(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }
