package checks

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

var gpuNodeRE = regexp.MustCompile(`^/dev/nvidia\d+$`)

// devNodesRule: /dev/nvidia* present and accessible, one per GPU.
func devNodesRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "access.devnodes", Title: "/dev/nvidia* device nodes accessible",
		Why: "CUDA and NVML open /dev/nvidiactl, /dev/nvidia-uvm and one /dev/nvidiaN per GPU; a node missing or not readable+writable hides that GPU (NO_PERMISSION)."}
	nodes := f.DevNodes.Nodes
	if len(nodes) == 0 {
		if !f.KernelModule.Loaded {
			r.Status, r.Evidence = model.Skip, "no /dev/nvidia* and the driver is not loaded (see driver.loaded)"
			return []model.CheckResult{r}
		}
		r.Status = model.Fail
		r.Evidence = "the driver is loaded but /dev has no nvidia* nodes"
		if f.Container.Detected {
			r.Evidence += " (inside a " + orDash(f.Container.Kind) + " container: " + f.Container.Evidence + ")"
			r.Fix = "The container was started without the GPU devices: start it with the NVIDIA Container Toolkit (docker run --gpus all, --runtime=nvidia, or a CDI device such as --device nvidia.com/gpu=all)."
			r.Commands = []string{"docker run --gpus all IMAGE  # on the host"}
			return []model.CheckResult{r}
		}
		r.Fix = "The nodes are created by nvidia-modprobe or udev when the driver loads; create them now and check the udev rules of the driver package."
		r.Commands = []string{"ls -l /dev/nvidia*", "sudo nvidia-modprobe -u -c=0  # creates /dev/nvidia-uvm and /dev/nvidia0"}
		return []model.CheckResult{r}
	}
	var denied, gpuNodes []string
	for _, n := range nodes {
		if !n.Accessible {
			denied = append(denied, n.Path)
		}
		if gpuNodeRE.MatchString(n.Path) {
			gpuNodes = append(gpuNodes, n.Path)
		}
	}
	r.Evidence = fmt.Sprintf("%d node(s), %d GPU node(s) (/dev/nvidia*)", len(nodes), len(gpuNodes))
	r.Status = model.Pass
	if len(denied) > 0 {
		r.Status = model.Fail
		r.Evidence = "no read/write access to " + strings.Join(denied, ", ") + "; " + r.Evidence
		r.Fix = "Add the user to the group owning the nodes (often video or render) and log in again, or fix the udev rule; in a container pass the devices."
		r.Commands = []string{"ls -l /dev/nvidia*", "id", "sudo usermod -aG video $USER  # takes effect at next login"}
	}
	if f.NVML.Opened && len(gpuNodes) < len(f.NVML.GPUs) {
		r.Status = worst(r.Status, model.Warn)
		r.Evidence += fmt.Sprintf("; NVML sees %d GPU(s) but only %d /dev/nvidiaN node(s)", len(f.NVML.GPUs), len(gpuNodes))
		if r.Fix == "" {
			r.Fix = "Create the missing nodes (nvidia-modprobe -c=N) or give the container every GPU device."
		}
	}
	return []model.CheckResult{r}
}

// containerRule: inside a container, PIDs and devices behave differently.
func containerRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "access.container", Title: "Container",
		Why: "Inside a container NVML reports host PIDs (processes look unknown without the host PID namespace) and GPUs come only from the container runtime."}
	c := f.Container
	if !c.Detected {
		r.Status, r.Evidence = model.Skip, "not in a container (no /.dockerenv, /run/.containerenv, container variables or container cgroups)"
		return []model.CheckResult{r}
	}
	r.Evidence = "inside a " + c.Kind + " container (" + c.Evidence + ")"
	if inContainerWithoutGPU(f) {
		r.Status = model.Skip
		r.Evidence += "; no GPU was passed in, so there is nothing to judge here (see pci.gpus)"
		return []model.CheckResult{r}
	}
	if nv, ok := f.Env["NVIDIA_VISIBLE_DEVICES"]; ok {
		r.Evidence += "; NVIDIA_VISIBLE_DEVICES=" + strconv.Quote(nv)
	}
	unresolved := 0
	for _, g := range f.NVML.GPUs {
		if g.Slow.OK {
			for _, p := range g.Slow.V.Processes {
				if !p.Resolved {
					unresolved++
				}
			}
		}
	}
	if unresolved > 0 {
		r.Status = model.Warn
		r.Evidence += fmt.Sprintf("; %d GPU process(es) with PIDs not visible here", unresolved)
		r.Fix = "Run the container in the host PID namespace to see who uses the GPUs (docker --pid=host; Kubernetes hostPID: true)."
		r.Commands = []string{"docker run --pid=host --gpus all ...  # example"}
		return []model.CheckResult{r}
	}
	r.Status = model.Pass
	r.Evidence += "; if NVML later fails with \"Unknown Error\" after a host `systemctl daemon-reload`, see nvml.library"
	return []model.CheckResult{r}
}

// visibleDevicesRule: CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES hiding GPUs.
func visibleDevicesRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "access.visible_devices", Title: "CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES",
		Why: "CUDA_VISIBLE_DEVICES hides GPUs from CUDA programs only (nvidia-smi and gputop still show them): a model then runs on fewer GPUs, or finds none."}
	cvd, cvdSet := f.Env["CUDA_VISIBLE_DEVICES"]
	nvd, nvdSet := f.Env["NVIDIA_VISIBLE_DEVICES"]
	var ev []string
	if cvdSet {
		ev = append(ev, "CUDA_VISIBLE_DEVICES="+strconv.Quote(cvd))
	}
	if nvdSet {
		ev = append(ev, "NVIDIA_VISIBLE_DEVICES="+strconv.Quote(nvd))
	}
	if inContainerWithoutGPU(f) {
		r.Status, r.Evidence = model.Skip, "this container was given no GPU, so there is nothing for these variables to select (see pci.gpus)"
		if len(ev) > 0 {
			r.Evidence = strings.Join(ev, ", ") + ": " + r.Evidence
		}
		return []model.CheckResult{r}
	}
	if !cvdSet && !nvdSet {
		r.Status, r.Evidence = model.Pass, "neither variable is set: CUDA sees every GPU the driver sees"
		return []model.CheckResult{r}
	}
	r.Evidence = strings.Join(ev, ", ") + " (environment of this process)"
	r.Status = model.Pass
	switch v := strings.TrimSpace(cvd); {
	case !cvdSet:
	case v == "" || v == "-1" || strings.EqualFold(v, "NoDevFiles"):
		r.Status = model.Fail
		r.Evidence += ": CUDA sees no GPU at all"
		r.Fix = "Unset CUDA_VISIBLE_DEVICES or list the GPUs to use (indices or UUIDs)."
		r.Commands = []string{"unset CUDA_VISIBLE_DEVICES"}
	default:
		entries := strings.Split(v, ",")
		n := len(f.NVML.GPUs)
		if f.NVML.Opened && len(entries) < n {
			r.Status = model.Warn
			r.Evidence += fmt.Sprintf(": CUDA sees %d of the %d GPUs NVML sees", len(entries), n)
			r.Fix = "Intended when sharing a machine; otherwise unset CUDA_VISIBLE_DEVICES so programs see every GPU."
			r.Commands = []string{"unset CUDA_VISIBLE_DEVICES"}
		}
		for _, e := range entries {
			if idx, err := strconv.Atoi(strings.TrimSpace(e)); err == nil && f.NVML.Opened && (idx < 0 || idx >= n) {
				r.Status = model.Warn
				r.Evidence += fmt.Sprintf("; index %d does not exist (CUDA ignores it and every entry after it)", idx)
				r.Fix = "Fix CUDA_VISIBLE_DEVICES: list existing indices or GPU UUIDs (nvidia-smi -L)."
				r.Commands = []string{"nvidia-smi -L"}
			}
		}
	}
	if nvdSet {
		switch strings.TrimSpace(strings.ToLower(nvd)) {
		case "void", "none", "":
			r.Status = worst(r.Status, model.Warn)
			r.Evidence += "; NVIDIA_VISIBLE_DEVICES gives this container no GPU"
			if r.Fix == "" {
				r.Fix = "Start the container with GPUs (--gpus all, or NVIDIA_VISIBLE_DEVICES=all with the NVIDIA runtime)."
			}
		}
	}
	return []model.CheckResult{r}
}

// profilerEnvRule: profiler/debugger variables DCGM flags.
func profilerEnvRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "access.profiler_env", Title: "Profiler / debugger environment variables",
		Why: "These variables inject libraries or change CUDA error handling (core dumps, waits on exception): left set by accident they slow or alter every CUDA program."}
	var set []string
	for _, k := range dcgmEnvVars {
		if v, ok := f.Env[k]; ok {
			set = append(set, k+"="+strconv.Quote(v))
		}
	}
	sort.Strings(set)
	if len(set) == 0 {
		r.Status, r.Evidence = model.Pass, "none of DCGM's list is set ("+srcDCGM+")"
		return []model.CheckResult{r}
	}
	r.Status = model.Warn
	r.Evidence = strings.Join(set, ", ") + " (list: " + srcDCGM + ")"
	r.Fix = "Unset them unless you are profiling or debugging on purpose."
	for _, s := range set {
		k, _, _ := strings.Cut(s, "=")
		// A recorded name: only a valid variable name is offered.
		if envName.MatchString(k) {
			r.Commands = append(r.Commands, safe.Cmds([]string{"unset {}", k})...)
		}
	}
	return []model.CheckResult{r}
}

var fabricStateNames = map[int]string{0: "not supported", 1: "not started", 2: "in progress", 3: "completed"}

// fabricRule: on NVSwitch systems the fabric manager must have trained the
// fabric before CUDA can use the GPUs.
func fabricRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "fabric.manager", Title: "NVSwitch fabric manager",
		Why: "On NVSwitch systems (HGX/DGX) CUDA initialisation fails (\"system not yet initialized\") until nvidia-fabricmanager, of the same version as the driver, has set up the fabric."}
	var switches []string
	for _, d := range f.PCI.Devices {
		if d.Vendor == 0x10de && d.Class>>8 == 0x0680 {
			switches = append(switches, d.BDF)
		}
	}
	var states, bad []string
	for _, g := range f.NVML.GPUs {
		if !g.Slow.OK || !g.Slow.V.FabricState.OK || g.Slow.V.FabricState.V == 0 {
			continue
		}
		st := g.Slow.V.FabricState.V
		line := fmt.Sprintf("GPU %d %s", g.Info.Index, fabricStateNames[st])
		if g.Slow.V.FabricStatus.OK && g.Slow.V.FabricStatus.V != 0 {
			line += fmt.Sprintf(" (status %d)", g.Slow.V.FabricStatus.V)
			bad = append(bad, line)
		} else if st != 3 {
			bad = append(bad, line)
		}
		states = append(states, line)
	}
	if len(states) == 0 {
		r.Status = model.Skip
		if len(switches) > 0 {
			r.Evidence = "NVSwitch on the PCI bus (" + strings.Join(switches, ", ") + ") but no GPU reports a fabric state (pre-Hopper, or NVML not open): check the service by hand"
			r.Commands = []string{"systemctl status nvidia-fabricmanager"}
		} else {
			r.Evidence = "not an NVSwitch system: no NVSwitch on the PCI bus and no GPU reports a fabric state"
		}
		return []model.CheckResult{r}
	}
	r.Evidence = "fabric state (NVML): " + strings.Join(states, ", ")
	if len(switches) > 0 {
		r.Evidence += "; NVSwitches " + strings.Join(switches, ", ")
	}
	if len(bad) == 0 {
		r.Status = model.Pass
		return []model.CheckResult{r}
	}
	r.Status = model.Fail
	r.Fix = "Start the fabric manager and enable it at boot; its version must equal the driver's (" + orDash(f.NVML.DriverVersion) + "). If it fails, its log says why."
	r.Commands = []string{"sudo systemctl enable --now nvidia-fabricmanager  # starts the fabric manager now and at every boot", "systemctl status nvidia-fabricmanager", "journalctl -u nvidia-fabricmanager -n 50"}
	return []model.CheckResult{r}
}

// envName is a shell variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
