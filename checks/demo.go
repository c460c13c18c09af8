package checks

import (
	"fmt"
	"strings"

	"github.com/gputop/gputop/model"
)

// Demo host: a plausible machine around the simulated fleet, built so the
// checklist shows every status with a real fix: driver 570.124.06 (open),
// nvcc 12.8 on PATH while /usr/local/cuda points at 12.4, two cuDNNs, and a
// PyTorch (2.5.1+cu124) that lacks sm_120 for the RTX 5090.
const (
	demoDriver     = "570.124.06"
	demoCUDADriver = 12080
)

// demoPCIIDs gives the fleet's models their real PCI device ids.
var demoPCIIDs = []struct {
	token string
	id    uint16
}{
	{"H100 80GB HBM3", 0x2330},
	{"A100-SXM4-40GB", 0x20b0},
	{"RTX 4090", 0x2684},
	{"RTX 5090", 0x2b85},
	{"T4", 0x1eb8},
}

// DemoFacts synthesises the host around NVML facts from the simulated fleet
// (`gputop --demo`). Readings the simulation leaves unavailable for host
// configuration (persistence, compute mode, MIG) are filled in: persistence
// is off on GPU 3.
func DemoFacts(nvml model.NVMLFacts) model.Facts {
	nvml.GPUs = append([]model.GPUFacts(nil), nvml.GPUs...)
	if nvml.Source == "" {
		nvml.Source = "demo"
	}
	if nvml.DriverVersion == "" {
		nvml.DriverVersion = demoDriver
	}
	if nvml.NVMLVersion == "" {
		nvml.NVMLVersion = "12." + demoDriver
	}
	if !nvml.CUDADriverVersion.OK {
		nvml.CUDADriverVersion = model.Some(demoCUDADriver)
	}
	if !nvml.Opened && nvml.ErrorCode == "" {
		nvml.Opened = true
	}
	drv := nvml.DriverVersion

	f := model.Facts{
		Collected: model.Now(),
		Host:      "gputop-demo",
		Source:    "demo",
		KernelModule: model.KernelModuleFacts{
			Loaded:      true,
			VersionText: "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  " + drv + "  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Feb 25 03:12:43 UTC 2025",
			Version:     drv,
			Open:        model.Some(true),
		},
		NVMLLibrary: model.LibraryFacts{Found: true, Path: "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
			RealPath: "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so." + drv, Version: drv},
		CUDALibrary: model.LibraryFacts{Found: true, Path: "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
			RealPath: "/usr/lib/x86_64-linux-gnu/libcuda.so." + drv, Version: drv},
		PCI: model.PCIFacts{Readable: true, Devices: []model.PCIDevice{}},
		NVCC: model.NVCCFacts{Found: true, Path: "/usr/local/cuda-12.8/bin/nvcc", ResolvedPath: "/usr/local/cuda-12.8/bin/nvcc",
			Version: "12.8", Build: "12.8.93", Output: "Cuda compilation tools, release 12.8, V12.8.93"},
		CUDALink: model.CUDAInstall{Path: "/usr/local/cuda", Exists: true, Chain: []string{"/etc/alternatives/cuda", "/usr/local/cuda-12.4"},
			Resolved: "/usr/local/cuda-12.4", Version: "12.4.1", VersionSource: "version.json"},
		Toolkits: []model.CUDAInstall{
			{Path: "/usr/local/cuda-12.4", Exists: true, Resolved: "/usr/local/cuda-12.4", Version: "12.4.1", VersionSource: "version.json"},
			{Path: "/usr/local/cuda-12.8", Exists: true, Resolved: "/usr/local/cuda-12.8", Version: "12.8.1", VersionSource: "version.json"},
		},
		CuDNN: []model.CuDNNInstall{
			{Header: "/usr/include/x86_64-linux-gnu/cudnn_version_v9.h", Origin: "system", Version: "9.8.0", CUDAMajor: model.Some(12)},
			{Header: "/usr/local/lib/python3.12/dist-packages/nvidia/cudnn/include/cudnn_version.h", Origin: "pip", Version: "9.1.0", CUDAMajor: model.Some(12)},
		},
		Torch: []model.TorchInstall{
			{Path: "/usr/local/lib/python3.12/dist-packages/torch/version.py", Version: "2.5.1+cu124", CUDA: "12.4"},
		},
		SiteDirs: []string{"/usr/local/lib/python3.12/dist-packages", "/usr/lib/python3/dist-packages"},
		DevNodes: model.DevNodeFacts{Nodes: []model.DevNode{
			{Path: "/dev/nvidia-uvm", Accessible: true}, {Path: "/dev/nvidia-uvm-tools", Accessible: true}, {Path: "/dev/nvidiactl", Accessible: true},
		}},
		Env: map[string]string{},
	}
	for i := range nvml.GPUs {
		g := &nvml.GPUs[i]
		if g.Info.BusID == "" {
			g.Info.BusID = fmt.Sprintf("00000000:%02X:00.0", 0x18+i*0x10)
		}
		f.PCI.Devices = append(f.PCI.Devices, demoPCIDevice(g.Info))
		f.DevNodes.Nodes = append(f.DevNodes.Nodes, model.DevNode{Path: fmt.Sprintf("/dev/nvidia%d", g.Info.Index), Accessible: true})
		demoHostConfig(g)
	}
	f.Environment = demoEnvironment(drv) // demo_env.go
	f.NVML = nvml
	return f
}

func demoPCIDevice(g model.GPUInfo) model.PCIDevice {
	id := g.PCIDeviceID
	if !id.OK {
		for _, p := range demoPCIIDs {
			if strings.Contains(g.Name, p.token) {
				id = model.Some(p.id)
				break
			}
		}
	}
	class := uint32(0x030200)
	if isConsumer(g.Name) {
		class = 0x030000
	}
	bdf := normBDF(g.BusID)
	bar1 := g.BAR1Total.Or(256 * mib)
	return model.PCIDevice{BDF: bdf, Vendor: 0x10de, Device: id.Or(0x2330), Class: class, Driver: "nvidia",
		BARs: []model.PCIBAR{
			{Index: 0, Start: 0xfa000000, Size: 16 * mib, Flags: 0x40200},
			{Index: 1, Start: 0x38000000000, Size: bar1, Flags: 0x14220c},
			{Index: 3, Start: 0x3a000000000, Size: 32 * mib, Flags: 0x14220c},
		}}
}

// demoHostConfig fills the configuration the simulation does not model.
func demoHostConfig(g *model.GPUFacts) {
	if !g.Slow.OK {
		g.Slow = model.Some(model.SlowSample{Time: model.Now()})
	}
	s := &g.Slow.V
	if !s.Persistence.OK {
		s.Persistence = model.Some(g.Info.Index != 3)
	}
	if !s.ComputeMode.OK {
		s.ComputeMode = model.Some(0)
	}
	if !s.MIGCurrent.OK && !isConsumer(g.Info.Name) && !strings.Contains(g.Info.Name, "T4") {
		s.MIGCurrent, s.MIGPending = model.Some(0), model.Some(0)
	}
}
