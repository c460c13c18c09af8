package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/sys/unix"

	"github.com/gputop/gputop/model"
)

// signalOwner is the one handler of SIGINT, SIGTERM, SIGHUP and SIGQUIT for
// the whole process (bubbletea's own handler is off: with both, a SIGTERM
// deadlocked about one run in three, issue 11). The first signal cancels
// the context everything runs under; the dashboard, the sampler and the
// subcommands then end in order and the process exits 128+n. If they have
// not ended within forceAfter, or a second signal comes, the owner restores
// the terminal itself, removes temporary files and exits.
//
// While the dashboard runs, SIGTSTP (kill -TSTP, or a job-control stop)
// suspends it the way ctrl+z does: the terminal is released before the
// stop and taken back after `fg`.
type signalOwner struct {
	ch     chan os.Signal
	cancel context.CancelFunc

	mu       sync.Mutex
	got      syscall.Signal
	restore  func() // puts the terminal back; set while the dashboard runs
	program  heldTerminal
	tstp     chan os.Signal
	stopTSTP chan struct{}
}

// forceAfter is how long the orderly shutdown may take.
const forceAfter = 3 * time.Second

var ownedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// theSignalOwner is set by main; the dashboard registers with it.
var theSignalOwner *signalOwner

func newSignalOwner(parent context.Context) (*signalOwner, context.Context) {
	ctx, cancel := context.WithCancel(parent)
	o := &signalOwner{ch: make(chan os.Signal, 4), cancel: cancel}
	signal.Notify(o.ch, ownedSignals...)
	go o.loop()
	return o, ctx
}

func (o *signalOwner) loop() {
	for s := range o.ch {
		sig, _ := s.(syscall.Signal)
		o.mu.Lock()
		first := o.got == 0
		if first {
			o.got = sig
		}
		o.mu.Unlock()
		if !first {
			o.force()
		}
		o.cancel()
		time.AfterFunc(forceAfter, o.force)
	}
}

// signal is the first signal received, or 0.
func (o *signalOwner) signal() syscall.Signal {
	if o == nil {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.got
}

// exitCode is 128+n after signal n, the shell's convention.
func (o *signalOwner) exitCode() (int, bool) {
	if s := o.signal(); s != 0 {
		return 128 + int(s), true
	}
	return 0, false
}

// force ends the process now: terminal restored, temporary files removed.
func (o *signalOwner) force() {
	o.mu.Lock()
	restore, sig := o.restore, o.got
	o.mu.Unlock()
	if restore != nil {
		restore()
	}
	model.RemoveTempFiles()
	os.Exit(128 + int(sig))
}

// attach registers the running dashboard: restore puts the terminal back if
// shutdown hangs, and SIGTSTP (kill -TSTP) suspends p like ctrl+z.
//
// SIGTSTP stays caught while the dashboard runs: once os/signal has
// caught it, the Go runtime drops it rather than stopping the process
// even after signal.Reset, so bubbletea's tea.Suspend (which re-sends
// SIGTSTP) cannot be used. The suspension itself (suspendNow) stops the
// process group with SIGSTOP, which nothing can catch.
func (o *signalOwner) attach(p heldTerminal, restore func()) {
	if o == nil {
		return
	}
	o.mu.Lock()
	o.program, o.restore = p, restore
	o.tstp = make(chan os.Signal, 1)
	o.stopTSTP = make(chan struct{})
	tstp, stopCh := o.tstp, o.stopTSTP
	o.mu.Unlock()
	signal.Notify(tstp, syscall.SIGTSTP)
	go func() {
		for {
			select {
			case <-stopCh:
				return
			case <-tstp:
				go p.Send(suspendMsg{})
			}
		}
	}()
}

// detach is called when the dashboard has ended and restored the terminal.
func (o *signalOwner) detach() {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stopTSTP != nil {
		close(o.stopTSTP)
		signal.Stop(o.tstp)
		o.stopTSTP = nil
	}
	o.program, o.restore = nil, nil
}

// suspendMsg asks the event loop to suspend (from SIGTSTP).
type suspendMsg struct{}

// suspendNow runs on bubbletea's event loop, as tea.Suspend would: the
// terminal is handed back to the shell (cooked mode, main screen, cursor),
// the process group stops, and after `fg` the dashboard takes the terminal
// back and redraws.
func (o *signalOwner) suspendNow() {
	o.mu.Lock()
	p := o.program
	o.mu.Unlock()
	if p == nil {
		return
	}
	if err := p.Release(); err != nil {
		return
	}
	// kill(2) can return before the group stop reaches this thread:
	// wait for the SIGCONT of `fg`, or the terminal would be taken back
	// before the stop.
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, syscall.SIGCONT)
	if err := syscall.Kill(0, syscall.SIGSTOP); err != nil {
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	}
	<-cont
	signal.Stop(cont)
	_ = p.Restore()
}

// heldTerminal is the running dashboard's hold on the terminal (tty.Terminal).
type heldTerminal interface {
	Send(tea.Msg)
	Release() error
	Restore() error
}

// terminalRestorer saves the terminal's modes now and returns a function
// that puts them back and undoes what the dashboard turned on: the
// alternate screen, the hidden cursor, bracketed paste, mouse reporting.
func terminalRestorer(in, out *os.File) func() {
	saved, err := unix.IoctlGetTermios(int(in.Fd()), unix.TCGETS)
	return func() {
		_, _ = out.WriteString("\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?25h\x1b[?1049l")
		if err == nil {
			_ = unix.IoctlSetTermios(int(in.Fd()), unix.TCSETS, saved)
		}
	}
}

// suspendable wraps the UI's model: ctrl+z (and SIGTSTP) suspends with the
// terminal released; `fg` resumes with it taken back.
type suspendable struct {
	tea.Model
	owner *signalOwner
}

func (s suspendable) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if msg.Type == tea.KeyCtrlZ && s.owner != nil {
			s.owner.suspendNow()
			return s, nil
		}
	case suspendMsg:
		s.owner.suspendNow()
		return s, nil
	}
	m, cmd := s.Model.Update(msg)
	s.Model = m
	return s, cmd
}
