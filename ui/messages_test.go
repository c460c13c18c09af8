package ui

import "testing"

// The root moves the GPU focus and the zoomed GPU by messages, and the
// panes hold the state: showGPUMsg reaches both, and zoom's arrows keep
// the GPU panes' focus on the GPU shown.
func TestEventShowGPUMsg(t *testing.T) {
	m := screen(t, 3, 200, 50, nil)
	defer m.cancel()
	m.gpus.Update(showGPUMsg{gpu: 2})
	if got := m.gpus.Focused(); got != 2 {
		t.Fatalf("showGPUMsg{2}: GPU panes focus %d, want 2", got)
	}
	drive(m, press("enter"))
	if m.over != overlayZoom || m.zoom.GPU() != 2 {
		t.Fatalf("enter on GPU 2: overlay %v zoom GPU %d, want the zoom on GPU 2", m.over, m.zoom.GPU())
	}
	drive(m, press("right"))
	if m.zoom.GPU() != 0 || m.gpus.Focused() != 0 {
		t.Errorf("right from the last GPU: zoom %d focus %d, want both 0 (wraps)", m.zoom.GPU(), m.gpus.Focused())
	}
	drive(m, press("left"))
	if m.zoom.GPU() != 2 || m.gpus.Focused() != 2 {
		t.Errorf("left from GPU 0: zoom %d focus %d, want both 2 (wraps)", m.zoom.GPU(), m.gpus.Focused())
	}
}

// runChecksMsg starts a run once: a second one while it runs is ignored.
func TestEventRunChecksMsg(t *testing.T) {
	m := screen(t, 1, 120, 40, nil)
	defer m.cancel()
	if m.checks.running {
		t.Fatal("checks still running after the screen settled")
	}
	if cmd := m.checks.Update(runChecksMsg{}); cmd == nil || !m.checks.running {
		t.Fatalf("runChecksMsg: cmd %v running %v, want a run started", cmd != nil, m.checks.running)
	}
	if cmd := m.checks.Update(runChecksMsg{}); cmd != nil {
		t.Error("a second runChecksMsg while one runs started another run")
	}
}
