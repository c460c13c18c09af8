package checks

import (
	"context"
	"testing"

	"github.com/gputop/gputop/model"
)

// The UI re-evaluates the live rules on every new sample; these say what
// that costs for an 8-GPU machine.
func BenchmarkEvaluate8GPUs(b *testing.B) {
	f := DemoFacts(demoFleet(8))
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(f)
	}
}

func BenchmarkEvaluateLive8GPUs(b *testing.B) {
	f := DemoFacts(demoFleet(8))
	b.ReportAllocs()
	for b.Loop() {
		EvaluateLive(f)
	}
}

// Gather on a machine without GPU, driver or toolkit must be far below a
// second: it runs at every `gputop check`.
func BenchmarkGatherEmptyRoot(b *testing.B) {
	root := b.TempDir()
	env := (&fakeEnv{vars: map[string]string{"PATH": "/usr/bin:/bin"}}).env(root)
	for b.Loop() {
		Gather(context.Background(), env, model.NVMLFacts{})
	}
}

// Link runs after every evaluation and on every live merge.
func BenchmarkLink8GPUs(b *testing.B) {
	rs := Evaluate(DemoFacts(demoFleet(8)))
	b.ReportAllocs()
	for b.Loop() {
		Link(rs)
	}
}
