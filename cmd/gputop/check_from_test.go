package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

// recordedHost is a 2x H100 host as a snapshot records it: driver 580,
// both GPUs healthy unless a case changes it.
func recordedHost() model.SnapshotInput {
	gpu := func(i int, bus string) model.GPUInfo {
		return model.GPUInfo{Index: i, Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-0000000" + string(rune('0'+i)), BusID: "00000000:" + bus + ":00.0",
			CCMajor: model.Some(9), CCMinor: model.Some(0), MemoryTotal: model.Some(uint64(80 << 30)), BAR1Total: model.Some(uint64(128 << 30)),
			PowerLimitDefault: model.Some(uint32(700000)), MaxPCIeGen: model.Some(5), MaxPCIeWidth: model.Some(16)}
	}
	t0 := time.Date(2026, 11, 21, 7, 53, 0, 0, time.UTC)
	infos := []model.GPUInfo{gpu(0, "18"), gpu(1, "2A")}
	var facts []model.GPUFacts
	var recs []model.GPURecord
	var devs []model.PCIDevice
	for _, in := range infos {
		s := model.Sample{Time: model.TimestampOf(t0), UtilGPU: model.Some(uint32(0)), PowerLimit: model.Some(uint32(700000)), ThrottleReasons: model.Some(uint64(0))}
		slow := model.SlowSample{Time: model.TimestampOf(t0), PCIeGen: model.Some(5), PCIeWidth: model.Some(16), Persistence: model.Some(true), ComputeMode: model.Some(0)}
		facts = append(facts, model.GPUFacts{Info: in, Sample: model.Some(s), Slow: model.Some(slow)})
		recs = append(recs, model.GPURecord{GPUInfo: in, Samples: []model.Sample{s}, SlowSamples: []model.SlowSample{slow}})
		devs = append(devs, model.PCIDevice{BDF: "0000:" + strings.ToLower(in.BusID[9:]), Vendor: 0x10de, Device: 0x2330, Class: 0x030200, Driver: "nvidia",
			BARs: []model.PCIBAR{{Index: 1, Start: 0x38000000000, Size: 128 << 30, Flags: 0x14220c}}})
	}
	f := model.Facts{Collected: model.TimestampOf(t0), Host: "dgx-a", Source: "probe",
		KernelModule: model.KernelModuleFacts{Loaded: true, Version: "580.95.05", Open: model.Some(true)},
		NVMLLibrary:  model.LibraryFacts{Found: true, Version: "580.95.05"},
		CUDALibrary:  model.LibraryFacts{Found: true, Version: "580.95.05"},
		PCI:          model.PCIFacts{Readable: true, Devices: devs},
		DevNodes:     model.DevNodeFacts{Nodes: []model.DevNode{{Path: "/dev/nvidiactl", Accessible: true}, {Path: "/dev/nvidia0", Accessible: true}, {Path: "/dev/nvidia1", Accessible: true}}},
		Env:          map[string]string{},
		NVML:         model.NVMLFacts{Source: "nvml", Opened: true, DriverVersion: "580.95.05", CUDADriverVersion: model.Some(13000), GPUs: facts},
	}
	return model.SnapshotInput{Version: "test", Created: t0, System: model.System{Host: "dgx-a", DriverVersion: "580.95.05", Source: "nvml"},
		Interval: 100 * time.Millisecond, SlowInterval: time.Second, GPUs: recs, Facts: f}
}

// A lost GPU, a GPU needing a reset and Xid 79/48/95 in the recorded
// timeline each make `check --from` exit 1 with the right action; the
// header names the recorded host and time, never this machine.
func TestCheckFromJudgesHealthAndEvents(t *testing.T) {
	t1 := model.TimestampOf(time.Date(2026, 11, 21, 7, 52, 0, 0, time.UTC))
	cases := []struct {
		name   string
		mutate func(*model.SnapshotInput)
		id     string
		action string
	}{
		{"lost GPU", func(in *model.SnapshotInput) {
			in.Facts.NVML.GPUs[1].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost", Since: t1}
		}, "health.gpu1", "reboot"},
		{"reset required", func(in *model.SnapshotInput) {
			in.Facts.NVML.GPUs[0].Health = model.Health{State: model.Failed, Reason: "RESET_REQUIRED: GPU requires reset", Since: t1}
		}, "health.gpu0", "nvidia-smi -r -i 0"},
		{"Xid 79", func(in *model.SnapshotInput) { in.Events = []model.Event{model.XidEvent(t1, 1, 79)} }, "xid.gpu1", "reboot"},
		{"Xid 48", func(in *model.SnapshotInput) { in.Events = []model.Event{model.XidEvent(t1, 0, 48)} }, "xid.gpu0", "reset the GPU"},
		{"Xid 95", func(in *model.SnapshotInput) { in.Events = []model.Event{model.XidEvent(t1, 1, 95)} }, "xid.gpu1", "reset the GPU"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := recordedHost()
			c.mutate(&in)
			file := filepath.Join(t.TempDir(), "rec.json")
			if err := model.NewSnapshot(in).Save(file, model.FormatJSON); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runArgs(t, "check", "--from", file)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, out, stderr)
			}
			head := strings.SplitN(out, "\n", 3)
			if !strings.Contains(head[0], "the recording of dgx-a made on 2026-11-21 07:53:00 UTC") || strings.Contains(head[0]+head[1], "this machine\n") {
				t.Errorf("header %q", head[:2])
			}
			code, js, _ := runArgs(t, "check", "--from", file, "--json")
			var rep struct {
				Checks    []model.CheckResult
				Recording struct{ Host string }
			}
			if err := json.Unmarshal([]byte(js), &rep); err != nil || code != 1 {
				t.Fatalf("json exit %d: %v", code, err)
			}
			if rep.Recording.Host != "dgx-a" {
				t.Errorf("recording host %q", rep.Recording.Host)
			}
			for _, r := range rep.Checks {
				if r.ID != c.id {
					continue
				}
				text := r.Fix + " " + strings.Join(r.Commands, " ")
				if r.Status != model.Fail || !strings.Contains(text, c.action) || r.FollowsFrom != "" {
					t.Errorf("%s = %s follows %q, fix %q: want a counted fail with %q", r.ID, r.Status, r.FollowsFrom, text, c.action)
				}
				return
			}
			t.Errorf("no %s in %s", c.id, js)
		})
	}
}

// The recorded verdicts are shown beside today's and the changed ones are
// counted; --problems lists only fails and warns but keeps the full count.
func TestCheckFromComparesRecordedVerdicts(t *testing.T) {
	in := recordedHost()
	in.Checks = []model.CheckResult{{ID: "health.gpu1", Title: "GPU answering", Status: model.Pass, Evidence: "ok"},
		{ID: "old.rule", Title: "A rule since removed", Status: model.Warn, Evidence: "recorded"}}
	in.Facts.NVML.GPUs[1].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost"}
	file := filepath.Join(t.TempDir(), "rec.json")
	if err := model.NewSnapshot(in).Save(file, model.FormatJSON); err != nil {
		t.Fatal(err)
	}
	_, out, _ := runArgs(t, "check", "--from", file)
	for _, w := range []string{"Verdicts changed against the recording: 1", "recorded: pass, today: fail (changed)", "A rule since removed [recorded only]"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	code, prob, _ := runArgs(t, "check", "--from", file, "--problems")
	if code != 1 || strings.Contains(prob, "[PASS]") || !strings.Contains(prob, "[FAIL] GPU answering") {
		t.Errorf("--problems exit %d:\n%s", code, prob)
	}
}

// A GPU the recording saw fail after its checks last ran (its record's
// health) is judged in that state, not in the older facts' healthy one.
func TestCheckFromTakesTheRecordsWorseHealth(t *testing.T) {
	in := recordedHost()
	in.GPUs[1].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost"}
	file := filepath.Join(t.TempDir(), "rec.json")
	if err := model.NewSnapshot(in).Save(file, model.FormatJSON); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runArgs(t, "check", "--from", file)
	if code != 1 || !strings.Contains(out, "[FAIL] GPU answering: GPU 1") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// This machine (CI's and the sessions'): a container without a GPU. The
// check leads with the container root and never suggests loading a module.
func TestCheckInAContainerWithoutGPU(t *testing.T) {
	if _, err := os.Stat("/.dockerenv"); err != nil {
		t.Skip("not a Docker container")
	}
	if _, err := os.Stat("/dev/nvidiactl"); err == nil {
		t.Skip("this container has a GPU")
	}
	code, out, _ := runArgs(t, "check")
	lines := strings.Split(out, "\n")
	first := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "[") {
			first = l
			break
		}
	}
	if code != 1 || !strings.Contains(first, "in this container") || !strings.Contains(first, "pci.gpus") {
		t.Fatalf("exit %d, first check %q:\n%s", code, first, out)
	}
	for _, bad := range []string{"$ sudo modprobe", "apt install nvidia-driver"} {
		if strings.Contains(out, bad) {
			t.Errorf("the report suggests %q inside a container:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "--gpus all") || !strings.Contains(out, "follow from a root cause") {
		t.Errorf("no way to pass a GPU in, or no followers:\n%s", out)
	}
}
