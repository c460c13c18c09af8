package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

// hwFacts is the healthy H100 with signals on GPU 0 as the NVML backend
// reads them on an idle H200 (the 2x H200 evidence): 18 links active, no
// errors, a minute of history.
func hwFacts(mut func(s *model.Signals, sl *model.SlowSample)) model.Facts {
	f := healthyFacts()
	links := make([]model.NVLink, 18)
	for i := range links {
		links[i] = model.NVLink{Link: i, State: "active", Remote: "FFFFFFFF:FF:FF.0",
			CRC: model.Some(uint64(0)), Replay: model.Some(uint64(0)), Recovery: model.Some(uint64(0))}
	}
	s := &model.Signals{
		InfoROMValid: model.Some(true), InfoROMVersion: "G520.0282.02.02",
		RecoveryAction: model.Some(0),
		Throttle: []model.ThrottleCounter{
			{Reason: "power", TotalNs: 0, Window: model.Some(uint64(0))},
			{Reason: "low_utilization", TotalNs: 29878276224, Window: model.Some(uint64(60e9))},
		},
		ThrottleWindowS: 60,
		NVLinks:         links, NVLinkCRCPerS: model.Some(0.0), NVLinkReplayPerS: model.Some(0.0), NVLinkRecoveryPerS: model.Some(0.0),
		NVLinkTxKBps: model.Some(uint64(0)), NVLinkRxKBps: model.Some(uint64(0)),
		PCIeReplayPerMin: model.Some(0.0), ReplayWindowS: 60,
		EncoderUtil: model.Some(uint32(0)), DecoderUtil: model.Some(uint32(0)),
		Peers: []model.Peer{{GPU: 1, Topology: "NV18", P2PRead: "OK", P2PNVLink: "OK"}},
	}
	sl := f.NVML.GPUs[0].Slow.V
	if mut != nil {
		mut(s, &sl)
	}
	sl.Signals = s
	f.NVML.GPUs[0].Slow = model.Some(sl)
	return f
}

func resultByID(t *testing.T, f model.Facts, id string) (model.CheckResult, bool) {
	t.Helper()
	for _, r := range Evaluate(f) {
		if r.ID == id {
			return r, true
		}
	}
	return model.CheckResult{}, false
}

func TestHardwareSignalRules(t *testing.T) {
	cases := []struct {
		name, id string
		mut      func(s *model.Signals, sl *model.SlowSample)
		want     model.Status
		evidence []string
	}{
		{"inforom valid", "hw.inforom.gpu0", nil, model.Pass, []string{"valid", "G520.0282.02.02"}},
		{"inforom corrupted", "hw.inforom.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.InfoROMValid = model.Some(false) }, model.Fail, []string{"corrupted"}},
		{"no recovery needed", "hw.recovery.gpu0", nil, model.Pass, []string{"none"}},
		{"reset pending", "hw.recovery.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.RecoveryAction = model.Some(model.RecoveryGPUReset) }, model.Fail, []string{"GPU reset", "nvidia-smi -r -i 0"}},
		{"reboot pending", "hw.recovery.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.RecoveryAction = model.Some(model.RecoveryNodeReboot) }, model.Fail, []string{"node reboot"}},
		{"drain", "hw.recovery.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.RecoveryAction = model.Some(model.RecoveryDrainP2P) }, model.Fail, []string{"drain"}},
		{"idle GPU is not throttled", "hw.throttle_history.gpu0", nil, model.Pass, []string{"last 60 s", "low utilisation 60 s"}},
		{"power-capped 40 s of 60", "hw.throttle_history.gpu0", func(s *model.Signals, _ *model.SlowSample) {
			s.Throttle[0].Window = model.Some(uint64(40e9))
		}, model.Warn, []string{"power cap 40 s of the last 60 s"}},
		{"5 s of power cap is under 10%", "hw.throttle_history.gpu0", func(s *model.Signals, _ *model.SlowSample) {
			s.Throttle[0].Window = model.Some(uint64(5e9))
		}, model.Pass, []string{"power cap 5 s"}},
		{"any HW thermal slowdown", "hw.throttle_history.gpu0", func(s *model.Signals, _ *model.SlowSample) {
			s.Throttle = append(s.Throttle, model.ThrottleCounter{Reason: "hw_thermal", Window: model.Some(uint64(2e9))})
		}, model.Warn, []string{"HW thermal slowdown 2 s"}},
		{"short history", "hw.throttle_history.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.ThrottleWindowS = 10 }, model.Skip, []string{"10 s of history"}},
		{"all links up", "hw.nvlink.gpu0", nil, model.Pass, []string{"18/18 links active", "NV18 to GPU 1", "no data-link errors"}},
		{"a link down", "hw.nvlink.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.NVLinks[5].State = "inactive" }, model.Fail, []string{"link(s) 5 down", "17/18"}},
		{"no bridge: every link inactive", "hw.nvlink.gpu0", func(s *model.Signals, _ *model.SlowSample) {
			for i := range s.NVLinks {
				s.NVLinks[i].State = "inactive"
			}
		}, model.Skip, []string{"none of the 18 NVLinks is connected"}},
		{"CRC storm", "hw.nvlink.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.NVLinkCRCPerS = model.Some(250.0) }, model.Warn, []string{"CRC errors 250/s"}},
		{"CRC trickle", "hw.nvlink.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.NVLinkCRCPerS = model.Some(3.0) }, model.Pass, nil},
		{"recovery error", "hw.nvlink.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.NVLinkRecoveryPerS = model.Some(0.2) }, model.Warn, []string{"recovery 0.20/s"}},
		{"replays below DCGM's rate", "hw.pcie_replay.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.PCIeReplayPerMin = model.Some(8.0) }, model.Pass, []string{"8.0 replays/min"}},
		{"replays above DCGM's rate", "hw.pcie_replay.gpu0", func(s *model.Signals, _ *model.SlowSample) { s.PCIeReplayPerMin = model.Some(8.5) }, model.Warn, []string{"threshold 8/min"}},
		{"ECC on", "hw.ecc_mode.gpu0", nil, model.Pass, nil},
		{"ECC off on an H100", "hw.ecc_mode.gpu0", func(_ *model.Signals, sl *model.SlowSample) { sl.ECCEnabled = model.Some(false) }, model.Warn, []string{"ECC disabled", "nvidia-smi -e 1 -i 0"}},
		{"ECC off on an L40S is not judged", "hw.ecc_mode.gpu0", nil, "", nil},
		{"DBE pages at the soft limit", "hw.retired_pages.gpu0", func(_ *model.Signals, sl *model.SlowSample) {
			sl.RetiredPagesDBE, sl.RetiredPagesSBE = model.Some(15), model.Some(2)
		}, model.Pass, []string{"15 page(s)"}},
		{"DBE pages past the soft limit", "hw.retired_pages.gpu0", func(_ *model.Signals, sl *model.SlowSample) {
			sl.RetiredPagesDBE, sl.RetiredPagesSBE = model.Some(16), model.Some(2)
		}, model.Warn, []string{"16 page(s)", "soft limit 15"}},
		{"MIG with an instance", "hw.mig.gpu0", func(s *model.Signals, sl *model.SlowSample) {
			sl.MIGCurrent = model.Some(1)
			s.MIG = []model.MIGInstance{{GI: model.Some(9), CI: model.Some(0), Name: "NVIDIA H100 80GB HBM3 MIG 1g.10gb", MemUsed: model.Some(uint64(3 * gib)), MemTotal: model.Some(uint64(10 * gib)), PIDs: []uint32{42}}}
		}, model.Pass, []string{"GI 9/CI 0 1g.10gb 3 GiB/10 GiB 1 process(es)"}},
		{"MIG with GPM utilisation", "hw.mig.gpu0", func(s *model.Signals, sl *model.SlowSample) {
			sl.MIGCurrent = model.Some(1)
			s.MIG = []model.MIGInstance{{GI: model.Some(1), CI: model.Some(0), Name: "NVIDIA H100 80GB HBM3 MIG 3g.40gb", UtilGPU: model.Some[uint32](87)},
				{GI: model.Some(2), CI: model.Some(0), Name: "NVIDIA H100 80GB HBM3 MIG 3g.40gb", UtilGPU: model.Some[uint32](0)}}
		}, model.Pass, []string{"GI 1/CI 0 3g.40gb busy 87% (GPM)", "GI 2/CI 0 3g.40gb busy 0% (GPM)"}},
		{"MIG without GPM", "hw.mig.gpu0", func(s *model.Signals, sl *model.SlowSample) {
			sl.MIGCurrent = model.Some(1)
			s.MIG = []model.MIGInstance{{GI: model.Some(1), CI: model.Some(0), Name: "NVIDIA A100-SXM4-40GB MIG 3g.20gb"}}
			s.MIGUtilNote = model.MIGUtilNoGPM
		}, model.Pass, []string{"GI 1/CI 0", "utilisation not available per MIG instance on this GPU"}},
		{"MIG without instances", "hw.mig.gpu0", func(_ *model.Signals, sl *model.SlowSample) { sl.MIGCurrent = model.Some(1) }, model.Warn, []string{"no MIG instance"}},
		{"P2P over NVLink", "hw.p2p", nil, model.Pass, []string{"GPU0-GPU1 NV18 P2P OK"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := hwFacts(c.mut)
			if c.want == "" { // no row expected
				f.NVML.GPUs[0].Info.Name = "NVIDIA L40S"
				sl := f.NVML.GPUs[0].Slow.V
				sl.ECCEnabled = model.Some(false)
				f.NVML.GPUs[0].Slow = model.Some(sl)
				if r, ok := resultByID(t, f, c.id); ok {
					t.Errorf("%s present: %s %s", c.id, r.Status, r.Evidence)
				}
				return
			}
			r, ok := resultByID(t, f, c.id)
			if !ok {
				t.Fatalf("no %s", c.id)
			}
			if r.Status != c.want {
				t.Errorf("%s = %s, want %s: %s", c.id, r.Status, c.want, r.Evidence)
			}
			all := r.Evidence + " " + r.Fix + " " + strings.Join(r.Commands, " ")
			for _, s := range c.evidence {
				if !strings.Contains(all, s) {
					t.Errorf("%s lacks %q: %s", c.id, s, all)
				}
			}
		})
	}
}

// Rows appear only where they apply: no signals (older snapshots, the
// stand-in backends), no NVLink, MIG off, no AER.
func TestHardwareRowsOnlyWhereTheyApply(t *testing.T) {
	for _, r := range Evaluate(healthyFacts()) {
		if strings.HasPrefix(r.ID, "hw.") {
			t.Errorf("%s on facts without signals: %s %s", r.ID, r.Status, r.Evidence)
		}
	}
	f := hwFacts(func(s *model.Signals, _ *model.SlowSample) {
		s.NVLinks, s.Peers, s.InfoROMValid = nil, nil, model.Opt[bool]{}
	})
	for _, r := range Evaluate(f) {
		if strings.HasPrefix(r.ID, "hw.nvlink") || r.ID == "hw.mig.gpu0" || r.ID == "hw.aer" || r.ID == "hw.p2p" || r.ID == "hw.inforom.gpu0" {
			t.Errorf("%s without links/MIG/AER/peers: %s", r.ID, r.Evidence)
		}
	}
}

// A lost GPU's signals are not current: the live rules skip it.
func TestHardwareRulesSkipLostGPU(t *testing.T) {
	f := hwFacts(func(s *model.Signals, _ *model.SlowSample) { s.RecoveryAction = model.Some(model.RecoveryGPUReset) })
	f.NVML.GPUs[0].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST"}
	r, _ := resultByID(t, f, "hw.recovery.gpu0")
	if r.Status != model.Skip {
		t.Errorf("recovery on a lost GPU = %s: %s", r.Status, r.Evidence)
	}
}

func TestP2PAndIOMMU(t *testing.T) {
	pcie := func(s *model.Signals, _ *model.SlowSample) {
		s.NVLinks = nil
		s.Peers = []model.Peer{{GPU: 1, Topology: "PHB", P2PRead: "chipset not supported", P2PNVLink: "not supported"},
			{GPU: 2, Topology: "PIX", P2PRead: "OK", P2PNVLink: "not supported"}}
	}
	f := hwFacts(pcie)
	f.Environment.IOMMU = model.IOMMUFacts{Groups: model.Some(42), Cmdline: "intel_iommu=on", ACSReadable: true, ACSRedirects: []string{"0000:00:01.0"}}
	r, _ := resultByID(t, f, "hw.p2p")
	if r.Status != model.Warn {
		t.Errorf("hw.p2p = %s: %s", r.Status, r.Evidence)
	}
	for _, s := range []string{"chipset not supported", "IOMMU active (42 groups; kernel: intel_iommu=on)", "iommu=pt", "ACS redirects", "setpci -s 0000:00:01.0"} {
		if !strings.Contains(r.Evidence+r.Fix+strings.Join(r.Commands, " "), s) {
			t.Errorf("hw.p2p lacks %q: %s | %s", s, r.Evidence, r.Fix)
		}
	}
	// Passthrough and no ACS: fine.
	f.Environment.IOMMU = model.IOMMUFacts{Groups: model.Some(42), Passthrough: true, ACSReadable: true}
	f = withPeersOK(f)
	if r, _ := resultByID(t, f, "hw.p2p"); r.Status != model.Pass {
		t.Errorf("hw.p2p with iommu=pt = %s: %s", r.Status, r.Evidence)
	}
	// GeForce pairs without P2P: reported, nothing to set, no warning; the
	// IOMMU does not matter when no pair does P2P over PCIe.
	f = hwFacts(func(s *model.Signals, _ *model.SlowSample) {
		s.NVLinks = nil
		s.Peers = []model.Peer{{GPU: 1, Topology: "NODE", P2PRead: "not supported"}}
	})
	f.NVML.GPUs[0].Info.Name = "NVIDIA GeForce RTX 4090 D"
	g1 := f.NVML.GPUs[0]
	g1.Info.Index, g1.Slow = 1, model.None[model.SlowSample]()
	f.NVML.GPUs = append(f.NVML.GPUs, g1)
	f.Environment.IOMMU = model.IOMMUFacts{Groups: model.Some(42)}
	r, _ = resultByID(t, f, "hw.p2p")
	if r.Status != model.Pass || !strings.Contains(r.Evidence, "no P2P between GeForce cards") || strings.Contains(r.Evidence, "IOMMU") {
		t.Errorf("4x 4090D world: %s %s", r.Status, r.Evidence)
	}
}

func withPeersOK(f model.Facts) model.Facts {
	sl := f.NVML.GPUs[0].Slow.V
	s := *sl.Signals
	s.Peers = []model.Peer{{GPU: 1, Topology: "PHB", P2PRead: "OK"}}
	sl.Signals = &s
	f.NVML.GPUs[0].Slow = model.Some(sl)
	return f
}

func TestAERRule(t *testing.T) {
	f := healthyFacts()
	f.Environment.AER = []model.AERCounters{{BDF: "0000:18:00.0", Correctable: model.Some(uint64(4)), NonFatal: model.Some(uint64(0)), Fatal: model.Some(uint64(0))}}
	if r, _ := resultByID(t, f, "hw.aer"); r.Status != model.Pass {
		t.Errorf("correctable only = %s", r.Status)
	}
	f.Environment.AER[0].NonFatal = model.Some(uint64(1))
	if r, _ := resultByID(t, f, "hw.aer"); r.Status != model.Warn || !strings.Contains(r.Evidence, "non-fatal 1") {
		t.Errorf("non-fatal = %s %s", r.Status, r.Evidence)
	}
}

func TestProbeAERAndIOMMUFixture(t *testing.T) {
	root := copyFixture(t, "env-slurm")
	writeFile(t, root, "/sys/bus/pci/devices/0000:18:00.0/aer_dev_nonfatal", "Undefined 0\nDLP 0\nTOTAL_ERR_NONFATAL 3\n")
	writeFile(t, root, "/sys/bus/pci/devices/0000:18:00.0/aer_dev_correctable", "RxErr 0\nTOTAL_ERR_COR 7\n")
	writeFile(t, root, "/sys/kernel/iommu_groups/0/type", "DMA\n")
	writeFile(t, root, "/sys/kernel/iommu_groups/1/type", "DMA\n")
	writeFile(t, root, "/proc/cmdline", "BOOT_IMAGE=/vmlinuz quiet intel_iommu=on iommu=pt\n")
	env := (&fakeEnv{vars: map[string]string{}}).env(root)
	pci := probePCI(env)
	aer := probeAER(env, pci)
	if len(aer) != 1 || aer[0].NonFatal.V != 3 || aer[0].Correctable.V != 7 || aer[0].Fatal.OK {
		t.Errorf("aer = %+v", aer)
	}
	m := probeIOMMU(env, pci)
	if m.Groups != model.Some(2) || !m.Passthrough || m.Cmdline != "intel_iommu=on iommu=pt" {
		t.Errorf("iommu = %+v", m)
	}
}

func writeFile(t *testing.T, root, at, content string) {
	t.Helper()
	p := filepath.Join(root, at)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
