package checks

import (
	"testing"

	"github.com/gputop/gputop/model"
)

func TestPCIGPUsRule(t *testing.T) {
	second := func(f *model.Facts) model.PCIDevice {
		g := gpuInfo(1, "NVIDIA H100 80GB HBM3", 9, 0, 80*gib, 128*gib)
		return pciFor(g, 0x2330)
	}
	runRuleCases(t, pciGPUsRule, []ruleCase{
		{name: "all seen", id: "pci.gpus", want: model.Pass, evidence: []string{"1 GPU(s) on the PCI bus", "0000:18:00.0", "NVML open"}},
		{name: "one unseen", id: "pci.gpus", want: model.Fail, evidence: []string{"2 on the bus, NVML sees 1", "0000:28:00.0"}, fix: []string{"Every BAR of the missing GPUs is assigned", "power cables", "seating"},
			mutate: func(f *model.Facts) { f.PCI.Devices = append(f.PCI.Devices, second(f)) }},
		{name: "unseen RTX 5090 on a driver that predates it", id: "pci.gpus", want: model.Fail,
			fix: []string{"NVIDIA GeForce RTX 5090", "names from driver 570.86.16", "install 570.86.16 or newer"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "565.57.01"
				g := gpuInfo(1, "NVIDIA GeForce RTX 5090", 12, 0, 32*gib, 32*gib)
				f.PCI.Devices = append(f.PCI.Devices, pciFor(g, 0x2b85))
			}},
		{name: "unseen H100 the driver lists", id: "pci.gpus", want: model.Fail,
			fix:    []string{"NVIDIA H100 80GB HBM3, which driver 580.159.04 lists as supported", "power cables"},
			mutate: func(f *model.Facts) { f.PCI.Devices = append(f.PCI.Devices, second(f)) }},
		{name: "unseen with unassigned BAR", id: "pci.gpus", want: model.Fail, evidence: []string{"BAR1 unassigned"}, fix: []string{"Above 4G Decoding"},
			mutate: func(f *model.Facts) {
				d := second(f)
				d.BARs[1].Start, d.BARs[1].Unassigned = 0, true
				f.PCI.Devices = append(f.PCI.Devices, d)
			}},
		{name: "unseen in a container with a subset", id: "pci.gpus", want: model.Warn, evidence: []string{"NVIDIA_VISIBLE_DEVICES=\"0\""},
			mutate: func(f *model.Facts) {
				f.PCI.Devices = append(f.PCI.Devices, second(f))
				f.Container = model.ContainerFacts{Detected: true, Kind: "docker"}
				f.Env["NVIDIA_VISIBLE_DEVICES"] = "0"
			}},
		{name: "nouveau bound", id: "pci.gpus", want: model.Fail, evidence: []string{"nouveau holds"},
			mutate: func(f *model.Facts) {
				f.PCI.Devices[0].Driver = "nouveau"
				f.NVML = model.NVMLFacts{ErrorCode: "DRIVER_NOT_LOADED"}
			}},
		{name: "unbound while nvidia loaded", id: "pci.gpus", want: model.Fail, evidence: []string{"no driver bound"},
			mutate: func(f *model.Facts) {
				f.PCI.Devices[0].Driver = ""
				f.NVML = model.NVMLFacts{Source: "nvml", Opened: true}
			}},
		{name: "vfio-pci bound", id: "pci.gpus", want: model.Warn, evidence: []string{"vfio-pci holds"},
			mutate: func(f *model.Facts) {
				d := second(f)
				d.Driver = "vfio-pci"
				f.PCI.Devices = append(f.PCI.Devices, d)
			}},
		{name: "audio function ignored", id: "pci.gpus", want: model.Pass, evidence: []string{"1 GPU(s)"},
			mutate: func(f *model.Facts) {
				f.PCI.Devices = append(f.PCI.Devices, model.PCIDevice{BDF: "0000:18:00.1", Vendor: 0x10de, Device: 0x22ba, Class: 0x040300})
			}},
		{name: "no GPU anywhere", id: "pci.gpus", want: model.Fail, evidence: []string{"no NVIDIA display/3D controller"},
			mutate: func(f *model.Facts) { f.PCI.Devices = nil; f.NVML = model.NVMLFacts{ErrorCode: "LIBRARY_NOT_FOUND"} }},
		{name: "sysfs hides GPUs NVML sees", id: "pci.gpus", want: model.Skip,
			mutate: func(f *model.Facts) { f.PCI.Devices = nil }},
		{name: "sysfs unreadable", id: "pci.gpus", want: model.Skip,
			mutate: func(f *model.Facts) { f.PCI = model.PCIFacts{Error: "permission denied"} }},
	})
}

func TestBAR1Rule(t *testing.T) {
	setGPU := func(name string, cc1, cc2 int, mem, bar1 uint64) func(*model.Facts) {
		return func(f *model.Facts) {
			info := gpuInfo(0, name, cc1, cc2, mem, bar1)
			f.NVML.GPUs[0].Info = info
			f.PCI.Devices[0] = pciFor(info, 0x2684)
		}
	}
	runRuleCases(t, bar1Rule, []ruleCase{
		{name: "H100 128 GiB", id: "bar1.gpu0", want: model.Pass, evidence: []string{"NVML BAR1 128 GiB", "largest memory BAR in sysfs 128 GiB", "/sys/bus/pci/devices/0000:18:00.0/resource", "expected for this model: 128 GiB"}},
		{name: "RTX 4090 ReBAR off", id: "bar1.gpu0", want: model.Warn, evidence: []string{"256 MiB", "Resizable BAR is off"}, fix: []string{"firmware setup", "disable CSM"},
			mutate: setGPU("NVIDIA GeForce RTX 4090", 8, 9, 24*gib, 256*mib)},
		{name: "RTX 4090 ReBAR on", id: "bar1.gpu0", want: model.Pass,
			mutate: setGPU("NVIDIA GeForce RTX 4090", 8, 9, 24*gib, 32*gib)},
		{name: "T4 by design (public dumps only: skip)", id: "bar1.gpu0", want: model.Skip, evidence: []string{"by design", "not a Resizable BAR fault"},
			mutate: setGPU("Tesla T4", 7, 5, 16*gib, 256*mib)},
		{name: "A6000 display mode", id: "bar1.gpu0", want: model.Warn, evidence: []string{"expected for this model: 256 MiB"}, fix: []string{"Display Mode Selector"},
			mutate: setGPU("NVIDIA RTX A6000", 8, 6, 48*gib, 256*mib)},
		{name: "H100 in a VM with a small window", id: "bar1.gpu0", want: model.Warn, evidence: []string{"smaller than this model's BAR1"},
			mutate: setGPU("NVIDIA H100 80GB HBM3", 9, 0, 80*gib, 64*gib)},
		{name: "unknown card smaller than framebuffer", id: "bar1.gpu0", want: model.Warn, evidence: []string{"smaller than the framebuffer"},
			mutate: setGPU("NVIDIA Mystery 9000", 9, 0, 80*gib, 16*gib)},
		{name: "unassigned BAR", id: "bar1.gpu0", want: model.Fail, evidence: []string{"unassigned BAR1"},
			mutate: func(f *model.Facts) { f.PCI.Devices[0].BARs[1].Unassigned = true }},
		{name: "NVML silent, sysfs answers", id: "bar1.gpu0", want: model.Pass, evidence: []string{"largest memory BAR in sysfs 128 GiB"},
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Info.BAR1Total = model.None[uint64]() }},
		{name: "nobody answers", id: "bar1.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Info.BAR1Total = model.None[uint64](); f.PCI.Devices = nil }},
		{name: "unknown card, unknown framebuffer", id: "bar1.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) {
				setGPU("NVIDIA Mystery 9000", 9, 0, 80*gib, 16*gib)(f)
				f.NVML.GPUs[0].Info.MemoryTotal = model.None[uint64]()
			}},
		{name: "GPU NVML cannot see with an unassigned BAR", id: "bar1.pci-0000:28:00.0", want: model.Fail, evidence: []string{"BAR1 (128 GiB wanted"},
			mutate: func(f *model.Facts) {
				info := gpuInfo(1, "x", 9, 0, 80*gib, 128*gib)
				d := pciFor(info, 0x2330)
				d.BARs[1].Start, d.BARs[1].Unassigned = 0, true
				f.PCI.Devices = append(f.PCI.Devices, d)
			}},
	})
}
