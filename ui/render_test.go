package ui

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/themes"
	"github.com/muesli/termenv"
)

func TestFormatters(t *testing.T) {
	none32 := model.None[uint32]()
	tests := []struct {
		name, got, want string
	}{
		{"GiB", fmtGiB(model.Some[uint64](45<<30+(1<<29)), model.Some[uint64](80<<30)), "45.5/80.0 GiB"},
		{"GiB no total", fmtGiB(model.Some[uint64](1<<30), model.None[uint64]()), "1.0 GiB"},
		{"GiB unavailable", fmtGiB(model.None[uint64](), model.Some[uint64](80<<30)), "N/A"},
		{"GiB zero is zero", fmtGiB(model.Some[uint64](0), model.Some[uint64](80<<30)), "0.0/80.0 GiB"},
		{"bytes MiB", fmtBytes(model.Some[uint64](512 << 20)), "512 MiB"},
		{"bytes GiB", fmtBytes(model.Some[uint64](3 << 29)), "1.5 GiB"},
		{"bytes small", fmtBytes(model.Some[uint64](12)), "12 B"},
		{"bytes N/A", fmtBytes(model.None[uint64]()), "N/A"},
		{"pct", fmtPct(model.Some[uint32](67)), "67%"},
		{"pct zero", fmtPct(model.Some[uint32](0)), "0%"},
		{"pct N/A", fmtPct(none32), "N/A"},
		{"watts", fmtWatts(model.Some[uint32](412400), model.Some[uint32](700000)), "412/700 W"},
		{"watts no limit", fmtWatts(model.Some[uint32](80500), none32), "81 W"},
		{"watts N/A", fmtWatts(none32, model.Some[uint32](700000)), "N/A"},
		{"temp", fmtTemp(model.Some[int32](54), model.Some[int32](87)), "54/87°C"},
		{"temp no threshold", fmtTemp(model.Some[int32](54), model.None[int32]()), "54°C"},
		{"temp N/A", fmtTemp(model.None[int32](), model.Some[int32](87)), "N/A"},
		{"MHz", fmtMHz(model.Some[uint32](1980)), "1980 MHz"},
		{"MHz N/A", fmtMHz(none32), "N/A"},
		{"pstate", fmtPState(model.Some(2)), "P2"},
		{"pstate N/A", fmtPState(model.None[int]()), "P-state N/A"},
		{"dur µs", fmtDuration(8900 * time.Nanosecond), "8.9µs"},
		{"dur ms", fmtDuration(20714 * time.Microsecond), "20.7ms"},
		{"dur s", fmtDuration(1500 * time.Millisecond), "1.50s"},
		{"dur 0", fmtDuration(0), "0s"},
		{"bus", shortBus("00000000:18:00.0"), "18:00.0"},
		{"bus other domain", shortBus("00000001:18:00.0"), "00000001:18:00.0"},
		{"name", shortName("NVIDIA H100 80GB HBM3"), "H100 80GB HBM3"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestFrac(t *testing.T) {
	tests := []struct {
		name   string
		v, lim model.Opt[uint32]
		want   float64
		ok     bool
	}{
		{"half", model.Some[uint32](350), model.Some[uint32](700), 0.5, true},
		{"over clamps", model.Some[uint32](800), model.Some[uint32](700), 1, true},
		{"zero limit", model.Some[uint32](1), model.Some[uint32](0), 0, false},
		{"no value", model.None[uint32](), model.Some[uint32](700), 0, false},
		{"no limit", model.Some[uint32](1), model.None[uint32](), 0, false},
	}
	for _, tt := range tests {
		got, ok := frac(tt.v, tt.lim)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: frac = %v,%v want %v,%v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBar(t *testing.T) {
	mono, _ := themes.Get("mono")
	st := NewStyles(mono)
	g := mono.BarGlyphs
	tests := []struct {
		name string
		f    float64
		ok   bool
		m    barMeaning
		want string
	}{
		{"empty", 0, true, meanBusy, strings.Repeat(string(g.Empty), 10)},
		{"tiny shows one cell", 0.01, true, meanBusy, string(g.Low) + strings.Repeat(string(g.Empty), 9)},
		{"half low", 0.5, true, meanCapacity, strings.Repeat(string(g.Low), 5) + strings.Repeat(string(g.Empty), 5)},
		{"a busy GPU is not a fault", 1, true, meanBusy, strings.Repeat(string(g.Low), 10)},
		{"memory nearly full is worth a look", 0.95, true, meanCapacity, strings.Repeat(string(g.Mid), 10)},
		{"memory full is still no fault", 1, true, meanCapacity, strings.Repeat(string(g.Mid), 10)},
		{"warm", 0.9, true, meanHeat, strings.Repeat(string(g.Mid), 9) + string(g.Empty)},
		{"at the slowdown temperature", 1, true, meanHeat, strings.Repeat(string(g.High), 10)},
		{"unavailable is a bare track", 0.9, false, meanHeat, strings.Repeat(string(g.Empty), 10)},
	}
	for _, tt := range tests {
		if got := st.bar(tt.f, tt.ok, 10, tt.m); got != tt.want {
			t.Errorf("%s: bar = %q, want %q", tt.name, got, tt.want)
		}
	}
	if st.bar(0.5, true, 0, meanBusy) != "" || st.bar(0.5, true, -3, meanBusy) != "" {
		t.Error("a bar of no width must be empty")
	}
}

func TestSparkline(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name   string
		values []float32
		top    float64
		want   string
	}{
		{"scale", []float32{0, 50, 100}, 100, "▁▄█"},
		{"gap is blank", []float32{100, nan, 100}, 100, "█ █"},
		{"tiny is visible", []float32{0.1}, 100, "▁"},
		{"over top clamps", []float32{250}, 100, "█"},
		{"unknown top", []float32{5}, 0, " "},
	}
	for _, tt := range tests {
		if got := sparkline(tt.values, tt.top); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestChart(t *testing.T) {
	rows := chart([]float32{0, 50, 100, float32(math.NaN())}, 100, 2)
	want := []string{"  █ ", "▁██ "}
	if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
		t.Errorf("chart = %q, want %q", rows, want)
	}
}

// A spike that lasts one sample between two frames must still be drawn:
// each bucket shows the maximum of its samples.
func TestBucketMaxKeepsPeaks(t *testing.T) {
	src := newFakeSource(1)
	base := t0.Truncate(time.Second)
	for k := range 100 { // 10 s at 100 ms, one spike
		s := model.Sample{Time: model.TimestampOf(base.Add(time.Duration(k) * 100 * time.Millisecond)),
			UtilGPU: model.Some[uint32](10)}
		if k == 37 {
			s.UtilGPU = model.Some[uint32](100)
		}
		if k >= 60 && k < 70 { // one second without the reading
			s.UtilGPU = model.None[uint32]()
		}
		src.gpus[0].fast = append(src.gpus[0].fast, s)
	}
	h := newHistory(historyCapacity)
	h.sync(src.GPU(0))
	end := model.TimestampOf(base.Add(9900 * time.Millisecond))
	got := h.bucketMax(nil, metricUtil, end, sparkBucket, 10)
	for i, v := range got {
		want := float32(10)
		switch i {
		case 3:
			want = 100
		case 6:
			if v == v {
				t.Errorf("bucket 6 holds no reading and should be NaN, got %v", v)
			}
			continue
		}
		if v != want {
			t.Errorf("bucket %d = %v, want %v", i, v, want)
		}
	}
}

// countingGPU counts how many samples History copies.
type countingGPU struct {
	GPUSource
	copied int
}

func (c *countingGPU) History(dst []model.Sample, n int) []model.Sample {
	out := c.GPUSource.History(dst, n)
	c.copied += len(out) - len(dst)
	return out
}

func TestHistorySyncIsIncremental(t *testing.T) {
	src := newFakeSource(1)
	src.fill(1000, t0, 100*time.Millisecond)
	gpu := &countingGPU{GPUSource: src.GPU(0)}
	h := newHistory(historyCapacity)
	h.sync(gpu)
	if h.len() != 1000 {
		t.Fatalf("first sync mirrored %d samples, want 1000", h.len())
	}
	gpu.copied = 0
	for k := range 3 {
		src.gpus[0].fast = append(src.gpus[0].fast, fakeSample(0, k, t0.Add(time.Duration(k+1)*100*time.Millisecond)))
	}
	h.sync(gpu)
	if h.len() != 1003 {
		t.Errorf("after 3 new samples: %d held, want 1003", h.len())
	}
	if gpu.copied > 16 {
		t.Errorf("sync copied %d samples for 3 new ones; it should not re-read the ring", gpu.copied)
	}
	// Nothing new: nothing added.
	h.sync(gpu)
	if h.len() != 1003 {
		t.Errorf("sync without new samples changed the mirror: %d", h.len())
	}
	if got := h.at(h.len() - 1).T; got != model.TimestampOf(t0.Add(300*time.Millisecond)) {
		t.Errorf("newest point at %v", got.Time())
	}
}

func TestFitNeverExceeds(t *testing.T) {
	for _, s := range []string{"", "short", "a much longer string than fits", "°C µs ▁▂█ ✔ ▲"} {
		for w := 0; w < 12; w++ {
			got := fit(s, w)
			if lipgloss.Width(got) != w {
				t.Errorf("fit(%q, %d) is %d wide", s, w, lipgloss.Width(got))
			}
			if r := fitRight(s, w); lipgloss.Width(r) != w {
				t.Errorf("fitRight(%q, %d) is %d wide", s, w, lipgloss.Width(r))
			}
		}
	}
}

func TestThrottleTagsReadableWithoutColour(t *testing.T) {
	st := NewStyles(themes.Theme{Mono: true, BarGlyphs: themes.BarGlyphs{Low: 'a', Mid: 'b', High: 'c', Empty: 'd'}})
	tests := []struct {
		name    string
		reasons model.Opt[uint64]
		want    string
	}{
		{"unavailable", model.None[uint64](), "N/A"},
		{"none", model.Some[uint64](0), "none"},
		{"idle is not throttling", model.Some(model.ThrottleIdle), "none"},
		{"fault marked", model.Some(model.ThrottleHWSlowdown | model.ThrottleSWPowerCap), "!HWSLOW PWRCAP"},
	}
	for _, tt := range tests {
		if got := st.throttleTags(tt.reasons); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStatusWordsWithoutColour(t *testing.T) {
	mono, _ := themes.Get("mono")
	st := NewStyles(mono)
	for s, want := range map[model.Status]string{model.Pass: "✔ pass", model.Warn: "▲ warn",
		model.Fail: "✖ FAIL", model.Skip: "○ skip"} {
		if got := st.Status(s); got != want {
			t.Errorf("%s: %q, want %q", s, got, want)
		}
	}
}

// TestGoldenRenderGallery pins the look of the pure helpers in every theme:
// bars at each level, sparklines, a chart, badges and tags.
func TestGoldenRenderGallery(t *testing.T) {
	var b strings.Builder
	for _, name := range themes.Names() {
		th, _ := themes.Get(name)
		st := NewStyles(th)
		fmt.Fprintf(&b, "== %s\n", name)
		for _, f := range []float64{0, 0.05, 0.25, 0.5, 0.69, 0.7, 0.89, 0.9, 1} {
			fmt.Fprintf(&b, "bar %4.2f |%s| |%s| |%s|\n", f, st.bar(f, true, 20, meanBusy), st.bar(f, true, 20, meanCapacity),
				st.bar(f, true, 20, meanHeat))
		}
		fmt.Fprintf(&b, "bar  N/A |%s|\n", st.bar(0.5, false, 20, meanBusy))
		for _, v := range []model.Verdict{{Level: model.VerdictOK}, {Level: model.VerdictWarn, Reason: "PCIe x8"},
			{Level: model.VerdictStale}, {Level: model.VerdictFail, Reason: "thermal", More: 1},
			{Level: model.VerdictLost, More: 2}, {Level: model.VerdictError}} {
			fmt.Fprintf(&b, "verdict %s\n", st.verdictBadge(v))
		}
		fmt.Fprintf(&b, "throttle %s\n", st.throttleTags(model.Some(model.ThrottleHWThermal|model.ThrottleSWPowerCap|
			model.ThrottleAppClocks|model.ThrottleHWPowerBrake)))
		for _, s := range []model.Status{model.Fail, model.Warn, model.Skip, model.Pass} {
			fmt.Fprintf(&b, "status %s\n", st.Status(s))
		}
	}
	nan := float32(math.NaN())
	wave := make([]float32, 40)
	for i := range wave {
		wave[i] = float32(50 + 50*math.Sin(float64(i)/4))
	}
	wave[10], wave[11] = nan, nan
	fmt.Fprintf(&b, "spark |%s|\n", sparkline(wave, 100))
	for _, row := range chart(wave, 100, 4) {
		fmt.Fprintf(&b, "chart |%s|\n", row)
	}
	golden.RequireEqual(t, []byte(b.String()))
}

// paint must colour exactly like the lipgloss style it was made from.
func TestPaintMatchesLipgloss(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	for _, name := range themes.Names() {
		th, _ := themes.Get(name)
		st := NewStyles(th)
		for _, tc := range []struct {
			p     paint
			style lipgloss.Style
		}{{st.barLow, st.BarLow}, {st.barHigh, st.BarHigh}, {st.barEmpty, st.BarEmpty}, {st.muted, st.Muted},
			{st.spark, st.Accent.UnsetBold()}} {
			for _, s := range []string{"█████", "MEM ", "▁▂▃ ▅"} {
				if got, want := tc.p.on(s), tc.style.Render(s); got != want {
					t.Errorf("%s: paint %q != lipgloss %q", name, got, want)
				}
			}
		}
		if name == "dark" && !strings.Contains(st.barLow.pre, "38;5;78") {
			t.Errorf("dark bar colour missing from %q", st.barLow.pre)
		}
	}
}

// The light theme paints its background behind every cell, styled or not.
func TestLightThemeBackground(t *testing.T) {
	th, _ := themes.Get("light")
	st := NewStyles(th)
	st.bgPre = "\x1b[48;5;255m" // the test profile has no colour: set it as a 256-colour terminal would
	got := st.paintBackground("ab\x1b[1mc\x1b[0md\n e")
	want := "\x1b[48;5;255mab\x1b[1mc\x1b[0m\x1b[48;5;255md\x1b[0m\n\x1b[48;5;255m e\x1b[0m"
	if got != want {
		t.Errorf("paintBackground = %q, want %q", got, want)
	}
	dark, _ := themes.Get("dark")
	if s := NewStyles(dark); s.paintBackground("x") != "x" {
		t.Error("a theme without a background must leave the screen alone")
	}
}
