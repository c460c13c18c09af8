package model

import (
	"testing"
	"time"
)

func TestGPUVerdict(t *testing.T) {
	now := TimestampOf(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	info := GPUInfo{Index: 2, MaxPCIeWidth: Some(16), MaxPCIeGen: Some(5)}
	throttle := CheckResult{ID: "throttle.gpu2", Status: Fail, GPU: Some(2)}
	pcie := CheckResult{ID: "pcie.gpu2", Status: Warn, GPU: Some(2)}
	other := CheckResult{ID: "throttle.gpu3", Status: Fail, GPU: Some(3)}
	stack := CheckResult{ID: "cuda.toolkit", Status: Fail}
	xid79 := Event{Time: now, GPU: Some(2), Kind: EventXid, Severity: SevError, Xid: Some(79)}
	oldXid := xid79
	oldXid.Time = now - Timestamp(RecentEvents) - 1
	memWarn := Event{Time: now, GPU: Some(2), Kind: EventMemoryHWM, Severity: SevWarn}
	hot := Sample{ThrottleReasons: Some(ThrottleHWThermal | ThrottleSWThermal)}
	x8 := SlowSample{PCIeWidth: Some(8), PCIeGen: Some(5)}
	tests := []struct {
		name string
		in   VerdictInput
		want string
	}{
		{"nothing wrong", VerdictInput{Info: info, Checks: []CheckResult{other, stack}, Events: []Event{memWarn}, Now: now}, "● ok"},
		{"thermal fail", VerdictInput{Info: info, Fast: hot, Checks: []CheckResult{throttle}, Now: now}, "✖ FAIL thermal"},
		{"degraded link", VerdictInput{Info: info, Slow: x8, Checks: []CheckResult{pcie}, Now: now}, "▲ warn PCIe x8"},
		{"fail beats warn", VerdictInput{Info: info, Fast: hot, Slow: x8, Checks: []CheckResult{pcie, throttle}, Now: now}, "✖ FAIL thermal +1"},
		{"recent Xid", VerdictInput{Info: info, Events: []Event{xid79, xid79}, Now: now}, "✖ FAIL Xid 79"},
		{"old Xid forgotten", VerdictInput{Info: info, Events: []Event{oldXid}, Now: now}, "● ok"},
		{"future event unseen (replay cursor)", VerdictInput{Info: info, Events: []Event{xid79}, Now: now - 1}, "● ok"},
		{"lost first", VerdictInput{Info: info, Health: Health{State: Lost}, Events: []Event{xid79}, Checks: []CheckResult{pcie}, Now: now}, "✖ LOST +2"},
		{"stale below fail", VerdictInput{Info: info, Health: Health{State: Stale}, Fast: hot, Checks: []CheckResult{throttle}, Now: now}, "✖ FAIL thermal +1"},
		{"the health check repeats the lost state", VerdictInput{Info: info, Health: Health{State: Lost},
			Checks: []CheckResult{{ID: "health.gpu2", Status: Fail, GPU: Some(2)}}, Now: now}, "✖ LOST"},
		{"the Xid check repeats the Xid event", VerdictInput{Info: info, Events: []Event{xid79},
			Checks: []CheckResult{{ID: "xid.gpu2", Status: Fail, GPU: Some(2)}}, Now: now}, "✖ FAIL Xid 79"},
		{"stale above warn", VerdictInput{Info: info, Health: Health{State: Stale}, Slow: x8, Checks: []CheckResult{pcie}, Now: now}, "◌ STALE +1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GPUVerdict(tt.in).Text(); got != tt.want {
				t.Errorf("verdict %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckBadgeReasonFallsBackToTheFamily(t *testing.T) {
	for id, want := range map[string]string{"nvlink.links.gpu0": "links", "hw.throttle_history.gpu1": "throttle history",
		"hw.nvlink.gpu2": "NVLink", "hw.recovery.gpu3": "recovery"} {
		if got := CheckBadgeReason(CheckResult{ID: id, Status: Warn}, GPUInfo{}, Sample{}, SlowSample{}); got != want {
			t.Errorf("%s: reason %q, want %q", id, got, want)
		}
	}
}
