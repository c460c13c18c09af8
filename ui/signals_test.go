package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/themes"
)

func signalFrame() *gpuFrame {
	links := make([]model.NVLink, 12)
	for i := range links {
		links[i] = model.NVLink{Link: i, State: "active", CRC: model.Some(uint64(0))}
	}
	links[4].State = "inactive"
	links[4].Recovery = model.Some(uint64(3))
	return &gpuFrame{
		Info: model.GPUInfo{Index: 2, Name: "NVIDIA A100-SXM4-40GB"},
		Slow: model.SlowSample{
			PCIeRxKBps: model.Some(uint32(10_500_000)), PCIeTxKBps: model.Some(uint32(200_000)),
			Signals: &model.Signals{
				RecoveryAction: model.Some(model.RecoveryGPUReset),
				InfoROMValid:   model.Some(true), InfoROMVersion: "G520\x1b[31m.0200",
				Throttle: []model.ThrottleCounter{
					{Reason: "power", Window: model.Some(uint64(40e9))},
					{Reason: "low_utilization", Window: model.Some(uint64(60e9))},
				},
				ThrottleWindowS: 60,
				NVLinks:         links, NVLinkTxKBps: model.Some(uint64(45e6)), NVLinkRxKBps: model.Some(uint64(44e6)),
				PCIeReplayPerMin: model.Some(12.0),
				EncoderUtil:      model.Some(uint32(0)), DecoderUtil: model.Some(uint32(12)),
				Peers: []model.Peer{{GPU: 3, Topology: "NV11", P2PRead: "OK"}, {GPU: 4, Topology: "SYS", P2PRead: "not supported"}},
				MIG: []model.MIGInstance{
					{Index: 0, GI: model.Some(1), CI: model.Some(0), Name: "NVIDIA A100-SXM4-40GB MIG 3g.20gb",
						MemUsed: model.Some(uint64(2 << 30)), MemTotal: model.Some(uint64(19968 << 20)), PIDs: []uint32{7}},
					{Index: 1, GI: model.Some(2), CI: model.Some(0), Name: "NVIDIA A100-SXM4-40GB MIG 3g.20gb",
						MemUsed: model.Some(uint64(13 << 20)), MemTotal: model.Some(uint64(19968 << 20))},
				},
			},
		},
	}
}

func TestCardSignals(t *testing.T) {
	th, _ := themes.Get("mono")
	st := NewStyles(th)
	g := signalFrame()
	got := ansi.Strip(st.cardSignals(g))
	for _, want := range []string{"NEEDS RESET", "NVL 11/12", "PWR 40s/60s", "MIG 2"} {
		if !strings.Contains(got, want) {
			t.Errorf("card signals %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "LOWUTIL") {
		t.Errorf("benign low-utilisation shown as throttling: %q", got)
	}
	traffic := ansi.Strip(st.cardTraffic(g))
	if traffic != "PCIe ↓10.5G ↑200M  ENC 0% DEC 12%" {
		t.Errorf("card traffic %q", traffic)
	}
	if st.cardSignals(&gpuFrame{}) != "" {
		t.Error("signals shown for a GPU without them")
	}
}

func TestZoomSignalLines(t *testing.T) {
	th, _ := themes.Get("mono")
	st := NewStyles(th)
	kv := func(k, v string) string { return k + ": " + v }
	got := ansi.Strip(strings.Join(st.signalLines(signalFrame(), kv), "\n"))
	for _, want := range []string{"Recovery: GPU reset", "InfoROM: valid G520[31m.0200", "Throttled 60s: PWR 40s LOWUTIL 60s",
		"PCIe replay: 12.0/min", "NVLink: 11/12 up, down: 4  TX 45.0G RX 44.0G", "recovery 3", "Peers: NV11→3 SYS→4(no P2P)",
		"Enc / Dec: 0% / 12%", "MIG 0: 3g.20gb GI1/CI0 util N/A\n: 2.0/19.5 GiB pid 7", "MIG 1: 3g.20gb GI2/CI0"} {
		if !strings.Contains(got, want) {
			t.Errorf("zoom lines lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b[31m") {
		t.Error("a driver string's escape reached the screen")
	}
}

func TestMIGSubRows(t *testing.T) {
	th, _ := themes.Get("mono")
	st := NewStyles(th)
	budget := 1
	rows := ansi.Strip(st.migRows(signalFrame(), 60, &budget))
	if strings.Count(rows, "\n") != 1 || !strings.Contains(rows, "└ MIG 0 3g.20gb") || budget != 0 {
		t.Errorf("one spare row gave %q (budget %d)", rows, budget)
	}
	budget = 5
	rows = ansi.Strip(st.migRows(signalFrame(), 60, &budget))
	if strings.Count(rows, "\n") != 2 || !strings.Contains(rows, "1 proc") || budget != 3 {
		t.Errorf("rows %q budget %d", rows, budget)
	}
}
