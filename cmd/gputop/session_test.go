package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/sim"
)

// The checks wait for every GPU's first fast and slow readings, so rules on
// persistence, MIG or power limits are judged at startup instead of skipped.
func TestWaitFirstReadings(t *testing.T) {
	smp, err := sampler.Open(context.Background(), sim.New(sim.Options{GPUs: 4, Seed: 1}),
		sampler.Options{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s := &session{opts: &options{}, log: slog.New(slog.DiscardHandler), sampler: smp}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = smp.Run(ctx) }()
	defer func() { cancel(); <-done }()
	s.waitFirstReadings(ctx, 10*time.Second)
	for i, g := range smp.GPUs() {
		if _, ok, slow, _ := g.Latest(); !ok || slow.Time.IsZero() {
			t.Fatalf("GPU %d: returned before its first readings (fast %v, slow %v)", i, ok, slow.Time)
		}
	}
}

// Without a sampler (no GPU) it returns at once.
func TestWaitFirstReadingsNoGPU(t *testing.T) {
	s := &session{opts: &options{}}
	start := time.Now()
	s.waitFirstReadings(context.Background(), 10*time.Second)
	if time.Since(start) > time.Second {
		t.Fatal("waited without a sampler")
	}
}

// The demo shows every badge within its first minute: the faults start
// after the minute of prefilled history and end again.
func TestDemoFaultsShowEveryStatusInTheFirstMinute(t *testing.T) {
	kinds := map[sim.FaultKind]bool{}
	for _, f := range demoFaults(8) {
		if f.At < demoHistory || f.At >= demoHistory+time.Minute || f.For <= 0 {
			t.Errorf("fault %+v is not inside the demo's first minute", f)
		}
		if f.GPU < 0 || f.GPU >= 8 {
			t.Errorf("fault on GPU %d of 8", f.GPU)
		}
		kinds[f.Kind] = true
	}
	for _, k := range []sim.FaultKind{sim.FaultHang, sim.FaultLost, sim.FaultResetRequired} {
		if !kinds[k] {
			t.Errorf("no fault of kind %v: a status would never show", k)
		}
	}
	if len(demoFaults(2)) != 0 {
		t.Error("a two-GPU demo must stay healthy")
	}
}
