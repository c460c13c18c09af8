package ui

import tea "github.com/charmbracelet/bubbletea"

// handleMouse: the wheel scrolls what has the focus (or the overlay), a
// left click focuses the GPU or the check under the pointer, as nvitop and
// btop do.
func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	var arrow tea.KeyMsg
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		arrow = tea.KeyMsg{Type: tea.KeyUp}
	case tea.MouseButtonWheelDown:
		arrow = tea.KeyMsg{Type: tea.KeyDown}
	case tea.MouseButtonLeft:
		if msg.Action == tea.MouseActionPress {
			m.click(msg.X, msg.Y)
		}
		return nil
	default:
		return nil
	}
	switch {
	case m.noGPU:
		return m.checks.Update(arrow)
	case m.over != overlayNone:
		return m.overlayKey(arrow)
	}
	return m.focusedComponent().Update(arrow)
}

// click focuses what is at cell (x, y) of the dashboard.
func (m *Model) click(x, y int) {
	if m.noGPU || m.over != overlayNone || m.fixOpen || m.lay.tooSmall {
		return
	}
	row := y - 1 // the header takes the first line
	if row < 0 || row >= m.height-chromeRows {
		return
	}
	l := m.lay
	switch {
	case l.checksSide && x >= l.gpuW:
		m.clickCheck(row)
	case !l.checksSide && row >= l.gpuH:
		m.clickCheck(row - l.gpuH)
	default:
		if i := m.gpuAt(x, row); i >= 0 {
			m.setFocus(false)
			m.gpus.Update(showGPUMsg{gpu: i})
		}
	}
}

// clickCheck focuses the checks pane and selects the check on line row of
// the pane (border and summary come first).
func (m *Model) clickCheck(row int) {
	m.setFocus(true)
	m.checks.Update(selectRowMsg{row: row})
}

// gpuAt is the GPU drawn at cell (x, row) of the GPU area, or -1.
func (m *Model) gpuAt(x, row int) int {
	n, l := len(m.frame.GPUs), m.lay
	if l.mode == modeCompact {
		return m.gpus.compactRowGPU(row - 1) // after the header line; MIG sub-rows: mig.go
	}
	cols := max(l.cols, 1)
	r := row / cardHeight
	left := 0
	for c := range cols {
		w := l.gpuW / cols
		if c < l.gpuW%cols {
			w++
		}
		if x < left+w {
			if i := r*cols + c; i < n {
				return i
			}
			return -1
		}
		left += w
	}
	return -1
}
