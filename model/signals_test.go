package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// Signals survive a snapshot's JSON: an available 0 stays 0, an unavailable
// value stays unavailable (and is left out of the file).
func TestSignalsJSONRoundTrip(t *testing.T) {
	in := SlowSample{Signals: &Signals{
		Time:         Timestamp(1_800_000_000e9),
		InfoROMValid: Some(true), RecoveryAction: Some(RecoveryNone),
		Throttle:          []ThrottleCounter{{Reason: "power", TotalNs: 0, Window: Some(uint64(0))}, {Reason: "thermal", TotalNs: 5}},
		ThrottleWindowS:   60,
		NVLinks:           []NVLink{{Link: 0, State: "active", CRC: Some(uint64(0))}, {Link: 1, State: "inactive"}},
		NVLinkErrorTotals: [4]Opt[uint64]{Some(uint64(0)), {}, Some(uint64(3)), {}},
		PCIeReplayPerMin:  Some(0.0),
		Peers:             []Peer{{GPU: 1, Topology: "NV18", P2PRead: "OK"}},
		MIG:               []MIGInstance{{Index: 0, GI: Some(1), CI: Some(0), MemUsed: Some(uint64(0)), PIDs: []uint32{7}}},
	}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := json.Marshal(in.Signals)
	if strings.Contains(string(sb), ":null") {
		t.Errorf("unavailable signal values written as null: %s", sb)
	}
	var out SlowSample
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Signals, out.Signals) {
		t.Errorf("round trip changed the signals:\n in %+v\nout %+v", in.Signals, out.Signals)
	}
	if out.Signals.Throttle[1].Window.OK || !out.Signals.Throttle[0].Window.OK {
		t.Error("available 0 and unavailable were confused")
	}
	if a, n := out.Signals.ActiveLinks(); a != 1 || n != 2 {
		t.Errorf("ActiveLinks = %d/%d", a, n)
	}
	var nilSignals *Signals
	if a, n := nilSignals.ActiveLinks(); a != 0 || n != 0 {
		t.Error("nil signals have links")
	}
}

func TestRecoveryActionNames(t *testing.T) {
	for a, want := range map[int]string{RecoveryNone: "none", RecoveryGPUReset: "GPU reset", RecoveryNodeReboot: "node reboot",
		RecoveryDrainP2P: "drain peer-to-peer traffic", RecoveryDrainAndReset: "drain peer-to-peer traffic and reset the GPU",
		RecoveryIMEXDomain: "recover the IMEX domain", 99: "unknown action"} {
		if got := RecoveryActionName(a); got != want {
			t.Errorf("RecoveryActionName(%d) = %q, want %q", a, got, want)
		}
	}
	for _, r := range ThrottleCounterReasons {
		if got, ok := ThrottleReasonInfo(r.Reason); !ok || got != r {
			t.Errorf("ThrottleReasonInfo(%q) = %+v %v", r.Reason, got, ok)
		}
	}
	if _, ok := ThrottleReasonInfo("nope"); ok {
		t.Error("unknown reason found")
	}
}

func TestMIGInstanceProfile(t *testing.T) {
	for name, want := range map[string]string{
		"NVIDIA H100 80GB HBM3 MIG 3g.40gb":   "3g.40gb",
		"NVIDIA A100-SXM4-40GB MIG 1g.5gb+me": "1g.5gb+me",
		"MIG 1g.10gb":                         "MIG 1g.10gb", // no product name before it
		"":                                    "",
	} {
		if got := (MIGInstance{Name: name}).Profile(); got != want {
			t.Errorf("Profile(%q) = %q, want %q", name, got, want)
		}
	}
}
