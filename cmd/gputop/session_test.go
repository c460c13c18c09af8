package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
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

// A replay shows each check as recorded and as today's rules judge the
// recorded facts, marking where they differ.
func TestCompareRecorded(t *testing.T) {
	recorded := []model.CheckResult{
		{ID: "same", Title: "Same", Status: model.Pass},
		{ID: "changed", Title: "Changed", Status: model.Warn},
		{ID: "gone", Title: "Gone", Status: model.Fail},
	}
	now := []model.CheckResult{
		{ID: "same", Title: "Same", Status: model.Pass},
		{ID: "changed", Title: "Changed", Status: model.Fail},
		{ID: "new", Title: "New", Status: model.Skip},
	}
	got := map[string]model.CheckResult{}
	for _, r := range compareRecorded(now, recorded) {
		got[r.ID] = r
	}
	if len(got) != 4 {
		t.Fatalf("want 4 results, got %v", got)
	}
	// The mark is a field: titles stay as the rules wrote them.
	for id, r := range got {
		if strings.Contains(r.Title, "[") {
			t.Errorf("%s: the mark was glued into the title %q", id, r.Title)
		}
	}
	if got["same"].Replay != nil {
		t.Errorf("unchanged result marked: %+v", got["same"].Replay)
	}
	if c := got["changed"]; c.Status != model.Fail || c.Replay == nil || c.Replay.Text() != "[recorded warn, now fail]" {
		t.Errorf("changed: %+v", c)
	}
	if g := got["gone"]; g.Status != model.Fail || g.Replay == nil || g.Replay.Text() != "[recorded only]" {
		t.Errorf("recorded-only: %+v", g)
	}
	if n := got["new"]; n.Replay == nil || n.Replay.Text() != "[new rule]" {
		t.Errorf("new rule: %+v", n)
	}
}
