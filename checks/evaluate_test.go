package checks

import (
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

func TestEvaluateLiveIsTheLiveSubset(t *testing.T) {
	f := DemoFacts(demoFleet(8))
	all := Evaluate(f)
	live := EvaluateLive(f)
	if len(live) != 4*8+1 {
		t.Fatalf("%d live results, want health+pcie+throttle+memory for 8 GPUs and one xid", len(live))
	}
	byID := map[string]model.CheckResult{}
	for _, r := range all {
		byID[r.ID] = r
	}
	for _, r := range live {
		if !r.Live {
			t.Errorf("%s from EvaluateLive is not marked live", r.ID)
		}
		if full, ok := byID[r.ID]; !ok || full.Status != r.Status || full.Evidence != r.Evidence {
			t.Errorf("%s differs between Evaluate and EvaluateLive", r.ID)
		}
	}
	for _, r := range all {
		isLive := strings.HasPrefix(r.ID, "pcie.") || strings.HasPrefix(r.ID, "throttle.") || strings.HasPrefix(r.ID, "memory.") ||
			strings.HasPrefix(r.ID, "health.") || strings.HasPrefix(r.ID, "xid")
		if r.Live != isLive {
			t.Errorf("%s: live = %v", r.ID, r.Live)
		}
	}
}

func TestMergeLive(t *testing.T) {
	f := DemoFacts(demoFleet(8))
	all := Evaluate(f)
	// GPU 2 cools down: its throttle row must turn to pass, nothing else moves.
	f.NVML.GPUs[2].Sample.V.ThrottleReasons = model.Some(uint64(0))
	merged := MergeLive(all, EvaluateLive(f))
	if len(merged) != len(all) {
		t.Fatalf("merged %d results, had %d", len(merged), len(all))
	}
	for i := range all {
		if merged[i].ID != all[i].ID {
			t.Fatalf("order changed at %d: %s vs %s", i, merged[i].ID, all[i].ID)
		}
		want := all[i].Status
		if all[i].ID == "throttle.gpu2" {
			want = model.Pass
		}
		if merged[i].Status != want {
			t.Errorf("%s = %s, want %s", merged[i].ID, merged[i].Status, want)
		}
	}
	// A GPU that disappears drops its live rows; a new one adds them.
	f.NVML.GPUs = f.NVML.GPUs[:7]
	if got := MergeLive(all, EvaluateLive(f)); len(got) != len(all)-4 {
		t.Errorf("after losing GPU 7: %d results, want %d", len(got), len(all)-4)
	}
	if got := MergeLive(nil, EvaluateLive(f)); len(got) != 4*7+1 {
		t.Errorf("merging into nothing: %d results", len(got))
	}
}
