// Package tty runs a bubbletea model full-screen on a terminal with a
// renderer that draws when the view changed and otherwise never wakes.
//
// bubbletea v1's standard renderer flushes on a ticker (60 times a second by
// default, 20 with tea.WithFPS(20)): even when nothing changed it wakes the
// process to compare the view with the last one. For a monitor that samples
// once a second those wake-ups were about half of its fixed cost (measured
// on the demo: 0.65 % of a core at 1 s). Here bubbletea runs without its
// renderer; the model's View, which bubbletea asks for after every message,
// is handed to a writer goroutine that sleeps until a different view
// arrives, then rewrites only the lines that changed. The model decides the
// frame rate (gputop's draws a tick's samples at once, at most 5 frames a second).
//
// Without its renderer bubbletea does not prepare the terminal, so Run does:
// raw mode, the alternate screen, a hidden cursor, the window size at start
// and on SIGWINCH, and it restores all of it on the way out.
package tty

import (
	"context"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
)

// Terminal sequences (ECMA-48 / xterm private modes).
const (
	altScreenOn  = "\x1b[?1049h"
	altScreenOff = "\x1b[?1049l"
	cursorHide   = "\x1b[?25l"
	cursorShow   = "\x1b[?25h"
	clearScreen  = "\x1b[2J"
	eraseLine    = "\x1b[2K"
	// Mouse reporting for click-to-focus and the wheel: cell motion (1002)
	// in SGR encoding (1006), which bubbletea's input reader parses.
	mouseOn  = "\x1b[?1002h\x1b[?1006h"
	mouseOff = "\x1b[?1002l\x1b[?1006l"
)

// Config is what a caller may add to a run.
type Config struct {
	// Options are added to the program's (tea.WithContext, tea.WithInput,
	// tea.WithOutput and tea.WithoutRenderer are set by Run).
	Options []tea.ProgramOption
	// Mouse turns mouse reporting on while the program holds the terminal.
	Mouse bool
	// Started, when set, is called once the program exists and before it
	// runs, with the handle that suspends and resumes it (ctrl+z, SIGTSTP).
	Started func(*Terminal)
}

// Terminal is a running program's hold on the terminal: Release hands the
// terminal back as it was before Run, Restore takes it again. Both must be
// called from the program's event loop (its Update), as tea.Suspend is.
type Terminal struct {
	p     *tea.Program
	in    *os.File
	w     *writer
	saved *term.State // the modes before Run made the terminal raw; nil when in is no terminal
}

// Send sends msg to the program.
func (t *Terminal) Send(msg tea.Msg) { t.p.Send(msg) }

// Release stops reading input, leaves the alternate screen, shows the
// cursor, turns mouse reporting off and puts the terminal's modes back.
func (t *Terminal) Release() error {
	if err := t.p.ReleaseTerminal(); err != nil {
		return err
	}
	t.w.pause()
	if t.saved != nil {
		return term.Restore(t.in.Fd(), t.saved)
	}
	return nil
}

// Restore undoes Release and repaints the whole screen.
func (t *Terminal) Restore() error {
	if t.saved != nil {
		if _, err := term.MakeRaw(t.in.Fd()); err != nil {
			return err
		}
	}
	t.w.resume()
	return t.p.RestoreTerminal()
}

// Run runs m on the terminal behind in and out until it quits or ctx ends,
// and returns the final model as tea.Program.Run does. opts are added to
// the program's (tea.WithContext, tea.WithInput and tea.WithOutput are set
// here).
func Run(ctx context.Context, m tea.Model, in *os.File, out *os.File, opts ...tea.ProgramOption) (tea.Model, error) {
	return RunWith(ctx, m, in, out, Config{Options: opts})
}

// RunWith is Run with the additions in cfg.
func RunWith(ctx context.Context, m tea.Model, in *os.File, out *os.File, cfg Config) (tea.Model, error) {
	var saved *term.State
	if term.IsTerminal(in.Fd()) {
		state, err := term.MakeRaw(in.Fd())
		if err != nil {
			return m, err
		}
		saved = state
		defer func() { _ = term.Restore(in.Fd(), state) }()
	}
	w := newWriter(out)
	w.mouse = cfg.Mouse
	w.start()
	defer w.stop()

	wm := &model{inner: m, w: w}
	opts := append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithoutRenderer()}, cfg.Options...)
	p := tea.NewProgram(wm, opts...)
	if cfg.Started != nil {
		cfg.Started(&Terminal{p: p, in: in, w: w, saved: saved})
	}

	// The window size: at start, and whenever the terminal says it changed.
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	defer signal.Stop(winch)
	sizeDone := make(chan struct{})
	var sizeWG sync.WaitGroup
	sizeWG.Add(1)
	go func() {
		defer sizeWG.Done()
		send := func() {
			if width, height, err := term.GetSize(out.Fd()); err == nil {
				p.Send(tea.WindowSizeMsg{Width: width, Height: height})
			}
		}
		send()
		for {
			select {
			case <-winch:
				send()
			case <-sizeDone:
				return
			}
		}
	}()
	final, err := p.Run()
	close(sizeDone)
	sizeWG.Wait()
	if fm, ok := final.(*model); ok {
		final = fm.inner
	}
	return final, err
}

// model hands every view bubbletea asks for to the writer.
type model struct {
	inner tea.Model
	w     *writer
}

func (m *model) Init() tea.Cmd { return m.inner.Init() }

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		m.w.resize(ws.Width, ws.Height)
	}
	inner, cmd := m.inner.Update(msg)
	m.inner = inner
	return m, cmd
}

func (m *model) View() string {
	v := m.inner.View()
	m.w.offer(v)
	return v
}

// writer owns the terminal's output: it draws the newest view it was
// offered, on its own goroutine so that a slow terminal never delays the
// program's event loop, and only when there is something new to draw.
type writer struct {
	out   io.Writer
	mouse bool // mouse reporting on while the terminal is held

	// outMu is held while anything is written, so that a draw never
	// interleaves with pause or resume.
	outMu sync.Mutex

	mu      sync.Mutex
	view    string // newest view offered
	pending bool   // view not drawn yet
	height  int
	clear   bool // the next draw starts from a cleared screen
	quit    bool
	paused  bool // the terminal is released: offers wait for resume

	wake chan struct{} // capacity 1: a draw is due
	done chan struct{}

	// Writer goroutine only.
	lines []string // what the screen shows, one entry per row
	buf   strings.Builder
}

func newWriter(out io.Writer) *writer {
	return &writer{out: out, wake: make(chan struct{}, 1), done: make(chan struct{}), clear: true}
}

func (w *writer) start() {
	_, _ = io.WriteString(w.out, w.enter())
	go w.loop()
}

// enter is what takes the terminal: the alternate screen, a hidden cursor,
// mouse reporting when asked for. leave undoes it.
func (w *writer) enter() string {
	s := altScreenOn + cursorHide + clearScreen
	if w.mouse {
		s += mouseOn
	}
	return s
}

func (w *writer) leave() string {
	s := cursorShow + altScreenOff
	if w.mouse {
		s = mouseOff + s
	}
	return s
}

// pause hands the screen back: nothing is drawn until resume.
func (w *writer) pause() {
	w.outMu.Lock()
	defer w.outMu.Unlock()
	w.mu.Lock()
	w.paused = true
	w.mu.Unlock()
	_, _ = io.WriteString(w.out, w.leave())
}

// resume takes the screen again and repaints it whole.
func (w *writer) resume() {
	w.outMu.Lock()
	_, _ = io.WriteString(w.out, w.enter())
	w.mu.Lock()
	w.paused, w.clear, w.pending = false, true, true
	w.mu.Unlock()
	w.outMu.Unlock()
	w.poke()
}

// stop draws what is pending, then leaves the alternate screen.
func (w *writer) stop() {
	w.mu.Lock()
	w.quit = true
	w.mu.Unlock()
	w.poke()
	<-w.done
	w.outMu.Lock()
	defer w.outMu.Unlock()
	w.mu.Lock()
	paused := w.paused
	w.mu.Unlock()
	if !paused {
		_, _ = io.WriteString(w.out, w.leave())
	}
}

func (w *writer) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// offer records v as the newest view. An unchanged view (the model returns
// its cached string, so the comparison is of one pointer and one length)
// wakes nothing.
func (w *writer) offer(v string) {
	w.mu.Lock()
	if v == w.view && !w.clear {
		w.mu.Unlock()
		return
	}
	w.view, w.pending = v, true
	w.mu.Unlock()
	w.poke()
}

// resize makes the next draw repaint the whole screen.
func (w *writer) resize(_, height int) {
	w.mu.Lock()
	w.height, w.clear, w.pending = height, true, true
	w.mu.Unlock()
	w.poke()
}

func (w *writer) loop() {
	defer close(w.done)
	for range w.wake {
		w.outMu.Lock()
		w.mu.Lock()
		view, pending, clear, height, quit, paused := w.view, w.pending, w.clear, w.height, w.quit, w.paused
		if !paused {
			w.pending, w.clear = false, false
		}
		w.mu.Unlock()
		if pending && !paused {
			w.draw(view, clear, height)
		}
		w.outMu.Unlock()
		if quit {
			return
		}
	}
}

// draw writes the rows of view that differ from what the screen shows, each
// erased first (erasing after a row that fills the width would erase its
// last cell), and blanks rows the previous view had below it.
func (w *writer) draw(view string, clear bool, height int) {
	rows := strings.Split(view, "\n")
	if height > 0 && len(rows) > height {
		rows = rows[:height]
	}
	w.buf.Reset()
	if clear {
		w.buf.WriteString(clearScreen)
		w.lines = w.lines[:0]
	}
	for i, row := range rows {
		if i < len(w.lines) && w.lines[i] == row {
			continue
		}
		w.buf.WriteString("\x1b[" + strconv.Itoa(i+1) + ";1H" + eraseLine)
		w.buf.WriteString(row)
	}
	for i := len(rows); i < len(w.lines); i++ {
		w.buf.WriteString("\x1b[" + strconv.Itoa(i+1) + ";1H" + eraseLine)
	}
	w.lines = append(w.lines[:0], rows...)
	if w.buf.Len() > 0 {
		_, _ = io.WriteString(w.out, w.buf.String())
	}
}
