package ui

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler/host"
)

func fullHostStats() host.Stats {
	return host.Stats{
		Time:       model.TimestampOf(t0),
		CPUPercent: model.Some(37.4),
		Load1:      model.Some(12.5), Load5: model.Some(9.75), Load15: model.Some(4.0),
		MemUsed: model.Some[uint64](412 << 30), MemTotal: model.Some[uint64](2015 << 30),
		SwapUsed: model.Some[uint64](0), SwapTotal: model.Some[uint64](8 << 30),
	}
}

func TestGoldenHost(t *testing.T) {
	busy := fullHostStats()
	busy.CPUPercent = model.Some(96.0)
	busy.MemUsed = model.Some[uint64](1950 << 30)
	noSwap := fullHostStats()
	noSwap.SwapUsed, noSwap.SwapTotal = model.Some[uint64](0), model.Some[uint64](0)
	// The first reading has no CPU share yet; a /proc that could not be
	// read leaves everything unavailable.
	first := fullHostStats()
	first.CPUPercent = model.None[float64]()
	tests := []struct {
		name string
		st   host.Stats
		w    int
	}{
		{"values_80", fullHostStats(), 80},
		{"values_200", fullHostStats(), 200},
		{"busy_200", busy, 200},
		{"no_swap_80", noSwap, 80},
		{"first_reading_80", first, 80},
		{"unavailable_80", host.Stats{}, 80},
		{"unavailable_200", host.Stats{}, 200},
		{"narrow_40", fullHostStats(), 40},
	}
	s := compCommon(t).styles
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := renderHostStrip(tt.st, tt.w, s)
			show(t, v)
			checkScreen(t, v, tt.w, 1)
			golden.RequireEqual(t, []byte(v))
		})
	}
}

func TestHostStripNeverZeroForUnavailable(t *testing.T) {
	v := ansi.Strip(renderHostStrip(host.Stats{}, 200, compCommon(t).styles))
	for _, bad := range []string{"0%", "0.00", "0.0/"} {
		if strings.Contains(v, bad) {
			t.Errorf("unavailable values drawn as zero (%q) in %q", bad, v)
		}
	}
	if strings.Count(v, na) < 4 {
		t.Errorf("want N/A for CPU, load, RAM and swap: %q", v)
	}
}

func TestHostStripWidths(t *testing.T) {
	s := compCommon(t).styles
	for _, st := range []host.Stats{fullHostStats(), {}} {
		prev := -1
		for w := 0; w <= 200; w++ {
			v := renderHostStrip(st, w, s)
			if got := lipgloss.Width(v); got != w || strings.Contains(v, "\n") {
				t.Fatalf("width %d: drew %d cells: %q", w, got, v)
			}
			// Wider never shows less: parts are only dropped, never swapped.
			parts := len(strings.Fields(ansi.Strip(v)))
			if parts < prev && w > 0 && !strings.Contains(v, "…") {
				t.Fatalf("width %d shows fewer parts (%d) than width %d (%d)", w, parts, w-1, prev)
			}
			prev = parts
		}
	}
}

// fakeHost counts reads so tests can tell that building a command reads
// nothing: the reading happens only when the runtime runs the command.
type fakeHost struct {
	reads atomic.Int32
	err   error
}

func (f *fakeHost) Read() (host.Stats, error) {
	f.reads.Add(1)
	return fullHostStats(), f.err
}

func TestHostTickReadsInTheCommand(t *testing.T) {
	for _, mk := range []struct {
		name string
		cmd  func(hostReader) func() any
	}{
		{"readHost", func(r hostReader) func() any { c := readHost(r); return func() any { return c() } }},
	} {
		t.Run(mk.name, func(t *testing.T) {
			f := &fakeHost{err: errors.New("swap: permission denied")}
			run := mk.cmd(f)
			if n := f.reads.Load(); n != 0 {
				t.Fatalf("building the command read the host %d times", n)
			}
			msg, ok := run().(hostTickMsg)
			if !ok {
				t.Fatalf("command returned %T, want hostTickMsg", msg)
			}
			if f.reads.Load() != 1 {
				t.Errorf("reads = %d, want 1", f.reads.Load())
			}
			if msg.err == nil || !msg.stats.MemTotal.OK {
				t.Errorf("message lost the partial reading or its error: %+v", msg)
			}
		})
	}
	if readHost(nil) != nil {
		t.Error("a nil reader should give no command")
	}
}

var _ hostReader = (*host.Sampler)(nil)
