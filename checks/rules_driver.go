package checks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

// driverLoadedRule: is the nvidia kernel module loaded, which version, open
// or proprietary.
func driverLoadedRule(f *model.Facts) []model.CheckResult {
	k := f.KernelModule
	r := model.CheckResult{ID: "driver.loaded", Title: "NVIDIA kernel driver loaded",
		Why: "Without the nvidia kernel module no program can use the GPU: NVML, nvidia-smi and CUDA all fail."}
	nouveau := ""
	if k.NouveauLoaded {
		nouveau = "the nouveau module is loaded (/sys/module/nouveau)"
	}
	if !k.Loaded {
		gpus := 0
		for _, d := range f.PCI.Devices {
			if d.IsGPU() {
				gpus++
			}
		}
		bus := fmt.Sprintf("%d NVIDIA GPU(s) on the PCI bus (/sys/bus/pci/devices)", gpus)
		if !f.PCI.Readable {
			bus = "PCI bus not readable (" + f.PCI.Error + ")"
		}
		r.Status = model.Fail
		r.Evidence = joinSentences([]string{"/proc/driver/nvidia/version absent: " + k.Error, nvmlStatus(f), bus, nouveau})
		r.Fix = "Install the NVIDIA driver for this kernel (distribution package or NVIDIA's repository), then load it. If loading fails, the kernel log says why: Secure Boot refusing an unsigned module, nouveau holding the GPU, or a module built for another kernel."
		if gpus == 0 && f.PCI.Readable {
			r.Fix += " No NVIDIA GPU is visible on the PCI bus either: in a VM, pass the GPU through; on bare metal, check seating and power."
		}
		if k.NouveauLoaded {
			r.Fix += " nouveau is loaded: blacklist it and rebuild the initramfs, then reboot."
		}
		r.Commands = []string{"lsmod | grep -E '^(nvidia|nouveau)'", "sudo modprobe nvidia  # loads the NVIDIA kernel module", "sudo dmesg | grep -iE 'nvrm|nvidia|nouveau'"}
		if k.NouveauLoaded {
			r.Commands = append(r.Commands,
				"echo -e 'blacklist nouveau\\noptions nouveau modeset=0' | sudo tee /etc/modprobe.d/blacklist-nouveau.conf  # stops nouveau from loading at boot",
				"sudo update-initramfs -u  # Debian/Ubuntu; dracut -f on RHEL/Fedora")
		}
		return []model.CheckResult{r}
	}
	if k.Version == "" {
		r.Status = model.Warn
		r.Evidence = joinSentences([]string{"/proc/driver/nvidia/version has no version I can read: " + strconv.Quote(k.VersionText), nouveau})
		r.Fix = "Check the text of /proc/driver/nvidia/version; gputop cannot compare versions without it."
		r.Commands = []string{"cat /proc/driver/nvidia/version"}
		return []model.CheckResult{r}
	}
	kind := "proprietary kernel module"
	if k.Open.OK && k.Open.V {
		kind = "open kernel module"
	} else if !k.Open.OK {
		kind = "module flavour unknown"
	}
	r.Status = model.Pass
	r.Evidence = joinSentences([]string{"driver " + k.Version + ", " + kind + " (/proc/driver/nvidia/version: " + strconv.Quote(k.VersionText) + ")", nouveau})
	return []model.CheckResult{r}
}

// gpuNeed is what one GPU asks of the driver, from its compute capability
// (NVML) or, for GPUs NVML cannot see, its PCI device id.
type gpuNeed struct {
	label      string
	family     string
	openOnly   bool
	noOpen     bool
	minDriver  string
	lastBranch int
	note       string // source / UNVERIFIED
}

func gpuNeeds(f *model.Facts) []gpuNeed {
	var needs []gpuNeed
	seen := map[string]bool{}
	for _, g := range f.NVML.GPUs {
		seen[normBDF(g.Info.BusID)] = true
		cc, ok := ccOf(g.Info)
		if !ok {
			continue
		}
		a, ok := archFor(cc)
		if !ok {
			continue
		}
		needs = append(needs, gpuNeed{label: gpuName(g.Info) + " cc " + ccString(cc), family: a.Name,
			openOnly: a.OpenOnly, noOpen: a.NoOpen, minDriver: a.MinDriver, lastBranch: a.LastBranch,
			note: "compute capability table: " + a.Source + unverified(a.Unverified)})
	}
	for _, d := range f.PCI.Devices {
		if !d.IsGPU() || seen[normBDF(d.BDF)] {
			continue
		}
		row, ok := pciIDFor(d.Device)
		if !ok {
			continue
		}
		needs = append(needs, gpuNeed{label: fmt.Sprintf("PCI %s (10de:%04x, not seen by NVML)", d.BDF, d.Device), family: row.Family,
			openOnly: row.OpenOnly, noOpen: row.LastBranch != 0, minDriver: row.MinDriver, lastBranch: row.LastBranch,
			note: "classified by PCI id range from a " + row.Source})
	}
	return needs
}

// describeNeeds groups GPUs by family ("Hopper: GPU 0, GPU 1") and cites
// each source once.
func describeNeeds(needs []gpuNeed, withDriver bool) string {
	var order, notes []string
	groups := map[string][]string{}
	seenNote := map[string]bool{}
	for _, n := range needs {
		key := n.family
		if withDriver {
			if n.minDriver != "" {
				key += ", needs R" + n.minDriver + "+"
			}
			if n.lastBranch != 0 {
				key += ", last branch R" + strconv.Itoa(n.lastBranch)
			}
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], n.label)
		if !seenNote[n.note] {
			seenNote[n.note] = true
			notes = append(notes, n.note)
		}
	}
	parts := make([]string, 0, len(order)+1)
	for _, k := range order {
		parts = append(parts, k+": "+strings.Join(groups[k], ", "))
	}
	return strings.Join(parts, "; ") + " (" + strings.Join(notes, "; ") + ")"
}

// driverModuleRule: Blackwell needs the open module; pre-Turing GPUs cannot
// use it.
func driverModuleRule(f *model.Facts) []model.CheckResult {
	k := f.KernelModule
	r := model.CheckResult{ID: "driver.module", Title: "Open vs proprietary kernel module",
		Why: "Blackwell GPUs work only with the open kernel module (\"requires use of the NVIDIA open kernel modules\", RmInitAdapter failed); GPUs older than Turing work only with the proprietary one."}
	if !k.Loaded || !k.Open.OK {
		r.Status = model.Skip
		r.Evidence = "kernel module not loaded or its flavour unknown (/proc/driver/nvidia/version)"
		return []model.CheckResult{r}
	}
	needs := gpuNeeds(f)
	if len(needs) == 0 {
		r.Status = model.Skip
		r.Evidence = "no GPU with a known compute capability or PCI id to judge"
		return []model.CheckResult{r}
	}
	open := k.Open.V
	var bad []string
	for _, n := range needs {
		if !open && n.openOnly {
			bad = append(bad, n.label+" needs the open module")
		}
		if open && n.noOpen {
			bad = append(bad, n.label+" is not supported by the open module")
		}
	}
	kind := "proprietary"
	if open {
		kind = "open"
	}
	r.Evidence = "loaded: " + kind + " module " + k.Version + " (/proc/driver/nvidia/version); " + describeNeeds(needs, false)
	if len(bad) == 0 {
		r.Status = model.Pass
		return []model.CheckResult{r}
	}
	r.Status = model.Fail
	r.Evidence = strings.Join(bad, "; ") + "; " + r.Evidence
	if open {
		r.Fix = "Install the proprietary kernel module flavour of a driver branch that still supports these GPUs (R580 for Maxwell/Pascal/Volta, R470 for Kepler)."
		r.Commands = []string{"apt list --installed 'nvidia-*' 2>/dev/null | grep -i open"}
	} else {
		r.Fix = "Install the open kernel module flavour of the same driver (Ubuntu: the nvidia-driver-<branch>-open package; NVIDIA's repository: nvidia-open), then reboot so it replaces the proprietary module."
		r.Commands = []string{"sudo dmesg | grep -i 'open kernel modules'", "sudo apt install nvidia-driver-570-open  # example branch: use your driver's branch"}
	}
	return []model.CheckResult{r}
}

// driverBranchRule: does the driver branch support every GPU?
func driverBranchRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "driver.branch", Title: "Driver branch supports every GPU",
		Why: "Each architecture needs a minimum driver branch, and old architectures are dropped after their last branch: the GPU then does not initialise."}
	drv, src, ok := driverVersion(f)
	if !ok {
		r.Status = model.Skip
		r.Evidence = "driver version unknown (no NVML answer, no /proc/driver/nvidia/version)"
		return []model.CheckResult{r}
	}
	needs := gpuNeeds(f)
	if len(needs) == 0 {
		r.Status = model.Skip
		r.Evidence = "no GPU with a known compute capability or PCI id to judge"
		return []model.CheckResult{r}
	}
	var bad []string
	for _, n := range needs {
		if n.minDriver != "" && drv.Less(MustVersion(n.minDriver)) {
			bad = append(bad, n.label+" needs driver R"+n.minDriver+"+")
		}
		if n.lastBranch != 0 && drv.Major() > n.lastBranch {
			bad = append(bad, fmt.Sprintf("%s is supported only up to R%d", n.label, n.lastBranch))
		}
	}
	r.Evidence = "driver " + drv.String() + " (" + src + "); " + describeNeeds(needs, true)
	if len(bad) == 0 {
		r.Status = model.Pass
		return []model.CheckResult{r}
	}
	r.Status = model.Fail
	r.Evidence = strings.Join(bad, "; ") + "; " + r.Evidence
	r.Fix = "Install a driver branch inside every GPU's supported range; GPUs needing different ranges cannot share one driver."
	r.Commands = []string{"cat /proc/driver/nvidia/version", "sudo dmesg | grep -i nvrm"}
	return []model.CheckResult{r}
}

// nvmlLibraryRule: libnvidia-ml present and from the same driver as the
// kernel module.
func nvmlLibraryRule(f *model.Facts) []model.CheckResult {
	lib, k := f.NVMLLibrary, f.KernelModule
	r := model.CheckResult{ID: "nvml.library", Title: "NVML library present and matching the kernel module",
		Why: "nvidia-smi, gputop and monitoring agents talk to the driver through libnvidia-ml.so.1; a library from another driver version than the loaded kernel module refuses to work (\"Driver/library version mismatch\")."}
	libText := "libnvidia-ml.so.1 not found (" + lib.Error + ")"
	if lib.Found {
		libText = "libnvidia-ml.so.1 at " + lib.Path + " -> " + lib.RealPath
		if lib.Version != "" {
			libText += " (version " + lib.Version + " from the file name)"
		}
	}
	modText := "kernel module not loaded"
	if k.Version != "" {
		modText = "kernel module " + k.Version + " (/proc/driver/nvidia/version)"
	}
	r.Evidence = joinSentences([]string{libText, modText, nvmlStatus(f)})

	code := f.NVML.ErrorCode
	mismatch := lib.Version != "" && k.Version != "" && versionOr(lib.Version).Compare(versionOr(k.Version)) != 0
	switch {
	case code == "LIB_RM_VERSION_MISMATCH" || mismatch:
		row, _ := nvmlErrorFor("LIB_RM_VERSION_MISMATCH")
		r.Status = model.Fail
		r.Fix, r.Commands = row.Fix, row.Commands
	case !lib.Found && (code == "" || code == "LIBRARY_NOT_FOUND"):
		row, _ := nvmlErrorFor("LIBRARY_NOT_FOUND")
		r.Status = model.Fail
		r.Fix, r.Commands = row.Fix, row.Commands
		if f.Container.Detected {
			r.Fix += " Inside a container the library comes from the host: start the container with the NVIDIA container toolkit (docker run --gpus all, or CDI devices)."
		}
	case code != "" && !f.NVML.Opened:
		r.Status = model.Fail
		if row, ok := nvmlErrorFor(code); ok {
			r.Evidence += "; " + code + ": " + row.Meaning
			r.Fix, r.Commands = row.Fix, row.Commands
		} else {
			r.Fix = "NVML failed with " + code + "; the kernel log and `nvidia-smi` usually say more."
			r.Commands = []string{"nvidia-smi", "sudo dmesg | grep -i nvrm"}
		}
	case f.NVML.Opened:
		r.Status = model.Pass
	case lib.Version != "" && k.Version != "":
		r.Status = model.Pass
	default:
		r.Status = model.Skip
		r.Evidence = "cannot compare the library with the kernel module: " + r.Evidence
	}
	return []model.CheckResult{r}
}

// versionOr parses a version, returning the zero version on error: for
// comparisons whose inputs were validated by the probes.
func versionOr(s string) Version {
	v, _ := ParseVersion(s)
	return v
}

// cudaLibraryRule: libcuda.so.1 (the CUDA driver API) is loadable and
// matches the kernel module, as DCGM's deployment check asks.
func cudaLibraryRule(f *model.Facts) []model.CheckResult {
	lib, k := f.CUDALibrary, f.KernelModule
	r := model.CheckResult{ID: "driver.libcuda", Title: "CUDA driver library (libcuda.so.1)",
		Why: "Every CUDA program loads libcuda.so.1 from the driver; without it CUDA reports \"no CUDA-capable device\" or fails to load."}
	if !lib.Found {
		r.Status = model.Warn
		r.Evidence = "libcuda.so.1 not found (" + lib.Error + ")"
		r.Fix = "Install the driver's CUDA user-space library (Debian/Ubuntu: libnvidia-compute-<branch>); in a container, run with the NVIDIA container toolkit so it is mounted in."
		r.Commands = []string{"ldconfig -p | grep libcuda.so.1"}
		return []model.CheckResult{r}
	}
	r.Evidence = "libcuda.so.1 at " + lib.Path + " -> " + lib.RealPath
	if lib.Version != "" && k.Version != "" && versionOr(lib.Version).Compare(versionOr(k.Version)) != 0 {
		r.Status = model.Fail
		r.Evidence += "; library " + lib.Version + " vs kernel module " + k.Version + " (/proc/driver/nvidia/version)"
		r.Fix = "The CUDA library belongs to another driver version than the loaded module: reboot after a driver upgrade, or reinstall the matching user-space package."
		r.Commands = safe.Cmds([]string{"cat /proc/driver/nvidia/version"}, []string{"ls -l {}", lib.Path})
		return []model.CheckResult{r}
	}
	r.Status = model.Pass
	return []model.CheckResult{r}
}
