package checks

import (
	"time"

	"fmt"
	"github.com/gputop/gputop/checks/knowledge"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

// driverLoadedRule: is the nvidia kernel module loaded, which version, open
// or proprietary. When it is not, it names the likeliest reasons with their
// evidence (nouveau, Secure Boot, a module built for another kernel, no
// module installed) instead of a generic list.
func driverLoadedRule(f *model.Facts) []model.CheckResult {
	k := f.KernelModule
	r := model.CheckResult{ID: "driver.loaded", Title: "NVIDIA kernel driver loaded",
		Why: "Without the nvidia kernel module no program can use the GPU: NVML, nvidia-smi and CUDA all fail."}
	if !f.Recorded("kernel_module") {
		r.Status, r.Evidence = model.Skip, "the kernel module was not recorded in this snapshot"
		return []model.CheckResult{r}
	}
	nouveau := ""
	if k.NouveauLoaded {
		nouveau = "the nouveau module is loaded (/sys/module/nouveau)"
	}
	if !k.Loaded && f.NVML.Opened && f.NVML.DriverVersion != "" && !f.Environment.WSL.Detected {
		// NVML answers only when the module runs: /proc is sandboxed or
		// hides the driver's directory here (some container runtimes).
		r.Status = model.Pass
		r.Evidence = joinSentences([]string{"driver " + f.NVML.DriverVersion + " answers through NVML, so its kernel module is loaded; /proc/driver/nvidia/version is not readable here (" + orDash(k.Error) + ")", nouveau})
		return []model.CheckResult{r}
	}
	if !k.Loaded {
		return []model.CheckResult{moduleNotLoaded(f, r)}
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
	text := "driver " + k.Version + ", " + kind
	if k.VersionText != "" {
		text += " (/proc/driver/nvidia/version: " + strconv.Quote(k.VersionText) + ")"
	} else {
		text += " (/proc/driver/nvidia/version)"
	}
	r.Evidence = joinSentences([]string{text, nouveau})
	return []model.CheckResult{r}
}

// moduleNotLoaded judges a machine whose nvidia module is not loaded.
func moduleNotLoaded(f *model.Facts, r model.CheckResult) model.CheckResult {
	k := f.KernelModule
	r.Status, r.Cause = model.Fail, "module-not-loaded"
	gpus := 0
	var nouveauBound []string
	for _, d := range f.PCI.Devices {
		if d.IsGPU() {
			gpus++
			if d.Driver == "nouveau" {
				nouveauBound = append(nouveauBound, d.BDF)
			}
		}
	}
	ev := []string{"/proc/driver/nvidia/version absent"}
	if k.Error != "" {
		ev[0] += ": " + k.Error
	}
	ev = append(ev, nvmlStatus(f))
	if f.PCI.Readable {
		ev = append(ev, fmt.Sprintf("%d NVIDIA GPU(s) on the PCI bus (/sys/bus/pci/devices)", gpus))
	} else if f.PCI.Error != "" {
		ev = append(ev, "PCI bus not readable ("+f.PCI.Error+")")
	}
	if drv, src, ok := installedDriver(f); ok {
		ev = append(ev, "user-space driver "+drv.String()+" installed ("+src+")")
	}
	if f.Container.Detected {
		r.Evidence = joinSentences(append(ev, "inside a "+orDash(f.Container.Kind)+" container ("+f.Container.Evidence+")"))
		r.Fix = "The kernel module belongs to the host: a container cannot load it. Check the driver on the host (nvidia-smi there), then start the container with the GPU passed in (see pci.gpus)."
		r.Commands = []string{"nvidia-smi  # on the host"}
		return r
	}

	// Reasons, most specific evidence first.
	var reasons, fixes, cmds []string
	if k.NouveauLoaded || len(nouveauBound) > 0 {
		why := "nouveau, the open-source driver, is loaded (/sys/module/nouveau)"
		if len(nouveauBound) > 0 {
			why = "nouveau holds " + strings.Join(nouveauBound, ", ") + " (/sys/bus/pci/devices/*/driver)"
		}
		reasons = append(reasons, why)
		fixes = append(fixes, "Blacklist nouveau so the nvidia module can take the GPU, rebuild the initramfs and reboot.")
		cmds = append(cmds, "echo -e 'blacklist nouveau\\noptions nouveau modeset=0' | sudo tee /etc/modprobe.d/blacklist-nouveau.conf  # stops nouveau from loading at boot",
			"sudo update-initramfs -u  # Debian/Ubuntu; dracut -f on RHEL/Fedora")
	}
	sigLine := ""
	for _, n := range f.KernelLog.Notes {
		l := strings.ToLower(n)
		if strings.Contains(l, "key was rejected") || strings.Contains(l, "unsigned module") || strings.Contains(l, "module verification failed") {
			sigLine = n
		}
	}
	hasModule := k.RunningKernel != "" && containsString(k.ModuleKernels, k.RunningKernel)
	switch {
	case sigLine != "" || (k.SecureBoot.OK && k.SecureBoot.V && hasModule):
		why := "Secure Boot is enabled (EFI variable SecureBoot)"
		if sigLine != "" {
			why = "the kernel refused the module's signature (kernel log: " + strconv.Quote(bounded(sigLine, 160)) + ")"
		} else {
			why += " and an nvidia.ko exists for the running kernel " + k.RunningKernel + ", yet it is not loaded: an unsigned module is refused"
		}
		reasons = append(reasons, why)
		if k.Install == "runfile" {
			fixes = append(fixes, "The driver came from NVIDIA's runfile: run it again and let it sign the module (it can generate a key pair, or take yours with --module-signing-secret-key / --module-signing-public-key), then enrol the public certificate with mokutil and confirm it at the next boot; or turn Secure Boot off in firmware setup.")
			cmds = append(cmds, "mokutil --sb-state", "sudo mokutil --import /usr/share/nvidia/nvidia-modsign-crt-*.der  # queues the certificate the runfile installed for enrolment at the next boot")
		} else {
			fixes = append(fixes, "Enrol the key the module was signed with (DKMS signs with /var/lib/dkms/mok.pub; Ubuntu asks for a password at the next boot, then choose \"Enroll MOK\"), or sign the module, or turn Secure Boot off in firmware setup.")
			cmds = append(cmds, "mokutil --sb-state", "sudo mokutil --import /var/lib/dkms/mok.pub  # queues the DKMS signing key for enrolment at the next boot")
		}
	case k.ModulesSearched && k.RunningKernel != "" && !hasModule && len(k.ModuleKernels) > 0:
		reasons = append(reasons, "an nvidia.ko exists for "+strings.Join(k.ModuleKernels, ", ")+" but not for the running kernel "+k.RunningKernel+" (/lib/modules): the module was built for another kernel")
		fixes = append(fixes, "Build the module for the running kernel (install its headers and let DKMS rebuild), or boot the kernel it was built for.")
		cmds = append(cmds, "sudo apt install linux-headers-$(uname -r)  # Debian/Ubuntu: headers DKMS needs to build the module", "sudo dkms autoinstall  # builds the nvidia module for the running kernel", "dkms status")
	case k.ModulesSearched && k.RunningKernel != "" && len(k.ModuleKernels) == 0:
		if _, _, ok := installedDriver(f); ok {
			reasons = append(reasons, "the user-space driver is installed but no nvidia.ko exists for any kernel under /lib/modules: the kernel module package is missing or its DKMS build failed")
			fixes = append(fixes, "Install the kernel module package of the same driver branch (or rebuild it with DKMS and read its build log).")
			cmds = append(cmds, "dkms status", "ls /var/lib/dkms/nvidia/*/build/make.log 2>/dev/null")
		} else {
			reasons = append(reasons, "no NVIDIA driver is installed: no nvidia.ko under /lib/modules and no libnvidia-ml")
		}
	}
	for _, n := range f.KernelLog.Notes {
		if strings.Contains(n, "requires use of the NVIDIA open kernel modules") {
			reasons = append(reasons, "the kernel log says the GPU needs the open kernel modules")
		}
	}
	if len(reasons) == 0 {
		// Nothing specific is known: name the two commonest reasons a
		// fresh install shows no GPU, with how to tell.
		ev = append(ev, "no evidence of nouveau; Secure Boot state "+secureBootText(k.SecureBoot))
		fixes = append(fixes, "Load the module and read the kernel log: on a fresh install the two commonest reasons are Secure Boot refusing the unsigned module (\"Key was rejected by service\") and nouveau holding the GPU.")
		cmds = append(cmds, "sudo modprobe nvidia  # loads the NVIDIA kernel module", "sudo dmesg | grep -iE 'nvrm|nvidia|nouveau|key was rejected'", "mokutil --sb-state")
	} else {
		ev = append(ev, "likely: "+strings.Join(reasons, "; "))
	}
	if need := installAdvice(f); need != "" {
		fixes = append(fixes, need)
	}
	r.Evidence = joinSentences(ev)
	r.Fix = strings.Join(fixes, " ")
	r.Commands = dedupe(cmds)
	return r
}

func secureBootText(sb model.Opt[bool]) string {
	switch {
	case !sb.OK:
		return "unknown (no EFI SecureBoot variable readable)"
	case sb.V:
		return "enabled (EFI variable)"
	}
	return "disabled (EFI variable)"
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// installedDriver is the version of the user-space driver from the
// library's file name (libnvidia-ml.so.580.95.05, else libcuda.so.X): what
// is installed, whether or not its module is loaded.
func installedDriver(f *model.Facts) (Version, string, bool) {
	for _, l := range []struct {
		lib  model.LibraryFacts
		name string
	}{{f.NVMLLibrary, "libnvidia-ml"}, {f.CUDALibrary, "libcuda"}} {
		if l.lib.Version == "" {
			continue
		}
		if v, err := ParseVersion(l.lib.Version); err == nil {
			return v, "file name " + l.lib.RealPath, true
		}
	}
	return Version{}, "", false
}

// gpuNeed is what one GPU asks of the driver, from its compute capability
// (NVML) or, for GPUs NVML cannot see, its PCI device id.
type gpuNeed struct {
	label      string
	family     string
	module     knowledge.ModuleSupport
	moduleProv knowledge.Provenance
	minBranch  int
	lastBranch int
	branchProv knowledge.Provenance
	byPCI      bool
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
		a, ok := knowledge.ArchOfCC(cc)
		if !ok {
			continue
		}
		needs = append(needs, gpuNeed{label: gpuName(g.Info) + " cc " + ccString(cc), family: a.Name,
			module: a.Module, moduleProv: a.ModuleProv, minBranch: a.MinBranch, lastBranch: a.LastBranch, branchProv: a.BranchProv})
	}
	for _, d := range f.PCI.Devices {
		if !d.IsGPU() || seen[normBDF(d.BDF)] {
			continue
		}
		row, ok := knowledge.ArchOfPCIID(d.Device)
		if !ok {
			continue
		}
		label := fmt.Sprintf("PCI %s (10de:%04x, not seen by NVML)", d.BDF, d.Device)
		needs = append(needs, gpuNeed{label: label, family: row.Family, module: row.Module, moduleProv: row.Provenance,
			minBranch: row.MinBranch, lastBranch: row.LastBranch, branchProv: row.Provenance, byPCI: true})
	}
	return needs
}

// describeNeeds groups GPUs by family ("Hopper: GPU 0, GPU 1") and cites
// each source once, with what it does and does not confirm.
func describeNeeds(needs []gpuNeed, withDriver bool) string {
	var order []string
	groups := map[string][]string{}
	var srcOrder []string
	quals := map[string][]string{}
	for _, n := range needs {
		key := n.family
		prov := n.moduleProv
		if withDriver {
			prov = n.branchProv
			if n.minBranch != 0 {
				key += ", needs R" + strconv.Itoa(n.minBranch) + "+"
			}
			if n.lastBranch != 0 {
				key += ", last branch R" + strconv.Itoa(n.lastBranch)
			}
		} else {
			key += ", module " + string(n.module)
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], n.label)
		src, qual := provParts(prov)
		if n.byPCI {
			qual = strings.TrimPrefix(qual+"; classified by PCI id", "; ")
		}
		if _, ok := quals[src]; !ok {
			srcOrder = append(srcOrder, src)
			quals[src] = nil
		}
		if qual != "" && !containsString(quals[src], qual) {
			quals[src] = append(quals[src], qual)
		}
	}
	parts := make([]string, 0, len(order))
	for _, k := range order {
		parts = append(parts, k+": "+strings.Join(groups[k], ", "))
	}
	out := strings.Join(parts, "; ")
	var cites []string
	for _, src := range srcOrder {
		c := src
		if len(quals[src]) > 0 {
			c += " [" + strings.Join(quals[src], "; ") + "]"
		}
		cites = append(cites, c)
	}
	if len(cites) > 0 {
		out += " (" + strings.Join(cites, "; ") + ")"
	}
	return out
}

// provParts splits a row's provenance into its source and what it does not
// confirm, said plainly.
func provParts(p knowledge.Provenance) (src, qual string) {
	if p.Source == "" {
		return "no source", "no source states a driver bound for it"
	}
	src = p.Source
	var notes []string
	// "URL (what it says)": the URL names the source, the rest qualifies it.
	if i := strings.Index(src, " ("); i > 0 && strings.HasSuffix(src, ")") {
		notes = append(notes, src[i+2:len(src)-1])
		src = src[:i]
	}
	if !p.Confirmed() {
		q := "not confirmed by a primary source"
		if p.Note != "" {
			q += ": " + p.Note
		}
		notes = append(notes, q)
	}
	return src, strings.Join(notes, "; ")
}

// driverModuleRule: Blackwell needs the open module; pre-Turing GPUs cannot
// use it.
func driverModuleRule(f *model.Facts) []model.CheckResult {
	k := f.KernelModule
	r := model.CheckResult{ID: "driver.module", Title: "Open vs proprietary kernel module",
		Why: "Blackwell GPUs work only with the open kernel module (the driver logs \"requires use of the NVIDIA open kernel modules\" and the GPU does not initialise); GPUs older than Turing work only with the proprietary one."}
	needs := gpuNeeds(f)
	var logSaysOpen string
	for _, n := range f.KernelLog.Notes {
		if strings.Contains(n, "requires use of the NVIDIA open kernel modules") {
			logSaysOpen = n
		}
	}
	if logSaysOpen != "" && !(k.Open.OK && k.Open.V) {
		r.Status, r.Cause = model.Fail, "needs-open"
		r.Evidence = "kernel log (" + f.KernelLog.Source + "): " + strconv.Quote(bounded(logSaysOpen, 200))
		if len(needs) > 0 {
			r.Evidence += "; " + describeNeeds(needs, false)
		}
		r.Fix, r.Commands = openModuleFix(f)
		return []model.CheckResult{r}
	}
	if !k.Loaded || !k.Open.OK {
		r.Status = model.Skip
		r.Evidence = "kernel module not loaded or its flavour unknown (/proc/driver/nvidia/version)"
		var open []string
		for _, n := range needs {
			if n.module == knowledge.OpenOnly {
				open = append(open, n.label)
			}
		}
		if len(open) > 0 {
			r.Evidence += "; when it is installed, it must be the open flavour for " + strings.Join(open, ", ") + " (" + describeNeeds(needs, false) + ")"
			// Ubuntu names the flavour in the package: nvidia-driver-570
			// is proprietary, nvidia-driver-570-open the open one.
			ev := k.InstallEvidence
			if k.Install == "deb" && strings.Contains(ev, "nvidia-driver-") && !strings.Contains(ev, "-open") {
				r.Status, r.Cause = model.Warn, "needs-open"
				r.Evidence = "the installed package is the proprietary flavour (" + ev + "); " + r.Evidence
				r.Fix, r.Commands = openModuleFix(f)
			}
		}
		return []model.CheckResult{r}
	}
	if len(needs) == 0 {
		r.Status = model.Skip
		r.Evidence = "no GPU with a known compute capability or PCI id to judge"
		return []model.CheckResult{r}
	}
	open := k.Open.V
	var bad []string
	confirmed := true
	for _, n := range needs {
		if (!open && n.module == knowledge.OpenOnly) || (open && n.module == knowledge.ProprietaryOnly) {
			what := " needs the open module"
			if open {
				what = " is not supported by the open module"
			}
			bad = append(bad, n.label+what)
			confirmed = confirmed && n.moduleProv.Confirmed() && !n.byPCI
		}
	}
	kind := "proprietary"
	if open {
		kind = "open"
	}
	r.Evidence = "loaded: " + kind + " module " + k.Version + " (/proc/driver/nvidia/version); " + describeNeeds(needs, false)
	if len(bad) == 0 {
		// A Blackwell GPU on the open module is fine whether or not the
		// "open only" row is confirmed: the open modules drive Turing and
		// newer (the kernel-modules page, verified).
		allConfirmed := true
		for _, n := range needs {
			okOpen := open && n.module == knowledge.OpenOnly && !n.byPCI
			allConfirmed = allConfirmed && (okOpen || (n.moduleProv.Confirmed() && !n.byPCI))
		}
		if allConfirmed {
			r.Status = model.Pass
		} else {
			r.Status = model.Skip
			r.Evidence = "no mismatch found, but the rule for these GPUs is not confirmed by a primary source; " + r.Evidence
		}
		return []model.CheckResult{r}
	}
	r.Status, r.Cause = model.Fail, "needs-open"
	if open {
		r.Cause = "needs-proprietary"
	}
	if !confirmed {
		r.Status = model.Warn
		r.Evidence += "; not confirmed by a primary source: check the kernel log"
	}
	r.Evidence = strings.Join(bad, "; ") + "; " + r.Evidence
	if open {
		r.Fix = "Install the proprietary kernel module flavour of a driver branch that still supports these GPUs (R580 for Maxwell/Pascal/Volta, R470 for Kepler)."
		r.Commands = []string{"sudo dmesg | grep -iE 'nvrm.*(not supported|open)'"}
		if k.Install == "deb" {
			r.Commands = append(r.Commands, "sudo apt install nvidia-driver-580  # R580 with the proprietary kernel module")
		}
	} else {
		r.Fix, r.Commands = openModuleFix(f)
	}
	return []model.CheckResult{r}
}

// openModuleFix: how to switch to the open kernel modules for the way the
// driver was installed.
func openModuleFix(f *model.Facts) (string, []string) {
	branch := "570"
	if drv, _, ok := driverVersion(f); ok && drv.Major() >= 570 {
		branch = strconv.Itoa(drv.Major())
	} else if drv, _, ok := installedDriver(f); ok && drv.Major() >= 570 {
		branch = strconv.Itoa(drv.Major())
	}
	fix := "Install the open kernel module flavour of the R" + branch + " driver (or newer), then reboot so it replaces the proprietary module."
	switch f.KernelModule.Install {
	case "deb":
		return fix, []string{"sudo apt install nvidia-driver-" + branch + "-open  # the same branch with the open kernel modules; reboot afterwards"}
	case "runfile":
		return fix, []string{"sudo sh NVIDIA-Linux-x86_64-" + branch + ".*.run -m=kernel-open  # runfile install with the open kernel modules; reboot afterwards"}
	case "rpm":
		return fix, []string{"sudo dnf module install nvidia-driver:" + branch + "-open  # RHEL/Fedora with NVIDIA's repository; reboot afterwards"}
	}
	return fix + " Ubuntu: the nvidia-driver-<branch>-open package; NVIDIA's repository: nvidia-open; the runfile: -m=kernel-open.",
		[]string{"sudo apt install nvidia-driver-" + branch + "-open  # Debian/Ubuntu; reboot afterwards", "sudo dmesg | grep -i 'open kernel modules'"}
}

// installAdvice names the driver a machine whose module is not loaded needs
// for the GPUs on its bus, when the knowledge says.
func installAdvice(f *model.Facts) string {
	minBr, openOnly, confirmed := 0, false, true
	for _, n := range gpuNeeds(f) {
		if n.minBranch > minBr {
			minBr = n.minBranch
			confirmed = confirmed && n.branchProv.Confirmed() && !n.byPCI
		}
		if n.module == knowledge.OpenOnly {
			openOnly = true
			confirmed = confirmed && n.moduleProv.Confirmed() && !n.byPCI
		}
	}
	drv, src, installed := installedDriver(f)
	tooOld := installed && minBr != 0 && drv.Major() < minBr
	if !openOnly && (minBr == 0 || (installed && !tooOld)) {
		return "" // nothing to add: the installed branch is recent enough
	}
	txt := "The GPU(s) on the bus need"
	if minBr != 0 {
		txt += " driver R" + strconv.Itoa(minBr) + " or newer"
	}
	if openOnly {
		if minBr != 0 {
			txt += " with"
		}
		txt += " the open kernel modules"
	}
	if tooOld {
		txt += "; the installed " + drv.String() + " (" + src + ") is too old for them"
	}
	if !confirmed {
		txt += " (from the GPU's architecture or PCI id; not confirmed by a primary source)"
	}
	return txt + "."
}

// driverBranchRule: does the driver branch support every GPU? When the
// module is not loaded, the installed user-space driver's version (from the
// library's file name) is judged: a branch that cannot drive the card is a
// common reason a fresh install shows no GPU.
func driverBranchRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "driver.branch", Title: "Driver branch supports every GPU",
		Why: "Each architecture needs a minimum driver branch, and old architectures are dropped after their last branch: the GPU then does not initialise."}
	drv, src, ok := driverVersion(f)
	if !ok {
		drv, src, ok = installedDriver(f)
		if ok {
			src += ", installed; its kernel module is not loaded"
		}
	}
	if !ok {
		r.Status = model.Skip
		r.Evidence = "driver version unknown (no NVML answer, no /proc/driver/nvidia/version, no versioned libnvidia-ml/libcuda)"
		return []model.CheckResult{r}
	}
	needs := gpuNeeds(f)
	if len(needs) == 0 {
		r.Status = model.Skip
		r.Evidence = "no GPU with a known compute capability or PCI id to judge"
		return []model.CheckResult{r}
	}
	var bad []string
	confirmed, allConfirmed := true, true
	minBr, lastBr := 0, 0
	for _, n := range needs {
		ok := n.branchProv.Confirmed() && !n.byPCI
		allConfirmed = allConfirmed && ok
		if n.minBranch != 0 && drv.Major() < n.minBranch {
			bad = append(bad, n.label+" needs driver R"+strconv.Itoa(n.minBranch)+"+")
			confirmed = confirmed && ok
		}
		if n.lastBranch != 0 && drv.Major() > n.lastBranch {
			bad = append(bad, fmt.Sprintf("%s is supported only up to R%d", n.label, n.lastBranch))
			confirmed = confirmed && ok
		}
		if n.minBranch > minBr {
			minBr = n.minBranch
		}
		if n.lastBranch != 0 && (lastBr == 0 || n.lastBranch < lastBr) {
			lastBr = n.lastBranch
		}
	}
	r.Evidence = "driver " + drv.String() + " (" + src + "); " + describeNeeds(needs, true)
	if len(bad) == 0 {
		if allConfirmed {
			r.Status = model.Pass
		} else {
			r.Status = model.Skip
			r.Evidence = "no conflict found, but the branch range of these GPUs is not confirmed by a primary source; " + r.Evidence
		}
		return []model.CheckResult{r}
	}
	r.Status, r.Cause = model.Fail, "cannot-drive"
	if !confirmed {
		r.Status = model.Warn
		r.Evidence += "; the branch range is not confirmed by a primary source: the kernel log says whether the driver took the GPU"
	}
	r.Evidence = strings.Join(bad, "; ") + "; " + r.Evidence
	switch {
	case minBr != 0 && lastBr != 0 && minBr > lastBr:
		r.Fix = fmt.Sprintf("No single driver branch drives all these GPUs (one needs R%d or newer, another is supported only up to R%d): move one of them to another machine.", minBr, lastBr)
	case lastBr != 0 && drv.Major() > lastBr:
		r.Fix = fmt.Sprintf("Install a driver from the R%d branch or older, the last that supports these GPUs.", lastBr)
	default:
		r.Fix = fmt.Sprintf("Install driver branch R%d or newer%s.", minBr, recommendBranch(f, minBr))
	}
	r.Commands = []string{"cat /proc/driver/nvidia/version", "sudo dmesg | grep -i nvrm"}
	if f.KernelModule.Install == "deb" && minBr != 0 && drv.Major() < minBr {
		b := branchAtLeast(f, minBr)
		r.Commands = append(r.Commands, "sudo apt install nvidia-driver-"+strconv.Itoa(b)+"-open  # installs the R"+strconv.Itoa(b)+" driver (open kernel modules); reboot afterwards")
	}
	return []model.CheckResult{r}
}

// branchAtLeast: the first supported long-term branch at or above min, else
// the first supported branch, else min.
func branchAtLeast(f *model.Facts, min int) int {
	for _, b := range knowledge.SupportedBranches(factsTime(f)) {
		if b.Branch >= min {
			return b.Branch
		}
	}
	return min
}

// recommendBranch names a supported branch at or above min with its type
// and end of life, from NVIDIA's lifecycle table.
func recommendBranch(f *model.Facts, min int) string {
	for _, b := range knowledge.SupportedBranches(factsTime(f)) {
		if b.Branch >= min && b.Confirmed() {
			t := " (for example R" + strconv.Itoa(b.Branch)
			if b.Type != knowledge.Unknown {
				t += ", " + string(b.Type)
			}
			if b.EndOfLife != "" {
				t += ", supported until " + b.EndOfLife
			}
			return t + ", " + b.Source + ")"
		}
	}
	return ""
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
		r.Status, r.Cause = model.Fail, "version-mismatch"
		r.Fix, r.Commands = row.Fix, row.Commands
		if mismatch {
			r.Fix = "Reboot so the installed " + lib.Version + " module replaces the loaded " + k.Version + " (a driver upgrade without a reboot left them apart), or unload and reload the nvidia modules when nothing uses the GPUs. " + holdAdvice(f)
		}
	case !lib.Found && (code == "" || code == "LIBRARY_NOT_FOUND"):
		row, _ := nvmlErrorFor("LIBRARY_NOT_FOUND")
		r.Status = model.Fail
		r.Fix, r.Commands = row.Fix, row.Commands
		if f.Container.Detected {
			r.Fix = "Inside a container the library comes from the host: start the container with the NVIDIA Container Toolkit (docker run --gpus all, or a CDI device); do not install a driver inside the container."
			r.Commands = []string{"docker run --gpus all IMAGE  # on the host"}
		} else if k.Version != "" {
			r.Fix, r.Commands = userSpaceFix(f, k.Version)
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

// factsTime is when the facts were collected (lifecycle questions are
// answered for that day); now when unrecorded.
func factsTime(f *model.Facts) time.Time {
	if f.Collected.IsZero() {
		return time.Now()
	}
	return f.Collected.Time()
}

// holdAdvice: how to stop unattended upgrades from replacing the driver
// under a running module, for the install method found.
func holdAdvice(f *model.Facts) string {
	switch f.KernelModule.Install {
	case "deb":
		return "Then hold the driver packages (apt-mark hold) so unattended upgrades do not repeat this."
	case "rpm":
		return "Then exclude the driver from automatic updates (dnf versionlock) so this does not repeat."
	}
	return "Then keep automatic updates from replacing the driver while it is loaded."
}

// userSpaceFix: the kernel module is loaded but its user-space libraries
// are missing; install the ones of the same version.
func userSpaceFix(f *model.Facts, version string) (string, []string) {
	branch := strconv.Itoa(versionOr(version).Major())
	fix := "The kernel module " + version + " is loaded but libnvidia-ml.so.1 is missing: install the user-space part of the same driver version."
	switch f.KernelModule.Install {
	case "deb":
		return fix, []string{"sudo apt install nvidia-utils-" + branch + " libnvidia-compute-" + branch + "  # the R" + branch + " user-space libraries (must match " + version + ")"}
	case "runfile":
		return fix + " The driver came from NVIDIA's runfile: run the same " + version + " runfile again.", []string{"sudo sh NVIDIA-Linux-x86_64-" + version + ".run  # reinstalls the " + version + " driver, user-space included"}
	case "rpm":
		return fix, []string{"sudo dnf install nvidia-driver-libs  # from the repository the " + version + " driver came from"}
	}
	return fix + " Ubuntu: nvidia-utils-" + branch + " and libnvidia-compute-" + branch + "; a runfile install: run the same runfile again.",
		[]string{"ls -l /usr/lib/x86_64-linux-gnu/libnvidia-ml.so*"}
}

// driverInstallCommand installs driver branch br the way this machine's
// driver was installed (apt, dnf or NVIDIA's runfile); Ubuntu's package when
// the method is unknown.
func driverInstallCommand(f *model.Facts, br int, open bool) string {
	b := strconv.Itoa(br)
	switch f.KernelModule.Install {
	case "runfile":
		flag := ""
		if open {
			flag = " -m=kernel-open"
		}
		return "sudo sh NVIDIA-Linux-x86_64-" + b + ".*.run" + flag + "  # NVIDIA's R" + b + " runfile, as this driver was installed; reboot afterwards"
	case "rpm":
		stream := b
		if open {
			stream += "-open"
		}
		return "sudo dnf module install nvidia-driver:" + stream + "  # the R" + b + " driver from NVIDIA's repository; reboot afterwards"
	}
	pkg := "nvidia-driver-" + b
	if open {
		pkg += "-open"
	}
	return "sudo apt install " + pkg + "  # Ubuntu's package of the R" + b + " driver; reboot afterwards"
}
