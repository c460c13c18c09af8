package checks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gputop/gputop/checks/knowledge"
	"github.com/gputop/gputop/model"
)

// pciGPUsRule compares the GPUs on the PCI bus with those NVML sees.
func pciGPUsRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "pci.gpus", Title: "GPUs on the PCI bus vs GPUs the driver sees",
		Why: "A GPU present on the bus but missing from NVML was not initialised: firmware could not map its memory (Above 4G decoding), it lacks power, another driver holds it, or the driver does not support it."}
	if !f.PCI.Readable {
		r.Status = model.Skip
		r.Evidence = "cannot list /sys/bus/pci/devices: " + f.PCI.Error
		return []model.CheckResult{r}
	}
	var gpus []model.PCIDevice
	for _, d := range f.PCI.Devices {
		if d.IsGPU() {
			gpus = append(gpus, d)
		}
	}
	nvmlCount := len(f.NVML.GPUs)
	if inContainerWithoutGPU(f) {
		return []model.CheckResult{containerNoGPU(f, r, len(gpus))}
	}
	if len(gpus) == 0 {
		if f.NVML.Opened && nvmlCount > 0 {
			r.Status = model.Skip
			r.Evidence = fmt.Sprintf("sysfs lists no NVIDIA GPU while NVML sees %d (a VM or container hiding the PCI tree)", nvmlCount)
			return []model.CheckResult{r}
		}
		r.Status, r.Cause = model.Fail, "no-gpu-on-bus"
		r.Title = "No NVIDIA GPU on this machine's PCI bus"
		r.Evidence = "no NVIDIA display/3D controller (vendor 0x10de, class 0x0300/0x0302) in /sys/bus/pci/devices; " + nvmlStatus(f)
		r.Why = "Without an NVIDIA GPU on the PCI bus there is nothing for the driver to drive: every driver, NVML and CUDA check fails as a consequence."
		r.Fix = "No NVIDIA GPU is on this machine's PCI bus, so installing or loading a driver cannot help. In a VM, attach the GPU (PCI passthrough or vGPU) in the hypervisor; on bare metal, power off, reseat the card, connect its PCIe power cables, and check that the slot is enabled in firmware setup."
		r.Commands = []string{"lspci -nn | grep -i nvidia", "cat /sys/class/dmi/id/sys_vendor /sys/class/dmi/id/product_name  # a hypervisor's name here means a VM"}
		var fell []string
		for _, x := range f.KernelLog.Xids {
			if x.Xid == 79 {
				fell = append(fell, x.BDF)
			}
		}
		if len(fell) > 0 {
			// It was there: Xid 79 says the GPU fell off the bus since boot.
			r.Evidence += "; but the kernel log has Xid 79 (GPU has fallen off the bus) for " + strings.Join(dedupe(fell), ", ") + " since boot: the GPU was there and dropped off"
			r.Fix = "A GPU fell off the bus (Xid 79) and vanished from the PCI bus: reboot the machine (a cold power cycle if it does not come back), then reseat the card and its riser, check its PCIe power cables and the power supply; if it repeats, the card or slot is failing."
			r.Commands = []string{"sudo dmesg | grep -iE 'xid|fallen off|aer'", "sudo reboot  # the GPU can come back only after a reboot: stops everything on this machine"}
		}
		return []model.CheckResult{r}
	}

	seen := map[string]bool{}
	for _, g := range f.NVML.GPUs {
		seen[normBDF(g.Info.BusID)] = true
	}
	var lines, nouveau, vfio, unbound, unseen []string
	var unseenAssigned []model.PCIDevice
	anyUnassigned := false
	for _, d := range gpus {
		line := fmt.Sprintf("%s 10de:%04x driver=%s", d.BDF, d.Device, orDash(d.Driver))
		if row, ok := knowledge.ArchOfPCIID(d.Device); ok {
			line += " [" + row.Family + " by PCI id]"
			cite(&r, row.Provenance)
		}
		devUnassigned := false
		for _, b := range d.BARs {
			if b.Unassigned {
				anyUnassigned, devUnassigned = true, true
				line += fmt.Sprintf(" BAR%d unassigned", b.Index)
			}
		}
		if f.NVML.Opened && !seen[normBDF(d.BDF)] && d.Driver != "vfio-pci" && !devUnassigned {
			unseenAssigned = append(unseenAssigned, d)
		}
		lines = append(lines, line)
		switch d.Driver {
		case "nouveau":
			nouveau = append(nouveau, d.BDF)
		case "vfio-pci":
			vfio = append(vfio, d.BDF)
		case "":
			unbound = append(unbound, d.BDF)
		}
		if f.NVML.Opened && !seen[normBDF(d.BDF)] && d.Driver != "vfio-pci" {
			unseen = append(unseen, d.BDF)
		}
	}
	r.Evidence = fmt.Sprintf("%d GPU(s) on the PCI bus (/sys/bus/pci/devices): %s; %s", len(gpus), strings.Join(lines, ", "), nvmlStatus(f))
	r.Status = model.Pass
	if !f.NVML.Opened && len(nouveau) == 0 && len(vfio) == 0 {
		// Nothing to compare with: the driver does not answer. Not a pass.
		r.Status = model.Skip
		r.Evidence += "; the driver does not answer, so which GPUs it sees cannot be compared (see driver.loaded, nvml.library)"
		return []model.CheckResult{r}
	}
	var fixes, cmds []string
	if len(nouveau) > 0 {
		r.Status, r.Cause = model.Fail, "nouveau"
		r.Evidence = "nouveau holds " + strings.Join(nouveau, ", ") + "; " + r.Evidence
		fixes = append(fixes, "Blacklist nouveau (it holds the GPU so the nvidia module cannot), rebuild the initramfs and reboot.")
		cmds = append(cmds, "echo -e 'blacklist nouveau\\noptions nouveau modeset=0' | sudo tee /etc/modprobe.d/blacklist-nouveau.conf  # stops nouveau from loading at boot",
			"sudo update-initramfs -u  # Debian/Ubuntu; dracut -f on RHEL/Fedora")
	}
	if len(unbound) > 0 && f.KernelModule.Loaded {
		r.Status = model.Fail
		r.Evidence = "no driver bound to " + strings.Join(unbound, ", ") + "; " + r.Evidence
		fixes = append(fixes, "The nvidia module is loaded but did not take these GPUs: the kernel log says why (RmInitAdapter failed, BAR can't assign, requires the open kernel modules).")
		cmds = append(cmds, "sudo dmesg | grep -iE 'nvrm|BAR.*assign|RmInitAdapter'")
	}
	if len(unseen) > 0 {
		unseenStatus := model.Fail
		detail := fmt.Sprintf("%d on the bus, NVML sees %d; missing: %s", len(gpus)-len(vfio), nvmlCount, strings.Join(unseen, ", "))
		if nv, ok := f.Env["NVIDIA_VISIBLE_DEVICES"]; f.Container.Detected && (!ok || nv != "all") {
			// A container sees the host's PCI tree but only the GPUs it was given.
			unseenStatus = model.Warn
			detail += fmt.Sprintf(" (inside a %s container, NVIDIA_VISIBLE_DEVICES=%q: expected if the container was given a subset)", f.Container.Kind, nv)
		}
		r.Status = worst(r.Status, unseenStatus)
		r.Cause = "unseen"
		r.Evidence = detail + "; " + r.Evidence
		// Lead with the cause the evidence names: unassigned BARs, NVML's
		// own error for a GPU, or the driver's kernel log line; Above 4G
		// decoding leads only when a BAR is unassigned.
		if anyUnassigned {
			fixes = append(fixes, "Some of their BARs are unassigned: the firmware found no address space for them, the classic sign of Above 4G decoding being off. Enable \"Above 4G Decoding\" and \"Resizable BAR\" in firmware setup and disable CSM (boot UEFI); in a VM use UEFI firmware with a large 64-bit MMIO window.")
		}
		if len(unseenAssigned) > 0 {
			var nvmlCauses, logCauses []string
			for _, g := range f.NVML.GPUs {
				if g.Health.State == model.Lost || g.Health.State == model.Failed {
					nvmlCauses = append(nvmlCauses, fmt.Sprintf("NVML reports GPU %d %s (%s): see health.gpu%d", g.Info.Index, g.Health.State, orDash(g.Health.Reason), g.Info.Index))
				}
			}
			for _, n := range f.KernelLog.Notes {
				if strings.Contains(n, "NVRM") {
					logCauses = append(logCauses, bounded(n, 160))
				}
			}
			switch {
			case len(nvmlCauses) > 0:
				r.Evidence += "; " + strings.Join(nvmlCauses, "; ")
				fixes = append(fixes, "NVML names the cause for the missing GPU(s): follow health.gpuN's fix.")
			case len(logCauses) > 0:
				r.Evidence += "; kernel log: " + strings.Join(logCauses, " | ")
				fixes = append(fixes, "The driver's kernel log names why it did not take the GPU (quoted above).")
			}
			fixes = append(fixes, unseenCause(f, unseenAssigned))
		}
		cmds = append(cmds, "nvidia-smi -L", "sudo dmesg | grep -iE 'nvrm|BAR.*assign|RmInitAdapter|invalid|open kernel modules'")
	}
	if len(vfio) > 0 {
		r.Status = worst(r.Status, model.Warn)
		r.Evidence = "vfio-pci holds " + strings.Join(vfio, ", ") + " (reserved for VM passthrough); " + r.Evidence
		fixes = append(fixes, "vfio-pci reserves GPUs for virtual machines; if this host should use them, remove their ids from the vfio-pci.ids kernel parameter / modprobe options and reboot.")
		cmds = append(cmds, "grep -r vfio /etc/modprobe.d /proc/cmdline")
	}
	r.Fix = strings.Join(fixes, " ")
	r.Commands = cmds
	return []model.CheckResult{r}
}

// isConsumer: a GeForce/TITAN card or an RTX workstation card (not a
// data-center GPU).
func isConsumer(name string) bool { return !isDataCenterName(name) && name != "" }

// unseenCause explains GPUs on the bus, with every BAR assigned, that NVML
// does not list: firmware address space is not the cause, so the fix leads
// with what the PCI id says about the driver, then power and the kernel log.
func unseenCause(f *model.Facts, devs []model.PCIDevice) string {
	var notes, listNotes []string
	drv, _, drvOK := driverVersion(f)
	for _, d := range devs {
		// NVIDIA's own list first: it names the card and the first release
		// of each branch whose open module drives it.
		if card, ok := knowledge.OpenModuleCardOf(d.Device); ok && drvOK {
			row, _ := knowledge.ArchOfPCIID(d.Device)
			listed, known := card.ListedBy(drv)
			switch {
			case known && !listed && row.Module == knowledge.OpenOnly:
				first := card.First()
				if v, ok := card.FirstInBranch(drv.Major()); ok {
					first = v
				}
				listNotes = append(listNotes, fmt.Sprintf("%s (10de:%04x) is an %s, which NVIDIA's open-module list names from driver %s; driver %s predates it: install %s or newer", d.BDF, d.Device, card.Name, first, drv, first))
				continue
			case listed:
				listNotes = append(listNotes, fmt.Sprintf("%s (10de:%04x) is an %s, which driver %s lists as supported", d.BDF, d.Device, card.Name, drv))
			}
		}
		row, ok := knowledge.ArchOfPCIID(d.Device)
		if !ok {
			continue
		}
		what := fmt.Sprintf("%s (10de:%04x) looks like %s by its PCI id", d.BDF, d.Device, row.Family)
		switch {
		case drvOK && row.MinBranch != 0 && drv.Major() < row.MinBranch:
			notes = append(notes, fmt.Sprintf("%s, which needs driver R%d or newer (this is %s)", what, row.MinBranch, drv))
		case drvOK && row.LastBranch != 0 && drv.Major() > row.LastBranch:
			notes = append(notes, fmt.Sprintf("%s, whose last driver branch is R%d (this is %s)", what, row.LastBranch, drv))
		case f.KernelModule.Open.OK && !f.KernelModule.Open.V && row.Module == knowledge.OpenOnly:
			notes = append(notes, what+", which needs the open kernel module (the proprietary one is loaded)")
		case f.KernelModule.Open.OK && f.KernelModule.Open.V && row.Module == knowledge.ProprietaryOnly:
			notes = append(notes, what+", which the open kernel module cannot drive")
		}
	}
	text := "Every BAR of the missing GPUs is assigned, so firmware address space is not the cause."
	if len(listNotes) > 0 {
		text += " " + strings.Join(listNotes, "; ") + "."
	}
	if len(notes) > 0 {
		text += " " + strings.Join(notes, "; ") + " (PCI id ranges are not an NVIDIA list: confirm in the kernel log)."
	}
	return text + " Check the GPU's power cables and seating, and read the kernel log for RmInitAdapter / Xid lines."
}

var rebarFix = "Enable Resizable BAR: in firmware setup turn on \"Above 4G Decoding\" and \"Resizable BAR\" (sometimes \"Re-Size BAR Support\"), disable CSM so the machine boots UEFI, update the motherboard firmware and the GPU VBIOS if ReBAR is missing, then reboot and check BAR1 again."

// bar1Rule judges each GPU's BAR1 aperture.
func bar1Rule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	seen := map[string]bool{}
	for _, g := range f.NVML.GPUs {
		seen[normBDF(g.Info.BusID)] = true
		if note, stale := notCurrent(g); stale {
			r := gpuResult("bar1", "BAR1 / Resizable BAR", g.Info)
			r.Status, r.Evidence = model.Skip, note
			out = append(out, r)
			continue
		}
		out = append(out, bar1ForGPU(f, g.Info))
	}
	// GPUs NVML cannot see: an unassigned BAR is the likely reason.
	for _, d := range f.PCI.Devices {
		if !d.IsGPU() || seen[normBDF(d.BDF)] {
			continue
		}
		var un []string
		for _, b := range d.BARs {
			if b.Unassigned {
				un = append(un, fmt.Sprintf("BAR%d (%s wanted, start 0x%x, flags 0x%x)", b.Index, bytesString(b.Size), b.Start, b.Flags))
			}
		}
		if len(un) == 0 {
			continue
		}
		out = append(out, model.CheckResult{ID: "bar1.pci-" + d.BDF, Title: "BAR assignment: PCI " + d.BDF, Status: model.Fail,
			Evidence: "unassigned in /sys/bus/pci/devices/" + d.BDF + "/resource: " + strings.Join(un, ", "),
			Why:      "The firmware found no address space for the GPU's memory window, so the driver cannot initialise it (kernel log: \"BAR 1 ... can't assign; no space\", \"This PCI I/O region assigned to your NVIDIA device is invalid\").",
			Fix:      "Enable \"Above 4G Decoding\" (and Resizable BAR) in firmware setup, disable CSM; in a VM use UEFI firmware with a large 64-bit MMIO window.",
			Commands: []string{"sudo dmesg | grep -iE 'BAR.*assign|NVRM.*invalid|BAR1 is 0M'"}})
	}
	return out
}

func bar1ForGPU(f *model.Facts, g model.GPUInfo) model.CheckResult {
	r := gpuResult("bar1", "BAR1 / Resizable BAR", g)
	r.Why = "BAR1 is the window through which the CPU and other devices (GPUDirect RDMA, peer copies) reach GPU memory. With Resizable BAR off a consumer card exposes 256 MiB; when firmware cannot place it at all, the GPU does not initialise."
	var ev []string
	bar1 := g.BAR1Total
	if bar1.OK {
		ev = append(ev, "NVML BAR1 "+bytesString(bar1.V))
	}
	if g.MemoryTotal.OK {
		ev = append(ev, "framebuffer "+bytesString(g.MemoryTotal.V)+" (NVML)")
	}
	dev, onBus := pciByBDF(f, g.BusID)
	if onBus {
		var un []string
		for _, b := range dev.BARs {
			if b.Unassigned {
				un = append(un, "BAR"+strconv.Itoa(b.Index))
			}
		}
		if big := dev.LargestMemBAR(); big.OK {
			ev = append(ev, "largest memory BAR in sysfs "+bytesString(big.V)+" (/sys/bus/pci/devices/"+dev.BDF+"/resource)")
			if bar1.OK && big.V != bar1.V {
				ev = append(ev, "NVML and sysfs disagree")
			}
			if !bar1.OK {
				bar1 = big
			}
		}
		if len(un) > 0 {
			r.Status = model.Fail
			r.Evidence = joinSentences(append([]string{"unassigned " + strings.Join(un, ", ") + " in sysfs"}, ev...))
			r.Fix = "Enable \"Above 4G Decoding\" in firmware setup and disable CSM; in a VM enlarge the 64-bit MMIO window."
			r.Commands = []string{"sudo dmesg | grep -iE 'BAR.*assign|BAR1 is 0M'"}
			return r
		}
	}
	if p := f.KernelModule.EnableResizableBar; p.OK {
		ev = append(ev, "EnableResizableBar: "+strconv.Itoa(p.V)+" (/proc/driver/nvidia/params)")
	}
	var pciID uint16
	if onBus {
		pciID = dev.Device
	}
	row, known := knowledge.Bar1Of(g.Name, pciID)
	if known {
		ev = append(ev, "expected for this model: "+bytesString(row.BAR1)+unconfirmedNote(row.Provenance))
		cite(&r, row.Provenance)
	}
	r.Evidence = joinSentences(ev)
	if !bar1.OK {
		r.Status = model.Skip
		r.Evidence = joinSentences([]string{"BAR1 size not reported by NVML nor sysfs", r.Evidence})
		return r
	}
	small := bar1.V <= 256*mib
	// pass only on a confirmed row (or on BAR1 covering the framebuffer,
	// which needs no table); an unconfirmed row can only warn or skip.
	confirmed := known && row.Confirmed()
	rebar, rebarKnown, rebarProv := knowledge.GeForceReBAR(g.Name)
	switch {
	case known && row.SmallByDesign && small:
		r.Status = model.Skip
		if confirmed {
			r.Status = model.Pass
		}
		r.Evidence += "; 256 MiB is this model's BAR1 by design, not a Resizable BAR fault"
	case known && row.DisplayMode && small:
		r.Status = model.Warn
		r.Fix = "This card is in display mode (256 MiB BAR1). For compute/GPUDirect work switch it to compute mode with NVIDIA's Display Mode Selector tool (it rewrites the card's mode; reboot afterwards)."
	case small && knowledge.IsGeForce(g.Name) && rebarKnown && !rebar:
		r.Status = model.Skip
		r.Evidence += "; this GeForce predates Resizable BAR (RTX 30 and newer have it), so 256 MiB is its normal BAR1, not a fault" + unconfirmedNote(rebarProv)
		cite(&r, rebarProv)
	case small && knowledge.IsGeForce(g.Name) && rebarKnown && rebar:
		r.Status = model.Warn
		r.Evidence += "; an RTX 30-series or newer GeForce at 256 MiB means Resizable BAR is off" + unconfirmedNote(rebarProv)
		cite(&r, rebarProv)
		r.Fix = rebarFix
		r.Commands = []string{"nvidia-smi -q -d MEMORY -i " + strconv.Itoa(g.Index) + " | grep -A3 BAR1", "grep -i resizable /proc/driver/nvidia/params"}
	case g.MemoryTotal.OK && bar1.V >= g.MemoryTotal.V:
		r.Status = model.Pass
		r.Evidence += "; BAR1 covers the whole framebuffer"
	case known && bar1.V < row.BAR1:
		r.Status = model.Warn
		r.Evidence += "; smaller than this model's BAR1"
		r.Fix = "The platform gave the GPU a smaller window than it asks for: enable Above 4G Decoding / Resizable BAR in firmware; in a VM enlarge the 64-bit MMIO window (e.g. QEMU/OVMF: a larger 64-bit PCI hole)."
	case confirmed:
		r.Status = model.Pass
	case known:
		r.Status = model.Skip
		r.Evidence += "; matches the expected size, which no primary source confirms"
	case small && g.MemoryTotal.OK:
		r.Status = model.Skip
		r.Evidence += "; 256 MiB with a larger framebuffer: Resizable BAR is off or unsupported on this model, which gputop cannot tell"
	case g.MemoryTotal.OK:
		r.Status = model.Warn
		r.Evidence += "; BAR1 is smaller than the framebuffer"
		r.Fix = "If this card supports Resizable BAR: " + rebarFix
	default:
		r.Status = model.Skip
		r.Evidence += "; framebuffer size unknown and model not in the BAR1 table"
	}
	return r
}

// inContainerWithoutGPU: inside a container that was given no GPU: no
// /dev/nvidiactl or /dev/nvidiaN node and NVML could not open. The value of
// NVIDIA_VISIBLE_DEVICES proves nothing: CUDA base images set it to "all"
// themselves, and without the NVIDIA runtime nobody acts on it.
func inContainerWithoutGPU(f *model.Facts) bool {
	if !f.Container.Detected || f.NVML.Opened || !f.Recorded("dev_nodes") {
		return false
	}
	for _, n := range f.DevNodes.Nodes {
		if gpuNodeRE.MatchString(n.Path) || n.Path == "/dev/nvidiactl" {
			return false
		}
	}
	return true
}

// containerNoGPU is pci.gpus's root cause inside a container without a
// GPU: the GPU is passed in by the runtime on the host, never installed or
// loaded inside the container. Sources: NVIDIA Container Toolkit docs
// (docker --gpus, --runtime=nvidia, CDI) and the NVIDIA device plugin for
// Kubernetes (resource nvidia.com/gpu).
func containerNoGPU(f *model.Facts, r model.CheckResult, onBus int) model.CheckResult {
	r.Status, r.Cause = model.Fail, "container-no-gpu"
	kind := f.Container.Kind
	if kind == "" {
		kind = "container"
	}
	nv, set := f.Env["NVIDIA_VISIBLE_DEVICES"]
	nvText := "NVIDIA_VISIBLE_DEVICES unset"
	if set {
		nvText = "NVIDIA_VISIBLE_DEVICES=" + strconv.Quote(nv)
		switch strings.ToLower(strings.TrimSpace(nv)) {
		case "", "void", "none":
		default:
			nvText += " but no device was passed: the variable comes from the image and only the NVIDIA runtime acts on it (it did not run)"
		}
	}
	if onBus == 0 {
		r.Title = "No NVIDIA GPU on this machine's PCI bus / in this container"
		r.Evidence = fmt.Sprintf("inside a %s container (%s); no NVIDIA GPU in /sys/bus/pci/devices; no /dev/nvidia* nodes; %s; %s", kind, f.Container.Evidence, nvText, nvmlStatus(f))
	} else {
		r.Title = "No NVIDIA GPU passed into this container"
		r.Evidence = fmt.Sprintf("inside a %s container (%s); the host has %d NVIDIA GPU(s) on its PCI bus (/sys/bus/pci/devices) but none was passed in: no /dev/nvidia* nodes; %s; %s", kind, f.Container.Evidence, onBus, nvText, nvmlStatus(f))
	}
	r.Why = "A container sees a GPU only when the container runtime passes one in (device nodes, the driver's libraries, NVIDIA_VISIBLE_DEVICES). Nothing can be installed or loaded inside the container to change that: the kernel module belongs to the host."
	r.Fix = "Start the container with a GPU. The host needs the NVIDIA driver and the NVIDIA Container Toolkit; then use Docker's --gpus flag, the nvidia runtime, or a CDI device; in Kubernetes request the nvidia.com/gpu resource (NVIDIA device plugin or GPU Operator). Do not install a driver or run modprobe inside the container."
	if kind == "kubernetes" || kind == "kubepods" {
		r.Fix = "Request a GPU in the pod spec (resources.limits nvidia.com/gpu), on a node where the NVIDIA device plugin or GPU Operator runs. Do not install a driver or run modprobe inside the container."
	}
	r.Commands = []string{
		"docker run --gpus all IMAGE  # Docker with the NVIDIA Container Toolkit on the host",
		"docker run --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=all IMAGE  # the nvidia runtime",
		"docker run --device nvidia.com/gpu=all IMAGE  # CDI (also: podman run --device nvidia.com/gpu=all)",
		"resources: {limits: {nvidia.com/gpu: 1}}  # Kubernetes pod spec",
		"nvidia-smi -L  # on the host: the GPUs it can pass in",
	}
	return r
}
