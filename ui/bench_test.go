package ui

import (
	"strconv"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// benchSizes are the screens the frame benchmarks draw: a small terminal,
// the overhead tool's 200x50 and a tall one, each with 1, 8 and 16 GPUs.
var benchSizes = []struct{ w, h int }{{80, 24}, {200, 50}, {200, 60}}

func benchName(n, w, h int) string {
	return strconv.Itoa(n) + "gpus_" + strconv.Itoa(w) + "x" + strconv.Itoa(h)
}

// benchModel is a dashboard as the program shows it on a true-colour
// terminal: sized, checks run. (Tests draw without colour; escape
// sequences are part of what a real frame costs.)
func benchModel(b *testing.B, n, w, h int) (*Model, *fakeSource) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	b.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	cfg, src := testConfig(n)
	src.quiet = true
	m := New(withChecks(cfg))
	m.after = noTimers
	start(m, w, h)
	return m, src
}

// BenchmarkDraw is the cost of drawing one frame from scratch with nothing
// changed since the last one (View returns it cached until something
// changes; this is the cost when a message invalidated it).
func BenchmarkDraw(b *testing.B) {
	for _, n := range []int{1, 8, 16} {
		for _, sz := range benchSizes {
			b.Run(benchName(n, sz.w, sz.h), func(b *testing.B) {
				m, _ := benchModel(b, n, sz.w, sz.h)
				b.ReportAllocs()
				for b.Loop() {
					_ = m.draw()
				}
			})
		}
	}
}

// BenchmarkLiveFrame is what the program does for every frame while
// sampling: one new sample per GPU, a new frame taken, the screen drawn.
func BenchmarkLiveFrame(b *testing.B) {
	for _, n := range []int{1, 8, 16} {
		for _, sz := range benchSizes {
			b.Run(benchName(n, sz.w, sz.h), func(b *testing.B) {
				m, src := benchModel(b, n, sz.w, sz.h)
				at := t0
				k := 600
				b.ReportAllocs()
				for b.Loop() {
					at = at.Add(100 * time.Millisecond)
					k++
					for i := range src.gpus {
						src.gpus[i].fast = append(src.gpus[i].fast, fakeSample(i, k, at))
					}
					m.frame.refresh(src, at, false)
					_ = m.draw()
				}
			})
		}
	}
}

// BenchmarkFrame is the cost of taking a frame after one new sample per GPU.
func BenchmarkFrame(b *testing.B) {
	cfg, src := testConfig(16)
	m := New(cfg)
	at := t0
	k := 0
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(100 * time.Millisecond)
		k++
		for i := range src.gpus {
			src.gpus[i].fast = append(src.gpus[i].fast, fakeSample(i, k, at))
		}
		m.frame.refresh(src, at, false)
	}
}
