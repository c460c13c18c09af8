package checks

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

func gpuInfo(index int, name string, ccMajor, ccMinor int, mem, bar1 uint64) model.GPUInfo {
	return model.GPUInfo{
		Index: index, Name: name, UUID: fmt.Sprintf("GPU-%08d", index),
		BusID:   fmt.Sprintf("00000000:%02X:00.0", 0x18+index*0x10),
		CCMajor: model.Some(ccMajor), CCMinor: model.Some(ccMinor),
		MemoryTotal: model.Some(mem), BAR1Total: model.Some(bar1),
		PowerLimitDefault: model.Some(uint32(700000)),
		MaxPCIeGen:        model.Some(5), MaxPCIeWidth: model.Some(16), GPUMaxPCIeGen: model.Some(5),
	}
}

func h100(index int) model.GPUFacts {
	return model.GPUFacts{
		Info: gpuInfo(index, "NVIDIA H100 80GB HBM3", 9, 0, 80*gib, 128*gib),
		Sample: model.Some(model.Sample{
			UtilGPU: model.Some(uint32(0)), PowerLimit: model.Some(uint32(700000)), PowerDraw: model.Some(uint32(70000)),
			TempGPU: model.Some(int32(30)), ThrottleReasons: model.Some(model.ThrottleIdle),
		}),
		Slow: model.Some(model.SlowSample{
			PCIeGen: model.Some(5), PCIeWidth: model.Some(16), PCIeReplays: model.Some(uint64(0)),
			ECCEnabled: model.Some(true), ECCVolatileUncorrected: model.Some(uint64(0)), ECCVolatileCorrected: model.Some(uint64(0)),
			ECCAggregateUncorrected: model.Some(uint64(0)),
			RowRemapPending:         model.Some(false), RowRemapFailure: model.Some(false), RowRemapUncorrectable: model.Some(0),
			Persistence: model.Some(true), ComputeMode: model.Some(0), MIGCurrent: model.Some(0), MIGPending: model.Some(0),
		}),
	}
}

func pciFor(g model.GPUInfo, device uint16) model.PCIDevice {
	return model.PCIDevice{BDF: normBDF(g.BusID), Vendor: 0x10de, Device: device, Class: 0x030200, Driver: "nvidia",
		BARs: []model.PCIBAR{{Index: 0, Start: 0xfa000000, Size: 16 * mib, Flags: 0x40200}, {Index: 1, Start: 0x38000000000, Size: g.BAR1Total.V, Flags: 0x14220c}}}
}

// healthyFacts is the measured H100 machine of measurements.md, where every
// check that can decide passes.
func healthyFacts() model.Facts {
	g := h100(0)
	return model.Facts{
		Source: "probe", Host: "h100",
		Environment: model.EnvironmentFacts{Probed: true}, // environment probes ran: nothing special (rules_env.go)
		KernelModule: model.KernelModuleFacts{Loaded: true, Version: "580.159.04", Open: model.Some(true),
			VersionText: "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build"},
		NVMLLibrary: model.LibraryFacts{Found: true, Path: "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", RealPath: "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.159.04", Version: "580.159.04"},
		CUDALibrary: model.LibraryFacts{Found: true, Path: "/usr/lib/x86_64-linux-gnu/libcuda.so.1", RealPath: "/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04", Version: "580.159.04"},
		PCI:         model.PCIFacts{Readable: true, Devices: []model.PCIDevice{pciFor(g.Info, 0x2330)}},
		NVCC:        model.NVCCFacts{Found: true, Path: "/usr/local/cuda/bin/nvcc", ResolvedPath: "/usr/local/cuda-13.0/bin/nvcc", Version: "13.0", Build: "13.0.88", Output: "Cuda compilation tools, release 13.0, V13.0.88"},
		CUDALink: model.CUDAInstall{Path: "/usr/local/cuda", Exists: true, Chain: []string{"/etc/alternatives/cuda", "/usr/local/cuda-13.0"},
			Resolved: "/usr/local/cuda-13.0", Version: "13.0", VersionSource: "cuda_runtime_api.h CUDART_VERSION"},
		Toolkits: []model.CUDAInstall{{Path: "/usr/local/cuda-13.0", Exists: true, Resolved: "/usr/local/cuda-13.0", Version: "13.0", VersionSource: "cuda_runtime_api.h CUDART_VERSION"}},
		CuDNN: []model.CuDNNInstall{
			{Header: "/usr/include/x86_64-linux-gnu/cudnn_version_v9.h", Origin: "system", Version: "9.14.0", CUDAMajor: model.Some(13)},
		},
		Torch:     []model.TorchInstall{{Path: "/usr/local/lib/python3.12/dist-packages/torch/version.py", Version: "2.11.0+cu130", CUDA: "13.0"}},
		DevNodes:  model.DevNodeFacts{Nodes: []model.DevNode{{Path: "/dev/nvidiactl", Accessible: true}, {Path: "/dev/nvidia0", Accessible: true}}},
		Env:       map[string]string{},
		KernelLog: model.KernelLogFacts{Read: true, Source: "dmesg", Bytes: 81234},
		Stack:     model.StackFacts{Probed: true, NCCLEnv: map[string]string{}},
		NVML: model.NVMLFacts{Source: "nvml", Opened: true, DriverVersion: "580.159.04", NVMLVersion: "13.580.159.04",
			CUDADriverVersion: model.Some(13000), GPUs: []model.GPUFacts{g}},
	}
}

func findResult(t *testing.T, rs []model.CheckResult, id string) model.CheckResult {
	t.Helper()
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	t.Fatalf("no result %q among %v", id, ids)
	return model.CheckResult{}
}

// ruleCase is one row of a rule's table test: a change to the healthy
// facts and the status the result with id must have.
type ruleCase struct {
	name   string
	mutate func(*model.Facts)
	id     string
	want   model.Status
	// evidence must contain these (values and where they came from).
	evidence []string
	fix      []string // the fix text must contain these
}

func runRuleCases(t *testing.T, rule func(*model.Facts) []model.CheckResult, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := healthyFacts()
			if tc.mutate != nil {
				tc.mutate(&f)
			}
			all := rule(&f)
			checkCommands(t, all)
			r := findResult(t, all, tc.id)
			if r.Status != tc.want {
				t.Fatalf("%s: status %s, want %s; evidence: %s", tc.id, r.Status, tc.want, r.Evidence)
			}
			for _, e := range tc.evidence {
				if !contains(r.Evidence, e) {
					t.Errorf("%s: evidence %q lacks %q", tc.id, r.Evidence, e)
				}
			}
			for _, x := range tc.fix {
				if !contains(r.Fix, x) {
					t.Errorf("%s: fix %q lacks %q", tc.id, r.Fix, x)
				}
			}
			if (r.Status == model.Fail || r.Status == model.Warn) && r.Fix == "" {
				t.Errorf("%s: %s without a fix", tc.id, r.Status)
			}
			if r.Evidence == "" {
				t.Errorf("%s: empty evidence", tc.id)
			}
			if r.Title == "" {
				t.Errorf("%s: empty title", tc.id)
			}
		})
	}
}

func contains(s, sub string) bool { return len(sub) == 0 || indexOf(s, sub) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

var perGPUID = regexp.MustCompile(`\.gpu\d+$`)

// checkCommands enforces the house rule: a command that changes the machine
// (sudo, or an nvidia-smi setting or reset) says what it does in a comment.
func checkCommands(t *testing.T, rs []model.CheckResult) {
	t.Helper()
	for _, r := range rs {
		for _, c := range r.Commands {
			readOnly := strings.HasPrefix(c, "sudo dmesg")
			changes := strings.Contains(c, "sudo ") || strings.Contains(c, "nvidia-smi -r") || strings.Contains(c, "nvidia-smi -pm") ||
				strings.Contains(c, "nvidia-smi -pl") || strings.Contains(c, "nvidia-smi -c") || strings.Contains(c, "-mig")
			if changes && !readOnly && !strings.Contains(c, "  # ") {
				t.Errorf("%s: command %q changes the machine without saying what it does", r.ID, c)
			}
		}
		if r.GPU.OK != perGPUID.MatchString(r.ID) {
			t.Errorf("%s: GPU field %v does not match the id", r.ID, r.GPU)
		}
	}
}
