package sampler_test

import (
	"context"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/sim"
)

// BenchmarkSamplerStep8GPUs is one fast-tier round of a simulated 8-GPU host:
// the sampler's own cost per tick, minus the ticker.
func BenchmarkSamplerStep8GPUs(b *testing.B) {
	s, err := sampler.Open(context.Background(), sim.New(sim.Options{GPUs: 8, Start: epoch}), sampler.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Step(epoch.Add(time.Duration(i)*100*time.Millisecond), false)
		i++
	}
}

// BenchmarkRingPush is the cost of keeping one fast sample in history.
func BenchmarkRingPush(b *testing.B) {
	r := model.NewSampleRing(sampler.Options{}.RingCapacity())
	s := model.Sample{Time: 1}
	s.MemUsed.Set(1 << 30)
	b.ReportAllocs()
	for b.Loop() {
		s.Time++
		r.Push(s)
	}
}
