package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/gputop/gputop/ui/clip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
)

// countingSource counts frame reads, to tell a redraw from none.
type countingSource struct {
	*fakeSource
	latest atomic.Int64
}

type countingLatest struct {
	GPUSource
	n *atomic.Int64
}

func (c *countingSource) GPU(i int) GPUSource {
	return countingLatest{c.fakeSource.GPU(i), &c.latest}
}

func (c countingLatest) Latest() (model.Sample, bool, model.SlowSample, model.Health) {
	c.n.Add(1)
	return c.GPUSource.Latest()
}

func TestFramesAreCoalesced(t *testing.T) {
	cfg, fake := testConfig(2)
	fake.quiet = true
	src := &countingSource{fakeSource: fake}
	cfg.Source = src
	m := New(cfg)
	drive(m, winSize(100, 30))
	base := src.latest.Load()

	// Three samples before the frame tick: one tick armed, one frame taken.
	_, cmd1 := m.Update(updateMsg{})
	_, cmd2 := m.Update(updateMsg{})
	_, cmd3 := m.Update(updateMsg{})
	if !m.framePending {
		t.Fatal("no frame armed after new data")
	}
	if n := framesArmed(cmd1); n != 1 {
		t.Errorf("first update armed %d frame ticks, want 1", n)
	}
	if n := framesArmed(cmd2) + framesArmed(cmd3); n != 0 {
		t.Errorf("later updates armed %d more frame ticks, want none", n)
	}
	if src.latest.Load() != base {
		t.Error("an update message read the source; only frames should")
	}
	m.Update(frameMsg{})
	if got := src.latest.Load() - base; got != 2 {
		t.Errorf("one frame read %d GPUs, want 2", got)
	}
	// A tick with nothing new reads and redraws nothing.
	v := m.View()
	m.Update(frameMsg{})
	if got := src.latest.Load() - base; got != 2 {
		t.Errorf("a frame without new data read the source (%d reads)", got)
	}
	if !m.viewValid || m.View() != v {
		t.Error("a frame without new data invalidated the view")
	}
}

// framesArmed runs cmd (giving up on waits) and counts the frame ticks.
func framesArmed(cmd tea.Cmd) int {
	if cmd == nil {
		return 0
	}
	switch msg := runWithTimeout(cmd).(type) {
	case tea.BatchMsg:
		n := 0
		for _, c := range msg {
			n += framesArmed(c)
		}
		return n
	case frameMsg:
		return 1
	}
	return 0
}

func TestPauseFreezesValues(t *testing.T) {
	m := screen(t, 1, 100, 30, nil)
	defer m.cancel()
	src := m.cfg.Source.(*fakeSource)
	before := m.View()
	if !strings.Contains(before, "52%") {
		t.Fatalf("expected 52%% utilisation on screen:\n%s", before)
	}
	drive(m, press("p"))
	if !strings.Contains(m.View(), "PAUSED") {
		t.Error("header does not say PAUSED")
	}
	next := fakeSample(0, 0, t0.Add(time.Second))
	next.UtilGPU = model.Some[uint32](99)
	src.push(0, next)
	m.Update(updateMsg{})
	m.Update(frameMsg{})
	if strings.Contains(m.View(), "99%") {
		t.Error("paused display changed")
	}
	drive(m, press("p"))
	if v := m.View(); !strings.Contains(v, "99%") || strings.Contains(v, "PAUSED") {
		t.Errorf("unpausing did not show the newest values:\n%s", v)
	}
}

func TestFocusCycle(t *testing.T) {
	m := screen(t, 3, 200, 50, nil)
	defer m.cancel()
	type pos struct {
		gpu    int
		checks bool
	}
	at := func() pos { return pos{m.gpus.focused, m.checks.active} }
	want := []pos{{1, false}, {2, false}, {2, true}, {0, false}}
	for i, w := range want {
		drive(m, press("tab"))
		if got := at(); got.checks != w.checks || (!w.checks && got.gpu != w.gpu) {
			t.Fatalf("after %d tabs: %+v, want %+v", i+1, got, w)
		}
	}
	drive(m, press("shift+tab"))
	if !m.checks.active {
		t.Error("shift+tab from GPU 0 should reach the checks pane")
	}
	drive(m, press("shift+tab"))
	if m.checks.active || m.gpus.focused != 2 {
		t.Errorf("shift+tab from checks: gpu %d checks %v, want GPU 2", m.gpus.focused, m.checks.active)
	}
	// Arrows move within the grid; down from the last row enters the checks.
	drive(m, press("left"), press("left"), press("left"))
	if m.gpus.focused != 0 {
		t.Errorf("left stops at GPU 0, got %d", m.gpus.focused)
	}
	drive(m, press("down"), press("down"))
	if !m.checks.active {
		t.Error("down past the last GPU row should focus the checks pane")
	}
	drive(m, press("up"))
	if m.checks.active {
		t.Error("up from the first check should return to the GPUs")
	}
}

func TestZoomAndBack(t *testing.T) {
	m := screen(t, 4, 120, 40, nil, "right", "enter")
	defer m.cancel()
	if m.over != overlayZoom || m.zoom.gpu != 1 {
		t.Fatalf("enter on GPU 1: overlay %v gpu %d", m.over, m.zoom.gpu)
	}
	v := m.View()
	for _, want := range []string{"GPU 1", "DETAILS", "PROCESSES", "python train", "Gen5 x16", "4243"} {
		if !strings.Contains(v, want) {
			t.Errorf("zoom lacks %q", want)
		}
	}
	drive(m, press("right"))
	if m.zoom.gpu != 2 {
		t.Errorf("right in zoom shows GPU %d, want 2", m.zoom.gpu)
	}
	drive(m, press("esc"))
	if m.over != overlayNone {
		t.Error("esc did not close the zoom")
	}
}

func TestHelpComesFromKeyMap(t *testing.T) {
	m := screen(t, 2, 120, 40, nil, "?")
	defer m.cancel()
	v := m.View()
	for _, group := range m.keys.FullHelp() {
		for _, b := range group {
			if !b.Enabled() {
				if strings.Contains(v, b.Help().Desc) {
					t.Errorf("disabled binding %q shown in help", b.Help().Desc)
				}
				continue
			}
			if !strings.Contains(v, b.Help().Desc) {
				t.Errorf("help lacks binding %q (%s)", b.Help().Desc, b.Help().Key)
			}
		}
	}
	if !strings.Contains(v, "OVERHEAD") || !strings.Contains(v, "8.9µs") {
		t.Error("help lacks the sampler overhead")
	}
	drive(m, press("?"))
	if m.over != overlayNone {
		t.Error("? again should close the help")
	}
}

func TestReplayKeysOnlyInReplay(t *testing.T) {
	live := New(Config{Source: newFakeSource(1)})
	if live.keys.StepBack.Enabled() {
		t.Error("step keys enabled while live")
	}
	m := screen(t, 1, 100, 30, func(c *Config, _ *fakeSource) {
		c.Replay = &ReplayInfo{Host: "node", Recorded: t0}
	})
	defer m.cancel()
	if !m.keys.StepBack.Enabled() {
		t.Fatal("step keys disabled in replay")
	}
	drive(m, press("["))
	want := model.TimestampOf(t0.Add(-100 * time.Millisecond))
	if m.frame.cursor != want {
		t.Errorf("[ moved the cursor to %v, want %v", m.frame.cursor.Time(), want.Time())
	}
	drive(m, press("{"))
	if got := want.Sub(m.frame.cursor); got != 10*time.Second {
		t.Errorf("{ moved back %v, want 10s", got)
	}
	if !strings.Contains(m.View(), "09:29:49") {
		t.Error("header does not show the cursor time")
	}
	drive(m, press("end"))
	if m.frame.cursor != 0 {
		t.Error("end did not return to the newest sample")
	}
	drive(m, press("]"))
	if m.frame.cursor != 0 {
		t.Error("stepping forward past the newest sample should stay on it")
	}
}

func TestCopyWritesOSC52(t *testing.T) {
	var buf lockedBuffer
	m := screen(t, 1, 100, 30, func(c *Config, _ *fakeSource) { c.Clipboard = &buf }, "tab", "enter", "c")
	defer m.cancel()
	want := "sudo dmidecode -t bios"
	seq := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(want)) + "\a"
	if got := buf.String(); got != seq {
		t.Errorf("clipboard got %q, want %q", got, seq)
	}
	// OSC 52 cannot confirm: the footer must not claim it copied.
	if v := m.View(); !strings.Contains(v, "OSC 52 sent (unconfirmed") || strings.Contains(v, "copied to") {
		t.Errorf("footer does not say the copy is unconfirmed:\n%s", m.footerView())
	}
}

// Inside tmux the command goes to tmux's buffer (confirmed by its exit
// status), and the number keys copy the Nth command of the fix panel.
func TestCopyInTmuxUsesTheBufferAndNumberKeysPickTheCommand(t *testing.T) {
	var mu sync.Mutex
	var ran []string
	var buf lockedBuffer
	m := screen(t, 1, 100, 30, func(c *Config, _ *fakeSource) {
		getenv := func(k string) string { return map[string]string{"TMUX": "/tmp/tmux-1/default,1,0"}[k] }
		c.Getenv = getenv
		env := clip.Env{Getenv: getenv, Terminal: &buf, Run: func(_ context.Context, stdin, name string, args ...string) error {
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, name+" "+strings.Join(args, " ")+" <- "+stdin)
			return nil
		}}
		c.Copy = func(ctx context.Context, text string) clip.Result { return clip.Copy(ctx, text, env) }
	}, "tab", "enter", "2")
	defer m.cancel()
	mu.Lock()
	got := strings.Join(ran, "\n")
	mu.Unlock()
	if got != "tmux load-buffer -w - <- cat /sys/bus/pci/devices/0000:18:00.0/resource" {
		t.Errorf("ran %q, want tmux load-buffer of the second command", got)
	}
	if strings.Contains(buf.String(), "\x1bPtmux;") {
		t.Error("OSC 52 was wrapped in DCS passthrough, which tmux 3.3+ drops")
	}
	if v := m.footerView(); !strings.Contains(v, "copied to the tmux buffer") {
		t.Errorf("footer does not say where it copied:\n%s", v)
	}
}

func TestCopyFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*Config, *fakeSource)
		keys  []string
		want  string
	}{
		{"no check selected", nil, []string{"c"}, "select a check first"},
		{"check without command", nil, []string{"tab", "down", "down", "down", "c"}, "no command to copy"},
		{"no clipboard writer", nil, []string{"tab", "c"}, "clipboard not available"},
		{"write fails", func(c *Config, _ *fakeSource) { c.Clipboard = failingWriter{} },
			[]string{"tab", "c"}, "copy failed: pipe closed"},
		{"no such command", nil, []string{"tab", "enter", "9"}, "has 2 command(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := screen(t, 1, 100, 30, tt.setup, tt.keys...)
			defer m.cancel()
			if !strings.Contains(m.View(), tt.want) {
				t.Errorf("footer lacks %q:\n%s", tt.want, m.footerView())
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestExport(t *testing.T) {
	tests := []struct {
		name   string
		export func(context.Context) (string, error)
		ro     bool
		want   string
	}{
		{"written", func(context.Context) (string, error) { return "/tmp/gputop-snap.json", nil }, false,
			"snapshot exported to /tmp/gputop-snap.json"},
		{"failed", func(context.Context) (string, error) { return "", errors.New("write /ro: read-only file system") },
			false, "export failed: write /ro: read-only file system"},
		{"read-only", func(context.Context) (string, error) { panic("must not run") }, true,
			"read-only session: export is disabled"},
		{"not wired", nil, false, "export is not available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := screen(t, 1, 100, 30, func(c *Config, _ *fakeSource) { c.Export, c.ReadOnly = tt.export, tt.ro }, "s")
			defer m.cancel()
			if !strings.Contains(m.View(), tt.want) {
				t.Errorf("footer %q lacks %q", m.footerView(), tt.want)
			}
			if m.exporting {
				t.Error("still exporting after the result arrived")
			}
		})
	}
}

func TestFooterMessageExpires(t *testing.T) {
	m := screen(t, 1, 100, 30, nil, "t")
	defer m.cancel()
	if !strings.Contains(m.footerView(), "theme: light") {
		t.Fatalf("footer: %q", m.footerView())
	}
	id := m.footer.id
	m.Update(clearFooterMsg{id: id - 1}) // an older message's timer
	if m.footer.text == "" {
		t.Error("an older timer cleared a newer message")
	}
	m.Update(clearFooterMsg{id: id})
	if m.footer.text != "" {
		t.Error("message did not expire")
	}
}

func TestThemeCycleAndNoColor(t *testing.T) {
	m := screen(t, 1, 100, 30, nil, "t")
	defer m.cancel()
	if m.styles.Theme.Name != "light" {
		t.Errorf("t from dark gave %q", m.styles.Theme.Name)
	}
	nc := screen(t, 1, 100, 30, func(c *Config, _ *fakeSource) {
		c.Getenv = func(k string) string { return map[string]string{"NO_COLOR": "1"}[k] }
	}, "t")
	defer nc.cancel()
	if nc.styles.Theme.Name != "mono" || !strings.Contains(nc.footerView(), "NO_COLOR") {
		t.Errorf("NO_COLOR: theme %q footer %q", nc.styles.Theme.Name, nc.footerView())
	}
	bad := New(Config{Source: newFakeSource(1), Theme: "neon", Getenv: func(string) string { return "" }})
	if bad.styles.Theme.Name != "dark" || !strings.Contains(bad.footer.text, "unknown theme") {
		t.Errorf("unknown theme: got %q, footer %q", bad.styles.Theme.Name, bad.footer.text)
	}
}

func TestChecksRerunAndStaleResults(t *testing.T) {
	var runs atomic.Int32
	m := screen(t, 1, 100, 30, func(c *Config, _ *fakeSource) {
		c.RunChecks = func(context.Context) ([]model.CheckResult, model.Facts, error) {
			n := runs.Add(1)
			rs := sampleChecks()
			if n > 1 {
				rs = rs[:1] // the rerun finds only the driver check
			}
			return rs, model.Facts{}, nil
		}
	})
	defer m.cancel()
	if len(m.checks.results) != 5 || m.checks.results[0].Status != model.Fail {
		t.Fatalf("first run: %d results, first %v; fails must come first", len(m.checks.results), m.checks.results[0].Status)
	}
	drive(m, press("r"))
	if runs.Load() != 2 || len(m.checks.results) != 1 {
		t.Errorf("rerun: %d runs, %d results", runs.Load(), len(m.checks.results))
	}
	// A result from a replaced run is dropped.
	m.Update(checksDoneMsg{gen: m.checks.gen - 1, results: sampleChecks()})
	if len(m.checks.results) != 1 {
		t.Error("a stale run's results replaced the current ones")
	}
}

func TestLiveEvaluation(t *testing.T) {
	clock := t0
	var evaluated []model.Facts
	refreshes := 0
	m := screen(t, 1, 100, 30, func(c *Config, _ *fakeSource) {
		c.Now = func() time.Time { return clock }
		c.RefreshFacts = func(f model.Facts) model.Facts {
			refreshes++
			f.Collected = model.TimestampOf(clock)
			return f
		}
		c.Evaluate = func(f model.Facts) []model.CheckResult {
			evaluated = append(evaluated, f)
			return []model.CheckResult{{ID: "throttle.gpu0", Title: "No hardware slowdown", Status: model.Pass, Live: true}}
		}
	})
	defer m.cancel()
	frame := func() {
		// A sample takes the frame at once, or arms its timer.
		_, cmd := m.Update(updateMsg{})
		runCmd(m, cmd, 0)
		if m.framePending {
			_, cmd = m.Update(frameMsg{})
			runCmd(m, cmd, 0)
		}
	}
	clock = t0.Add(2 * time.Second)
	frame()
	if len(evaluated) != 1 || refreshes != 1 {
		t.Fatalf("evaluated %d times, refreshed %d, want 1 and 1", len(evaluated), refreshes)
	}
	if evaluated[0].Collected != model.TimestampOf(clock) {
		t.Error("Evaluate did not get the refreshed facts")
	}
	if len(m.checks.results) != 1 || m.checks.results[0].Status != model.Pass {
		t.Errorf("live results not shown: %+v", m.checks.results)
	}
	clock = clock.Add(300 * time.Millisecond)
	frame()
	if len(evaluated) != 1 {
		t.Error("re-evaluated within a second")
	}
	clock = clock.Add(time.Second)
	frame()
	if len(evaluated) != 2 {
		t.Errorf("not re-evaluated after a second: %d", len(evaluated))
	}
	drive(m, press("p"))
	clock = clock.Add(5 * time.Second)
	frame()
	if len(evaluated) != 2 {
		t.Error("evaluated while paused")
	}
}

func TestQuitCancelsBackgroundWork(t *testing.T) {
	m := screen(t, 1, 100, 30, nil)
	_, cmd := m.Update(press("q"))
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q did not quit")
	}
	if m.ctx.Err() == nil {
		t.Error("quitting did not cancel the context of background work")
	}
	if m.View() != "" {
		t.Error("a quitting model still draws")
	}
	// The wait on the source returns once the context is done.
	if msg := m.waitForUpdate()(); msg != nil {
		t.Errorf("wait after quit returned %T", msg)
	}
}

func TestNoGPUScreenOnlyQuits(t *testing.T) {
	m := New(Config{OpenError: nil, Now: func() time.Time { return t0 }})
	drive(m, winSize(80, 24))
	if m.Init() != nil {
		t.Error("Init without a source should start nothing")
	}
	drive(m, press("?"), press("tab"), press("s"))
	if !strings.Contains(m.View(), "no data source") {
		t.Errorf("view: %q", m.View())
	}
	_, cmd := m.Update(press("ctrl+c"))
	if cmd == nil {
		t.Error("ctrl+c does not quit the no-GPU screen")
	}
}

func TestLostGPUIsObvious(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		m := screen(t, 4, sz[0], sz[1], func(_ *Config, src *fakeSource) {
			src.setHealth(1, model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost"})
		})
		v := m.View()
		if !strings.Contains(v, "✖ LOST") || !strings.Contains(v, "GPU_IS_LOST") {
			t.Errorf("%dx%d: lost GPU not shown with its reason:\n%s", sz[0], sz[1], v)
		}
		m.cancel()
	}
}

func TestHelpWhilePausedKeepsValuesFrozen(t *testing.T) {
	m := screen(t, 1, 100, 30, nil, "p")
	defer m.cancel()
	src := m.cfg.Source.(*fakeSource)
	next := fakeSample(0, 0, t0.Add(time.Second))
	next.UtilGPU = model.Some[uint32](99)
	src.push(0, next)
	drive(m, press("?"), press("esc"))
	if strings.Contains(m.View(), "99%") {
		t.Error("opening help while paused refreshed the values")
	}
}

func TestHeaderBadges(t *testing.T) {
	m := screen(t, 1, 120, 30, func(c *Config, _ *fakeSource) {
		c.Replay = &ReplayInfo{Host: "node-7", Recorded: t0}
	}, "p")
	defer m.cancel()
	h := m.headerView()
	for _, want := range []string{"dgx-test-01", "driver 580.159.04", "(CUDA ≤ 13.0)", "1 GPU ", "every 100ms",
		"PAUSED", "REPLAY node-7 @ 2026-11-21 09:30", "09:30:00"} {
		if !strings.Contains(h, want) {
			t.Errorf("header %q lacks %q", h, want)
		}
	}
}

func TestFixPanelScrolls(t *testing.T) {
	long := model.CheckResult{ID: "long", Title: "A check with a long fix", Status: model.Fail,
		Evidence: "e", Fix: strings.Repeat("Step. ", 200), Commands: []string{"first", "second", "last-command"}}
	m := screen(t, 1, 80, 24, func(c *Config, _ *fakeSource) {
		c.RunChecks = func(context.Context) ([]model.CheckResult, model.Facts, error) {
			return []model.CheckResult{long}, model.Facts{}, nil
		}
	}, "tab", "enter")
	defer m.cancel()
	v := m.View()
	if strings.Contains(v, "last-command") || !strings.Contains(v, "scroll") {
		t.Fatalf("a long fix should scroll:\n%s", v)
	}
	for range 100 {
		drive(m, press("down"))
	}
	v = m.View()
	if !strings.Contains(v, "last-command") || !strings.Contains(v, "A check with a long fix") {
		t.Errorf("scrolled to the end, the last command and the heading should show:\n%s", v)
	}
	checkScreen(t, v, 80, 24)
	drive(m, press("up"))
	if m.checks.fixTop == 0 {
		t.Error("up did not scroll back")
	}
}

func TestTabClosesFixPanel(t *testing.T) {
	m := screen(t, 2, 80, 24, nil, "shift+tab", "enter")
	defer m.cancel()
	if !m.checks.fixOpen {
		t.Fatal("fix panel not open")
	}
	drive(m, press("tab"))
	if m.checks.fixOpen || m.checks.active || m.gpus.focused != 0 {
		t.Errorf("tab from the fix panel: open %v, checks focused %v, GPU %d", m.checks.fixOpen, m.checks.active, m.gpus.focused)
	}
	if !strings.Contains(m.View(), "H100") {
		t.Error("GPUs not visible after leaving the fix panel")
	}
}

func TestChecksListScrollsToSelection(t *testing.T) {
	var many []model.CheckResult
	for i := range 30 {
		many = append(many, model.CheckResult{ID: fmt.Sprintf("c%02d", i), Title: fmt.Sprintf("check number %02d", i),
			Status: model.Pass})
	}
	m := screen(t, 1, 80, 24, func(c *Config, _ *fakeSource) {
		c.RunChecks = func(context.Context) ([]model.CheckResult, model.Facts, error) { return many, model.Facts{}, nil }
	}, "tab")
	defer m.cancel()
	for range 20 {
		drive(m, press("down"))
	}
	v := m.View()
	if !strings.Contains(v, "check number 20") || strings.Contains(v, "check number 00") {
		t.Errorf("selection 20 not scrolled into view:\n%s", v)
	}
	checkScreen(t, v, 80, 24)
}
