// Package ui is gputop's terminal interface: a small root model (layout,
// focus, global keys, footer) and one component per pane. It reads a Source
// and never calls the driver, reads files or blocks in Update or View;
// background work (samples, checks, export, clipboard) arrives as messages.
package ui

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/themes"
	"github.com/gputop/gputop/ui/clip"
)

// frameEvery is the shortest time between two frames: samples arriving
// faster than this are drawn together (they are all in the history rings,
// so no peak is lost, only redraws). 5 frames a second: a frame of 2 GPUs
// at 200x50 costs about 0.45 ms of CPU with its share of garbage
// collection (2-core dev container), so at a 100 ms interval 10 frames a
// second cost 11.7 ms/s against 9.5 at 5 (docs/performance.md, "Fixed
// cost"); the landed build, meant to draw 10, drew 6.2 at 100 ms. Every
// sample still reaches the graphs' bucket maxima and the numbers.
const frameEvery = 200 * time.Millisecond

// footerFor is how long a transient footer message stays.
const footerFor = 6 * time.Second

type (
	updateMsg       struct{} // the Source has new data
	sourceClosedMsg struct{} // the Source's channel closed: stop waiting
	frameMsg        struct{} // time to draw what changed
	exportDoneMsg   struct {
		path string
		err  error
	}
	copiedMsg      struct{ res clip.Result }
	clearFooterMsg struct{ id int }
)

type overlay int

const (
	overlayNone overlay = iota
	overlayHelp
	overlayZoom
	overlayProcs
	overlayEvents
)

type footerState struct {
	text  string
	isErr bool
	id    int
}

// Model is the root of the UI. Run it with
// tea.NewProgram(ui.New(cfg), tea.WithAltScreen()).
type Model struct {
	*common
	cfg    Config
	noGPU  bool // no Source was given: the no-GPU screen
	ctx    context.Context
	cancel context.CancelFunc
	help   help.Model

	width, height int
	lay           layout
	migSubRows    int // MIG instances the layout made room for (mig.go)

	gpus   *gpuPanes
	checks *checksPane
	zoom   *zoomView
	helpv  *helpView
	procs  *procsTable
	events *eventLog
	over   overlay
	// fixOpen mirrors the checks pane's fix panel (fixPanelMsg); capture:
	// the process table takes every key (captureKeysMsg); results are the
	// checks' latest (checksChangedMsg), which the verdicts are judged on.
	fixOpen, capture bool
	results          []model.CheckResult
	// seenEvents is the newest event the user has seen in the event log;
	// the footer names the most severe event after it.
	seenEvents model.Timestamp

	errH      int // rows of the no-GPU explanation
	hostStats model.HostStats
	hostOK    bool
	procBuf   []model.Process
	peakBuf   []model.ProcessPeak

	paused, dirty, framePending bool
	exporting                   bool
	footer                      footerState
	getenv                      func(string) string
	quitting                    bool

	// waiting: a read of the Source's channel is armed; hostArmed: a host
	// reading is pending. While paused neither is re-armed, so a paused
	// display wakes for nothing (the sampler keeps sampling). hostAt: when
	// the last host reading started; hostDirty: one arrived that no frame
	// has drawn yet.
	waiting, hostArmed bool
	hostDirty          bool
	hostBySample       bool // the host reading in flight was started by a sample
	hostAt             time.Time
	// lastFrame is when the last frame was taken (frames are frameEvery
	// apart at least).
	lastFrame time.Time

	// view is the last screen drawn; bubbletea asks for it after every
	// message, but most messages (a sample arrived, nothing to draw yet)
	// change nothing, and drawing is the costly part of a frame.
	view      string
	viewValid bool

	log *slog.Logger
	// after is tea.Tick; unit tests replace it so that no timer runs.
	after func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
}

// New builds the UI. It reads the Source once so the first screen has data.
func New(cfg Config) *Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Copy == nil {
		cfg.Copy = defaultCopy(&cfg)
	}
	noGPU := cfg.Source == nil
	if noGPU {
		cfg.Source = nullSource{} // a null object: nothing below checks for nil
	}
	th, err := themes.Resolve(cfg.Theme, cfg.Getenv)
	if err != nil {
		th, _ = themes.Resolve(themes.Default, cfg.Getenv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &common{
		styles:    NewStyles(th),
		keys:      DefaultKeyMap(),
		frame:     newFrame(cfg.Source),
		interval:  cfg.Interval,
		now:       cfg.Now,
		watch:     newLoadWatch(cfg.Now(), cfg.Interval, model.ForecastOptions{}),
		callStats: cfg.CallStats,
	}
	c.keys.setReplay(cfg.Replay != nil)
	// Export and rerun stay bound when they cannot work, so pressing them
	// says why in the footer instead of doing nothing.
	switch {
	case cfg.ReadOnly:
		c.keys.Export.SetHelp("s", "export (off: read-only)")
	case cfg.Export == nil:
		c.keys.Export.SetHelp("s", "export (not available)")
	}
	if cfg.RunChecks == nil {
		c.keys.Rerun.SetHelp("r", "rerun checks (not available)")
	}
	m := &Model{common: c, cfg: cfg, noGPU: noGPU, ctx: ctx, cancel: cancel, help: help.New(), getenv: cfg.Getenv, after: tea.Tick,
		log: cfg.Logger}
	m.help.Styles = c.styles.Help
	m.gpus = newGPUPanes(c)
	m.checks = newChecksPane(c, ctx, &m.cfg)
	m.zoom = newZoomView(c)
	m.helpv = newHelpView(c)
	m.procs = newProcsTable(c, cfg.Terminate, cfg.ReadOnly)
	m.events = newEventLog(c)
	if err != nil {
		m.setFooter(err.Error(), true)
	}
	m.frame.refresh(cfg.Source, cfg.Now(), false)
	m.refreshLoad()
	m.lastFrame = cfg.Now()
	return m
}

// refreshLoad feeds the process table and the load watch from the frame.
func (m *Model) refreshLoad() {
	if m.cfg.Replay == nil {
		// The watch reads the newest samples, not a replay's cursor.
		m.watch.refresh(m.cfg.Source, m.now())
	}
	m.procBuf = m.procBuf[:0]
	for i := range m.frame.GPUs {
		m.procBuf = append(m.procBuf, m.frame.GPUs[i].Slow.Processes...)
	}
	m.peakBuf = m.peakBuf[:0]
	if m.cfg.Peaks != nil {
		m.peakBuf = m.cfg.Peaks.List(m.peakBuf)
	}
	hintOn, hint := false, ""
	if m.cfg.PIDHint != nil {
		hintOn, hint = m.cfg.PIDHint()
	}
	m.procs.SetData(m.procBuf, m.peakBuf, hintOn, hint)
	m.fitMIGRows() // mig.go
	m.judge()
	m.eventsChanged()
}

// Init starts waiting for samples and runs the checks once.
func (m *Model) Init() tea.Cmd {
	if m.noGPU {
		// No GPU: the checklist is the diagnosis, so it still runs.
		if m.cfg.RunChecks != nil {
			m.setFocus(true)
			return m.checks.Update(runChecksMsg{})
		}
		return nil
	}
	cmds := []tea.Cmd{m.checks.Update(runChecksMsg{})}
	if m.cfg.Host != nil {
		cmds = append(cmds, m.readHostNow())
	}
	m.waiting = true
	cmds = append(cmds, m.waitForUpdate())
	return tea.Batch(cmds...)
}

// waitForUpdate is the re-armed read of the Source's channel (glow's
// pattern): it returns one message and Update asks for the next. It gives
// up when the UI quits so the goroutine does not outlive the program. With
// a host strip it also gives up when the host reading falls due without a
// sample (hostDueMsg); while samples flow its timer is stopped before it
// fires and wakes nothing.
func (m *Model) waitForUpdate() tea.Cmd {
	ch, ctx, hostWait := m.cfg.Source.Updates(), m.ctx, m.hostWait()
	return func() tea.Msg {
		if ctx.Err() != nil {
			return nil
		}
		var due <-chan time.Time
		if hostWait >= 0 {
			t := time.NewTimer(hostWait)
			defer t.Stop()
			due = t.C
		}
		select {
		case _, ok := <-ch:
			if !ok {
				return sourceClosedMsg{}
			}
			return updateMsg{}
		case <-due:
			return hostDueMsg{}
		case <-ctx.Done():
			return nil
		}
	}
}

// frameSlack: a frame due within this is taken at once instead of arming
// a timer that would wake the program a few milliseconds later (samples at
// a 100 ms interval come 100 ms give or take a little after the last frame).
const frameSlack = frameEvery / 10

// frameSoon takes a frame now when the last one is at least frameEvery old
// (less frameSlack), else arms one frame tick unless one is pending. The
// sampler notifies once per tick, when every GPU's reading of the tick is
// in, so a frame taken at once has them all; at a 1 s interval the program
// then wakes once a second for sampling and drawing together (a frame
// always frameEvery after the samples made it wake twice). With no new data
// nothing is armed, so an idle dashboard costs nothing.
func (m *Model) frameSoon() tea.Cmd {
	if m.framePending {
		return nil
	}
	if wait := frameEvery - m.now().Sub(m.lastFrame); wait > frameSlack {
		m.framePending = true
		return m.after(wait, func(time.Time) tea.Msg { return frameMsg{} })
	}
	return m.takeFrame()
}

// takeFrame draws what arrived since the last frame, and listens to the
// Source again.
func (m *Model) takeFrame() tea.Cmd {
	// What arrived until now is in this frame: drop its notification
	// (one receive: the channel holds at most one).
	if m.cfg.Source != nil {
		select {
		case <-m.cfg.Source.Updates():
		default:
		}
	}
	var rearm tea.Cmd
	if !m.waiting {
		m.waiting = true
		rearm = m.waitForUpdate()
	}
	if !m.dirty && !m.hostDirty {
		return rearm
	}
	if m.dirty {
		m.refresh()
	}
	m.lastFrame = m.now()
	m.hostDirty, m.viewValid = false, false
	return tea.Batch(rearm, m.checks.maybeEvaluate(m.now()))
}

// refresh takes a new frame from the Source.
func (m *Model) refresh() {
	m.frame.refresh(m.cfg.Source, m.now(), m.over == overlayHelp)
	m.refreshLoad()
	m.dirty = false
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	// Keys typed faster than the program reads them (a loaded machine, a
	// script, tmux send-keys) arrive as one message with several runes:
	// bubbletea reports "ff" as one key, which no binding matches. Each
	// rune is handled as the key it was; a bracketed paste stays whole.
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste {
		cmds := make([]tea.Cmd, 0, len(k.Runes))
		for _, r := range k.Runes {
			_, c := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt})
			cmds = append(cmds, c)
		}
		return m, tea.Batch(cmds...)
	}
	switch msg.(type) {
	case updateMsg, frameMsg, hostTickMsg, hostDueMsg:
		// These invalidate the view only when a frame is actually taken.
	case liveChecksMsg:
		// The once-a-second re-evaluation mostly returns the same verdicts;
		// when they differ, the checksChangedMsg it sends redraws.
	default:
		m.viewValid = false
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
	case updateMsg:
		// One notification takes or arms one frame; the Source is not read
		// again until that frame is taken (readings that come meanwhile
		// wake nothing: they are in the frame). While paused nothing is
		// armed; unpausing reads the newest state at once.
		m.dirty, m.waiting = true, false
		if m.paused {
			return m, nil
		}
		// The host reading due about now starts here; the next frame draws
		// it (see hostTickMsg).
		frame := m.frameSoon()
		if host := m.hostIfDue(); host != nil {
			m.hostBySample = true
			return m, tea.Batch(frame, host)
		}
		return m, frame
	case hostDueMsg:
		m.waiting = false
		if m.paused {
			return m, nil
		}
		if cmd := m.hostIfDue(); cmd != nil {
			return m, cmd // its frame listens to the Source again
		}
		m.waiting = true
		return m, m.waitForUpdate()
	case frameMsg:
		m.framePending = false
		if m.paused {
			return m, nil
		}
		return m, m.takeFrame()
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	case tea.MouseMsg:
		return m, m.handleMouse(msg)
	case exportDoneMsg:
		m.exporting = false
		if msg.err != nil {
			m.log.Warn("export failed", "err", msg.err)
			return m, m.setFooter("export failed: "+msg.err.Error(), true)
		}
		m.log.Info("snapshot exported", "path", msg.path)
		return m, m.setFooter("snapshot exported to "+msg.path, false)
	case copiedMsg:
		for _, p := range msg.res.Paths {
			if p.Err != nil {
				m.log.Warn("clipboard path failed", "path", p.Name, "err", p.Err)
			}
		}
		return m, m.setFooter(msg.res.Summary()+": "+msg.res.Text, msg.res.Err() != nil)
	case checksDoneMsg:
		if msg.err != nil && msg.gen == m.checks.gen {
			m.log.Warn("checks failed", "err", msg.err)
		}
		return m, m.checks.Update(msg)
	case liveChecksMsg:
		return m, m.checks.Update(msg)
	case hostTickMsg:
		if msg.err != nil {
			m.log.Debug("host stats", "err", msg.err)
		}
		m.hostStats, m.hostOK = msg.stats, true
		m.hostArmed, m.hostDirty = false, true
		bySample := m.hostBySample
		m.hostBySample = false
		if m.paused {
			return m, nil
		}
		if bySample {
			// Samples flow: the next frame draws it (at a 1 s interval a
			// second later, the host strip one reading behind), so it wakes
			// nothing of its own. Should the samples stop, the wait for them
			// gives up within hostEvery+frameEvery (hostDueMsg) and the
			// reading that follows draws both.
			return m, nil
		}
		return m, m.frameSoon()
	case procTerminatedMsg:
		return m, m.procs.Update(msg)
	case clearFooterMsg:
		if msg.id == m.footer.id {
			m.footer.text = ""
		}
	case fixPanelMsg:
		m.fixOpen = msg.open
		m.resize(m.width, m.height) // an open fix panel takes the body
	case copyRequestMsg:
		return m, m.copyText(msg.text)
	case footerMsg:
		return m, m.setFooter(msg.text, msg.isErr)
	case captureKeysMsg:
		m.capture = msg.on
	case checksChangedMsg:
		m.results = msg.results
		m.judge()
		if m.noGPU {
			m.resize(m.width, m.height) // the explanation names the root cause
		}
	default:
		return m, m.checks.Update(msg)
	}
	return m, nil
}

// setFooter shows a transient message and schedules its removal.
func (m *Model) setFooter(text string, isErr bool) tea.Cmd {
	m.footer = footerState{text: text, isErr: isErr, id: m.footer.id + 1}
	id := m.footer.id
	return m.after(footerFor, func(time.Time) tea.Msg { return clearFooterMsg{id} })
}

func (m *Model) resize(w, h int) {
	m.width, m.height = w, h
	if m.noGPU && m.cfg.OpenError != nil {
		// The explanation on top, the checklist in the rows left.
		// The explanation leaves the checklist (the diagnosis) at least four
		// checks; the cause and the code come first in it anyway.
		m.errH = min(len(openErrorLines(m.styles, m.cfg.OpenError, m.cfg.Replay, rootCause(m.results), max(w, 14)))+2,
			max(h-8, h/2, 9), h)
		if m.fixOpen {
			m.checks.SetSize(w, max(h-1, 0)) // an open fix gets the screen
		} else {
			m.checks.SetSize(w, max(h-m.errH-1, 0))
		}
		return
	}
	m.lay = planLayout(w, h, len(m.frame.GPUs)).withMIGRows(m.migSubRows) // mig.go
	m.gpus.setLayout(m.lay)
	bodyH := max(h-chromeRows, 0)
	if m.lay.checksSide {
		m.checks.SetSize(m.lay.checksW, bodyH)
	} else {
		m.checks.SetSize(w, m.lay.checksH)
	}
	m.zoom.SetSize(w, bodyH)
	m.helpv.SetSize(w, bodyH)
	m.procs.SetSize(w, bodyH)
	m.events.SetSize(w, bodyH)
	if m.fixOpen && !m.lay.checksSide {
		// Below the GPUs the fix panel would be cramped: it takes the body.
		m.checks.SetSize(w, bodyH)
	}
}

// focusedComponent is the component that gets the keys the root does not
// handle itself.
func (m *Model) focusedComponent() component {
	switch {
	case m.over == overlayHelp:
		return m.helpv
	case m.over == overlayZoom:
		return m.zoom
	case m.over == overlayProcs:
		return m.procs
	case m.over == overlayEvents:
		return m.events
	case m.checks.active:
		return m.checks
	}
	return m.gpus
}

// setFocus moves the focus between the GPU area and the checks pane.
func (m *Model) setFocus(checks bool) {
	m.checks.active = checks
	m.gpus.active = !checks
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.keys
	if m.over == overlayProcs && m.capture {
		// y / n / esc answer the prompt; nothing else may act meanwhile.
		return m.procs.Update(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		m.quitting = true
		m.cancel()
		return tea.Quit
	case m.noGPU:
		// The no-GPU screen: only the checklist under the explanation.
		switch {
		case key.Matches(msg, k.Rerun) && m.cfg.RunChecks != nil:
			return m.checks.Update(runChecksMsg{})
		case key.Matches(msg, k.Export) && m.cfg.Export != nil:
			// A broken box can still be recorded: facts, checks, the error.
			return m.export()
		}
		return m.checks.Update(msg)
	case key.Matches(msg, k.Help):
		if m.over == overlayHelp {
			m.over = overlayNone
		} else {
			m.helpv.open(m.focusedComponent(), m.focusName())
			m.helpv.SetSize(m.width, max(m.height-chromeRows, 0))
			m.over = overlayHelp
			if m.paused {
				m.frame.refreshStats(m.cfg.Source) // the values stay frozen
			} else {
				m.frame.refresh(m.cfg.Source, m.now(), true)
			}
		}
	case key.Matches(msg, k.Back):
		switch {
		case m.over != overlayNone:
			m.over = overlayNone
		case m.fixOpen:
			return m.checks.Update(msg)
		}
	case key.Matches(msg, k.Procs):
		if m.over == overlayProcs {
			m.over = overlayNone
		} else {
			m.over = overlayProcs
			m.procs.active = true
		}
	case key.Matches(msg, k.Events):
		m.toggleEventLog()
	case key.Matches(msg, k.ResetPeaks):
		m.watch.Reset(m.now())
		return m.setFooter("memory peaks reset", false)
	case key.Matches(msg, k.Pause):
		m.paused = !m.paused
		if m.paused {
			return nil
		}
		if m.dirty {
			m.refresh()
		}
		var cmds []tea.Cmd
		if !m.hostArmed && m.cfg.Host != nil {
			cmds = append(cmds, m.readHostNow())
		}
		if !m.waiting && m.cfg.Source != nil {
			m.waiting = true
			cmds = append(cmds, m.waitForUpdate())
		}
		return tea.Batch(cmds...)
	case key.Matches(msg, k.Theme):
		return m.cycleTheme()
	case key.Matches(msg, k.Rerun):
		if m.cfg.RunChecks == nil {
			return m.setFooter("checks are not available in this session", true)
		}
		return m.checks.Update(runChecksMsg{})
	case key.Matches(msg, k.Export):
		return m.export()
	case key.Matches(msg, k.Copy) && !m.checks.active && !m.fixOpen:
		// The checks pane copies its own commands (copyRequestMsg).
		return m.setFooter("select a check first (tab to the checks pane)", true)
	case m.replayKey(msg):
	case m.over != overlayNone:
		return m.overlayKey(msg)
	case key.Matches(msg, k.Next), key.Matches(msg, k.Prev):
		m.moveFocus(key.Matches(msg, k.Next))
	case key.Matches(msg, k.Enter) && !m.checks.active:
		if len(m.frame.GPUs) > 0 {
			m.zoom.Update(showGPUMsg{gpu: m.gpus.Focused()})
			m.over = overlayZoom
		}
	case key.Matches(msg, k.Down) && !m.checks.active && m.gpus.atBottom():
		m.setFocus(true)
	case key.Matches(msg, k.Up) && m.checks.active && m.checks.atTop() && !m.fixOpen:
		m.setFocus(false)
	default:
		return m.focusedComponent().Update(msg)
	}
	return nil
}

// moveFocus is tab / shift+tab: through every GPU, then the checks pane.
func (m *Model) moveFocus(forward bool) {
	if m.fixOpen {
		// Leaving the checks closes their fix panel, which may cover the GPUs.
		m.checks.Update(closeFixMsg{}) // its fixPanelMsg would come late: act now
		m.fixOpen = false
		defer m.resize(m.width, m.height)
	}
	n := len(m.frame.GPUs)
	pos := n // the checks pane is the last stop
	if !m.checks.active {
		pos = m.gpus.Focused()
	}
	if forward {
		pos = (pos + 1) % (n + 1)
	} else {
		pos = (pos + n) % (n + 1)
	}
	m.setFocus(pos == n)
	if pos < n {
		m.gpus.Update(showGPUMsg{gpu: pos})
	}
}

// overlayKey handles keys while help or zoom covers the panes: left/right
// in zoom shows the neighbouring GPU.
func (m *Model) overlayKey(msg tea.KeyMsg) tea.Cmd {
	if m.over == overlayProcs {
		return m.procs.Update(msg)
	}
	if m.over == overlayHelp {
		return m.helpv.Update(msg)
	}
	if m.over == overlayEvents {
		cmd := m.events.Update(msg)
		m.eventsChanged()
		return cmd
	}
	if m.over != overlayZoom {
		return nil
	}
	n, gpu := len(m.frame.GPUs), m.zoom.GPU()
	switch {
	case key.Matches(msg, m.keys.Right), key.Matches(msg, m.keys.Next):
		gpu = (gpu + 1) % n
	case key.Matches(msg, m.keys.Left), key.Matches(msg, m.keys.Prev):
		gpu = (gpu + n - 1) % n
	}
	m.zoom.Update(showGPUMsg{gpu: gpu})
	m.gpus.Update(showGPUMsg{gpu: gpu})
	return nil
}

// replayKey moves the replay cursor; it reports whether msg was one.
func (m *Model) replayKey(msg tea.KeyMsg) bool {
	k := m.keys
	steps := 0
	switch {
	case key.Matches(msg, k.StepBack):
		steps = -1
	case key.Matches(msg, k.StepFwd):
		steps = 1
	case key.Matches(msg, k.JumpBack), key.Matches(msg, k.JumpFwd):
		steps = int(10 * time.Second / max(m.cfg.Interval, time.Millisecond))
		if key.Matches(msg, k.JumpBack) {
			steps = -steps
		}
	case key.Matches(msg, k.Latest):
		m.frame.cursor = 0
	default:
		return false
	}
	if steps != 0 {
		m.frame.step(m.gpus.Focused(), steps)
	}
	if !m.paused {
		m.frame.refresh(m.cfg.Source, m.now(), m.over == overlayHelp)
		m.judge()
		m.eventsChanged()
	}
	return true
}

func (m *Model) View() string {
	if !m.viewValid {
		m.view, m.viewValid = m.styles.paintBackground(m.draw()), true
	}
	return m.view
}

// draw renders the whole screen.
func (m *Model) draw() string {
	if m.quitting || m.width <= 0 || m.height <= 0 {
		return ""
	}
	st := m.styles
	if m.cfg.OpenError != nil || m.noGPU {
		err := m.cfg.OpenError
		if err == nil {
			return fitBlock(st.fail.render("no data source"), m.width, m.height)
		}
		if rest := m.height - m.errH - 1; rest >= 4 && m.cfg.RunChecks != nil && m.width >= 40 {
			if m.fixOpen {
				return fitBlock(m.checks.View()+"\n"+m.footerView(), m.width, m.height)
			}
			top := openErrorView(st, err, m.cfg.Replay, rootCause(m.results), m.width, m.errH)
			return fitBlock(top+"\n"+m.checks.View()+"\n"+m.footerView(), m.width, m.height)
		}
		return openErrorView(st, err, m.cfg.Replay, rootCause(m.results), m.width, m.height)
	}
	if m.lay.tooSmall {
		return tooSmallView(st, m.lay)
	}
	bodyH := m.height - chromeRows
	var body string
	switch {
	case m.over == overlayHelp:
		body = m.helpv.View()
	case m.over == overlayZoom:
		body = m.zoom.View()
	case m.over == overlayProcs:
		body = m.procs.View()
	case m.over == overlayEvents:
		body = m.events.View()
	case m.fixOpen && !m.lay.checksSide:
		body = m.checks.View()
	case m.lay.checksSide:
		body = joinColumns(m.gpus.View(), m.checks.View())
	default:
		body = m.gpus.View() + "\n" + m.checks.View()
	}
	// Components draw to their exact size; only the row count is fixed here
	// and the final fitBlock is the one guard on every line's width.
	screen := m.headerView() + "\n" + fitRows(body, bodyH) + "\n" + m.eventsView() + "\n" + m.footerView()
	return fitBlock(screen, m.width, m.height)
}
