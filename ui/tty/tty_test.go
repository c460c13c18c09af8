package tty

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// syncBuffer is an io.Writer the test can read while the writer writes.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) take() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, n := s.b.String(), s.writes
	s.b.Reset()
	s.writes = 0
	return out, n
}

// settle waits until the writer goroutine has drawn what it was offered.
func settle(w *writer) {
	for {
		w.mu.Lock()
		pending := w.pending
		w.mu.Unlock()
		if !pending && len(w.wake) == 0 {
			time.Sleep(5 * time.Millisecond) // the draw after the last wake
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWriterDrawsOnlyWhatChanged(t *testing.T) {
	out := &syncBuffer{}
	w := newWriter(out)
	w.start()
	defer w.stop()
	w.resize(20, 3)
	w.offer("aaa\nbbb\nccc")
	settle(w)
	first, _ := out.take()
	for _, want := range []string{altScreenOn, cursorHide, clearScreen, "aaa", "bbb", "ccc"} {
		if !strings.Contains(first, want) {
			t.Errorf("first frame %q lacks %q", first, want)
		}
	}

	// The same view again (bubbletea asks for it after every message):
	// nothing is written.
	for range 10 {
		w.offer("aaa\nbbb\nccc")
	}
	settle(w)
	if got, n := out.take(); n != 0 {
		t.Errorf("an unchanged view wrote %d times: %q", n, got)
	}

	// One row changed: only that row is rewritten, erased first.
	w.offer("aaa\nBBB\nccc")
	settle(w)
	got, n := out.take()
	if n != 1 || got != "\x1b[2;1H"+eraseLine+"BBB" {
		t.Errorf("one changed row wrote %d times: %q", n, got)
	}

	// A shorter view blanks the rows it no longer has.
	w.offer("aaa")
	settle(w)
	if got, _ := out.take(); got != "\x1b[2;1H"+eraseLine+"\x1b[3;1H"+eraseLine {
		t.Errorf("shorter view wrote %q", got)
	}

	// A resize repaints everything from a cleared screen, rows beyond the
	// height left out.
	w.resize(20, 2)
	w.offer("x\ny\nz")
	settle(w)
	got, _ = out.take()
	if !strings.Contains(got, clearScreen) || !strings.Contains(got, "x") || !strings.Contains(got, "y") || strings.Contains(got, "z") {
		t.Errorf("after a resize: %q", got)
	}
}

// quitModel quits on its first key or after n updates of its own.
type quitModel struct{ views int }

func (m *quitModel) Init() tea.Cmd { return nil }
func (m *quitModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(tea.KeyMsg); ok {
		return m, tea.Quit
	}
	return m, nil
}
func (m *quitModel) View() string { m.views++; return "hello\nworld" }

// Run drives a model through bubbletea without its renderer: keys arrive,
// the view reaches the output once, and the terminal is left as found
// (alternate screen off, cursor shown).
func TestRunDrawsAndRestores(t *testing.T) {
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var outBuf bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = outBuf.ReadFrom(outR); close(copied) }()
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = inW.Write([]byte("q"))
	}()
	m := &quitModel{}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	final, err := Run(ctx, m, inR, outW)
	outW.Close()
	<-copied
	inW.Close()
	inR.Close()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if final != tea.Model(m) {
		t.Errorf("final model %T, want the inner model", final)
	}
	got := outBuf.String()
	if strings.Count(got, "hello") != 1 || !strings.HasPrefix(got, altScreenOn) || !strings.HasSuffix(got, cursorShow+altScreenOff) {
		t.Errorf("output %q", got)
	}
	if m.views < 2 {
		t.Errorf("View asked %d times", m.views)
	}
}
