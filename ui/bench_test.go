package ui

import (
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

// BenchmarkDraw is the cost of drawing one frame (View returns it cached
// until something changes).
func BenchmarkDraw(b *testing.B) {
	for _, tc := range []struct {
		name    string
		n, w, h int
	}{{"8gpus_200x50", 8, 200, 50}, {"16gpus_250x70", 16, 250, 70}, {"16gpus_80x24", 16, 80, 24}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg, _ := testConfig(tc.n)
			m := New(cfg)
			m.Update(winSize(tc.w, tc.h))
			b.ReportAllocs()
			for b.Loop() {
				_ = m.draw()
			}
		})
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
	_ = model.Timestamp(0)
}
