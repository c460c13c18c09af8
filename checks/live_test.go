package checks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/checks"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/sim"
)

// The live path: the simulated fleet loses GPU 1 and needs a reset of
// GPU 2; the sampler's health and events become facts the way `gputop
// check` builds them, and the checklist fails with each GPU's action.
func TestLiveLostAndResetRequired(t *testing.T) {
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	fleet := sim.New(sim.Options{GPUs: 3, Seed: 1, Start: start, Faults: []sim.Fault{
		{GPU: 1, Kind: sim.FaultLost, At: time.Second, For: time.Hour},
		{GPU: 2, Kind: sim.FaultResetRequired, At: time.Second, For: time.Hour},
	}})
	s, err := sampler.Open(context.Background(), fleet, sampler.Options{Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		s.Step(start.Add(time.Duration(i)*100*time.Millisecond), i%10 == 0)
	}
	var gpus []model.GPUFacts
	for _, g := range s.GPUs() {
		fast, ok, slow, health := g.Latest()
		gpus = append(gpus, checks.GPUFactsOf(g.Info, fast, ok, slow, health))
	}
	f := checks.DemoFacts(checks.NVMLFromSystem(s.System(), gpus))
	f.Events = s.Events(nil, 1<<20)
	rs := checks.Evaluate(f)
	byID := map[string]model.CheckResult{}
	for _, r := range rs {
		byID[r.ID] = r
	}
	for id, action := range map[string]string{"health.gpu1": "reboot", "health.gpu2": "nvidia-smi -r -i 2"} {
		r := byID[id]
		if r.Status != model.Fail || r.FollowsFrom != "" || !strings.Contains(r.Fix+" "+strings.Join(r.Commands, " "), action) {
			t.Errorf("%s = %s (follows %q): %s / %v, want a counted fail with %q", id, r.Status, r.FollowsFrom, r.Fix, r.Commands, action)
		}
	}
	if r := byID["health.gpu0"]; r.Status != model.Pass {
		t.Errorf("the healthy GPU: %s %s", r.Status, r.Evidence)
	}
	if r := byID["persistence.gpu1"]; r.Status != model.Skip {
		t.Errorf("a lost GPU's static check: %s", r.Status)
	}
	if checks.ExitCode(rs) != 1 {
		t.Error("exit status 0 with a lost GPU")
	}
}
