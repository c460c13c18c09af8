package checks

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// Environment rules: containers, CUDA forward compatibility, the loader's
// choice of libraries, GPU Operator, Slurm, WSL2. A rule whose environment
// is absent adds no row (a bare-metal checklist stays as it was); facts
// recorded before these probes give a skip ("not recorded"). They judge
// f.Environment (probe_env.go); applyEnvironment then re-reads the other
// rules' verdicts in the environment's terms, so that bare-metal advice
// ("enable Above 4G decoding", "install the driver") never appears where
// the cause is a cgroup, a container or WSL.
//
// Sources (read 2026-11-30):
//   - NVIDIA Container Toolkit, driver capabilities:
//     https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html
//   - "Containers losing access to GPUs: Failed to initialize NVML: Unknown
//     Error", NVIDIA's notice https://github.com/NVIDIA/nvidia-docker/issues/1730
//   - CUDA forward compatibility:
//     https://docs.nvidia.com/deploy/cuda-compatibility/forward-compatibility.html
//   - ld.so(8): LD_LIBRARY_PATH is searched before DT_RUNPATH and ld.so.cache;
//     PyTorch's wheels use DT_RUNPATH (github.com/pytorch/pytorch/issues/80637);
//     cuDNN 9 dlopens its sub-libraries by soname (pytorch/pytorch#189043).
//   - CUDA on WSL User Guide: https://docs.nvidia.com/cuda/wsl-user-guide/
//   - GPU Operator: /run/nvidia/driver and /run/nvidia/validations
//     https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/
//   - Slurm cgroup.conf ConstrainDevices: https://slurm.schedmd.com/cgroup.conf.html

const (
	srcContainerCaps = "NVIDIA Container Toolkit docs, driver capabilities"
	srcUnknownError  = "NVIDIA notice github.com/NVIDIA/nvidia-docker/issues/1730"
	srcForwardCompat = "NVIDIA CUDA Compatibility guide, Forward Compatibility"
	srcWSL           = "NVIDIA CUDA on WSL User Guide"
	srcTorchRunpath  = "PyTorch issue 80637: the wheels use RUNPATH, so LD_LIBRARY_PATH wins"
	srcCudnnSublib   = "PyTorch issue 188892, PR 189043"
)

func init() {
	rules = append(rules,
		rule{"env.container", false, envContainerRule, nil},
		rule{"env.forward_compat", false, forwardCompatRule, nil},
		rule{"env.libraries", false, libraryOrderRule, nil},
		rule{"env.operator", false, operatorRule, nil},
		rule{"env.slurm", false, slurmRule, nil},
		rule{"env.wsl", false, wslRule, nil},
	)
	// Root causes the environment explains (rootcause.go). Orders: the
	// container's device cgroup and WSL2's missing driver come with the
	// PCI bus (10); the container's capabilities and cuda-compat are
	// user-space library causes (35, before the library checks' 40).
	AddRootEdges(
		RootEdge{Root: "env.container:device-cgroup", Order: 10, Followers: append([]string{"hw.*"}, driverSide...)},
		RootEdge{Root: "env.wsl:no-windows-driver", Order: 10, Followers: driverSide},
		RootEdge{Root: "env.wsl:linux-libcuda", Order: 35, Followers: append([]string{"driver.libcuda", "env.libraries"}, stack...)},
		RootEdge{Root: "env.container:no-compute", Order: 35, Followers: append([]string{"driver.libcuda", "env.libraries"}, stack...)},
		RootEdge{Root: "env.container:no-utility", Order: 35, Followers: []string{"nvml.library", "health.*"}},
		RootEdge{Root: "env.forward_compat", Order: 35, Followers: append([]string{"driver.libcuda", "env.libraries"}, stack...)},
		RootEdge{Root: "env.libraries:driver-lib-mismatch", Order: 40, Followers: stack},
	)
}

func notRecorded(r model.CheckResult) []model.CheckResult {
	r.Status, r.Evidence = model.Skip, "environment facts not recorded (facts from an older gputop)"
	return []model.CheckResult{r}
}

// capsOf parses NVIDIA_DRIVER_CAPABILITIES.
func capsOf(v string) map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Split(v, ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" {
			m[c] = true
		}
	}
	return m
}

// deviceCgroupDenied: /dev/nvidiactl exists but opening it is refused by
// something other than file permissions (a device cgroup).
func deviceCgroupDenied(f *model.Facts) bool {
	c := f.Environment.Container
	return c.ControlOpenTried && strings.Contains(c.ControlOpenError, "operation not permitted")
}

// envContainerRule: capabilities, CDI specs, and the "Unknown Error" state.
func envContainerRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "env.container", Title: "Container GPU setup (capabilities, CDI, device access)",
		Why: "The NVIDIA container runtime mounts the driver's libraries by capability (compute: libcuda; utility: NVML and nvidia-smi) and grants the device nodes through the container's device cgroup; either can be missing while the GPUs are visible."}
	if !f.Environment.Probed {
		return notRecorded(r)
	}
	c := f.Environment.Container
	_, nvdSet := f.Env["NVIDIA_VISIBLE_DEVICES"]
	if !f.Container.Detected && !c.DriverCapabilities.OK && len(c.CDISpecs) == 0 && !deviceCgroupDenied(f) {
		return nil // not applicable: no row
	}
	if inContainerWithoutGPU(f) {
		// No GPU was passed in at all: pci.gpus is the root; nothing here
		// can pass.
		r.Status, r.Evidence = model.Skip, "inside a "+f.Container.Kind+" container that was given no GPU: nothing to judge (see pci.gpus)"
		return []model.CheckResult{r}
	}
	var ev, fixes, cmds []string
	r.Status = model.Pass
	if f.Container.Detected {
		ev = append(ev, "inside a "+f.Container.Kind+" container")
	}
	if c.DriverCapabilities.OK && (f.Container.Detected || nvdSet) {
		caps := capsOf(c.DriverCapabilities.V)
		ev = append(ev, "NVIDIA_DRIVER_CAPABILITIES="+strconv.Quote(c.DriverCapabilities.V))
		if !caps["all"] {
			// The variable is what the image asked for; what counts is
			// what the runtime mounted (Docker's --gpus brings its own).
			switch {
			case caps["compute"]:
			case f.CUDALibrary.Found:
				ev = append(ev, "no compute capability listed, but libcuda.so.1 is there ("+f.CUDALibrary.Path+")")
			default:
				r.Status, r.Cause = model.Fail, "no-compute"
				ev = append(ev, "no compute capability: the runtime did not mount libcuda, so CUDA programs find no driver ("+srcContainerCaps+")")
			}
			switch {
			case caps["utility"]:
			case f.NVML.Opened || f.NVMLLibrary.Found:
				ev = append(ev, "no utility capability listed, but NVML is there")
			default:
				st := model.Warn
				if f.NVML.ErrorCode == "LIBRARY_NOT_FOUND" {
					st = model.Fail
				}
				r.Status = worst(r.Status, st)
				if r.Cause == "" {
					r.Cause = "no-utility"
				}
				ev = append(ev, "no utility capability: NVML and nvidia-smi are not mounted ("+srcContainerCaps+")")
			}
			if r.Status != model.Pass {
				fixes = append(fixes, "Recreate the container with the capabilities it needs: NVIDIA_DRIVER_CAPABILITIES=compute,utility (or all); Docker's --gpus gives compute,utility by default.")
				cmds = append(cmds, "docker run --gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility ...  # example")
			}
		}
	}
	if deviceCgroupDenied(f) {
		r.Status, r.Cause = model.Fail, "device-cgroup"
		line := "/dev/nvidiactl exists but opening it read-write is refused (" + f.Environment.Container.ControlOpenError + "): the container's device cgroup no longer grants the GPUs"
		if f.NVML.ErrorCode == "UNKNOWN" {
			line += "; NVML fails with \"Unknown Error\": the state a host `systemctl daemon-reload` leaves containers in (" + srcUnknownError + ")"
		}
		ev = append(ev, line)
		fixes = append(fixes, "Delete and recreate the container (restarting the process inside is not enough). To stop it recurring, on the host create the /dev/char links the runtime needs, or run Docker with the cgroupfs cgroup driver, or use CDI.")
		cmds = append(cmds, "sudo nvidia-ctk system create-dev-char-symlinks --create-all  # on the host", "# or in /etc/docker/daemon.json: \"exec-opts\": [\"native.cgroupdriver=cgroupfs\"], then restart docker")
	}
	drv, _, drvOK := driverVersion(f)
	for _, s := range c.CDISpecs {
		line := "CDI spec " + s.Path
		switch {
		case s.Error != "":
			line += " unreadable: " + s.Error
		case s.DriverVersion == "":
			line += " (no libcuda version in it)"
		default:
			line += " mounts libcuda " + s.DriverVersion
			if drvOK {
				if sv, err := ParseVersion(s.DriverVersion); err == nil && sv.Compare(drv) != 0 {
					r.Status = worst(r.Status, model.Warn)
					if r.Cause == "" {
						r.Cause = "stale-cdi"
					}
					line += " but the driver is " + drv.String() + ": containers started with it get the old libraries or fail to start"
					fixes = append(fixes, "Regenerate the CDI specification after every driver update.")
					cmds = append(cmds, "sudo nvidia-ctk cdi generate --output="+s.Path+"  # rewrites the spec for the installed driver")
				}
			}
		}
		ev = append(ev, line)
	}
	judged := (c.DriverCapabilities.OK && (f.Container.Detected || nvdSet)) || len(c.CDISpecs) > 0 || deviceCgroupDenied(f)
	if !judged && r.Status == model.Pass {
		// Nothing the runtime set up to judge (a container given no GPU:
		// pci.gpus says how to pass one); a pass would claim too much.
		r.Status = model.Skip
		ev = append(ev, "no NVIDIA_DRIVER_CAPABILITIES, CDI specification or device node to judge")
		if c.ControlOpenTried {
			ev[len(ev)-1] = "no NVIDIA_DRIVER_CAPABILITIES or CDI specification; /dev/nvidiactl opens"
		}
	}
	r.Evidence = strings.Join(ev, "; ")
	r.Fix = strings.Join(fixes, " ")
	r.Commands = cmds
	return []model.CheckResult{r}
}

// gpuClass sorts GPUs for forward compatibility, which NVIDIA supports on
// data-center GPUs, select NGC-Ready RTX SKUs and Jetson only.
func gpuClass(name string) string {
	switch {
	case strings.Contains(name, "GeForce") || strings.Contains(name, "TITAN"):
		return "geforce"
	case strings.Contains(name, "Quadro") || strings.Contains(name, "RTX"):
		return "workstation"
	}
	for _, t := range []string{"Tesla", "A100", "A800", "H100", "H200", "H800", "H20", "GH200", "B200", "B100", "GB200", "B300", "L40", "L20", " L4", "A10", "A16", "A30", "A40", "A2", "V100", "T4", "P100", "P40"} {
		if strings.Contains(" "+name, t) {
			return "datacenter"
		}
	}
	return "unknown"
}

// ForwardCompatCUDA is the CUDA version an active, usable cuda-compat
// package lets programs use on this machine (every GPU data-center, compat
// libcuda newer than the kernel driver), for the driver-vs-runtime rules.
func ForwardCompatCUDA(f *model.Facts) (cuda string, fc model.ForwardCompat, ok bool) {
	drv, _, drvOK := driverVersion(f)
	if !drvOK || !f.NVML.Opened || len(f.NVML.GPUs) == 0 {
		return "", fc, false
	}
	for _, g := range f.NVML.GPUs {
		if gpuClass(g.Info.Name) != "datacenter" {
			return "", fc, false
		}
	}
	for _, c := range f.Environment.ForwardCompat {
		v, err := ParseVersion(c.LibCUDAVersion)
		if c.Active && err == nil && v.Compare(drv) > 0 && c.CUDAVersion != "" {
			return c.CUDAVersion, c, true
		}
	}
	return "", fc, false
}

func forwardCompatRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "env.forward_compat", Title: "CUDA forward compatibility (cuda-compat)",
		Why: "NVIDIA's cuda-compat package ships a newer libcuda that lets an older driver run a newer CUDA, on data-center GPUs only (" + srcForwardCompat + "). On the loader's path it replaces the driver's libcuda for every program; on the wrong GPU or with a newer driver it breaks CUDA."}
	if !f.Environment.Probed {
		return notRecorded(r)
	}
	fcs := f.Environment.ForwardCompat
	if len(fcs) == 0 {
		return nil // no cuda-compat package: not applicable
	}
	drv, drvSrc, drvOK := driverVersion(f)
	var ev, fixes, cmds []string
	r.Status = model.Pass
	for _, c := range fcs {
		line := fmt.Sprintf("%s: libcuda %s (CUDA %s)", c.Dir, orDash(c.LibCUDAVersion), orDash(c.CUDAVersion))
		if !c.Active {
			line += ", not on the loader's path: programs use the driver's libcuda"
			ev = append(ev, line)
			continue
		}
		line += ", ACTIVE via " + c.ActiveVia
		v, err := ParseVersion(c.LibCUDAVersion)
		switch {
		case !drvOK || err != nil:
			r.Status = worst(r.Status, model.Warn)
			line += "; the kernel driver's version is unknown, so whether it helps cannot be told"
		case v.Compare(drv) < 0:
			r.Status = model.Fail
			line += fmt.Sprintf("; older than the kernel driver %s (%s): CUDA then fails with CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803); forward compatibility only helps an older driver", drv, drvSrc)
			fixes = append(fixes, "Take "+c.Dir+" off the loader's path: this driver already supports CUDA "+orDash(c.CUDAVersion)+".")
		case v.Compare(drv) == 0:
			line += "; the same version as the kernel driver: harmless, changes nothing"
		default:
			classes := map[string][]string{}
			for _, g := range f.NVML.GPUs {
				cl := gpuClass(g.Info.Name)
				classes[cl] = append(classes[cl], gpuName(g.Info))
			}
			switch {
			case !f.NVML.Opened || len(f.NVML.GPUs) == 0:
				r.Status = worst(r.Status, model.Warn)
				line += "; NVML lists no GPU, so whether they support forward compatibility cannot be told"
			case len(classes["geforce"]) > 0:
				r.Status = model.Fail
				line += "; " + strings.Join(classes["geforce"], ", ") + " do not support forward compatibility: CUDA fails with CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE (804)"
				fixes = append(fixes, "Take "+c.Dir+" off the loader's path and upgrade the driver instead (GeForce cards need a driver that supports the CUDA version).")
			case len(classes["workstation"]) > 0 || len(classes["unknown"]) > 0:
				r.Status = worst(r.Status, model.Warn)
				line += "; " + strings.Join(append(classes["workstation"], classes["unknown"]...), ", ") + ": NVIDIA supports forward compatibility only on select NGC-Ready RTX SKUs; CUDA fails with error 804 on others"
			default:
				line += fmt.Sprintf("; data-center GPUs: programs may use CUDA %s on driver %s", orDash(c.CUDAVersion), drv)
			}
		}
		if c.Active && r.Status == model.Fail {
			if c.ActiveVia == "LD_LIBRARY_PATH" {
				cmds = append(cmds, "export LD_LIBRARY_PATH=$(echo \"$LD_LIBRARY_PATH\" | tr ':' '\\n' | grep -vx '"+c.Dir+"' | paste -sd:)  # drops the compat directory")
			} else {
				cmds = append(cmds, "grep -rl '"+c.Dir+"' /etc/ld.so.conf /etc/ld.so.conf.d/  # remove that line, then: sudo ldconfig")
			}
		}
		ev = append(ev, line)
	}
	r.Evidence = strings.Join(ev, "; ")
	r.Fix = strings.Join(fixes, " ")
	r.Commands = cmds
	return []model.CheckResult{r}
}

// libraryOrderRule: which libcuda / NVML / cuDNN the loader picks.
func libraryOrderRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "env.libraries", Title: "Which libcuda / NVML / cuDNN programs load",
		Why: "The loader takes the first copy in LD_LIBRARY_PATH, then ld.so.cache (built from ld.so.conf), then the system directories; LD_LIBRARY_PATH is also searched before a library's RUNPATH (ld.so(8)), so a directory there can shadow a pip wheel's cuDNN or the driver's libcuda: the classic cause of \"version mismatch\" errors."}
	if !f.Environment.Probed {
		return notRecorded(r)
	}
	libs := f.Environment.Libraries
	if len(libs) == 0 {
		return nil // nothing on the loader's path: driver.libcuda and nvml.library say so
	}
	r.Status = model.Pass
	var ev, fixes, cmds []string
	kernel := f.KernelModule.Version
	for _, l := range libs {
		var sys []model.LibraryHit
		var wheels []model.LibraryHit
		for _, c := range l.Candidates {
			if c.Via == "wheel" {
				wheels = append(wheels, c)
			} else {
				sys = append(sys, c)
			}
		}
		if len(sys) > 0 {
			w := sys[0]
			line := fmt.Sprintf("%s -> %s (%s, via %s)", l.Soname, w.Path, orDash(w.Version), w.Via)
			if len(sys) > 1 {
				var sh []string
				for _, c := range sys[1:] {
					sh = append(sh, fmt.Sprintf("%s (%s)", c.Path, orDash(c.Version)))
				}
				line += "; shadows " + strings.Join(sh, ", ")
			}
			isDriverLib := l.Soname == "libcuda.so.1" || l.Soname == "libnvidia-ml.so.1"
			compat := false
			for _, fc := range f.Environment.ForwardCompat {
				if fc.Active && strings.HasPrefix(w.Path, fc.Dir+"/") {
					compat = true
				}
			}
			judgedElsewhere := (l.Soname == "libcuda.so.1" && w.Path == f.CUDALibrary.Path) || (l.Soname == "libnvidia-ml.so.1" && w.Path == f.NVMLLibrary.Path)
			if isDriverLib && kernel != "" && w.Version != "" && w.Version != kernel && !compat {
				if judgedElsewhere {
					line += " [differs from the kernel module " + kernel + ": see driver.libcuda / nvml.library]"
				} else {
					r.Status, r.Cause = model.Fail, "driver-lib-mismatch"
					line += fmt.Sprintf(": the kernel module is %s; a different user-space driver library fails to initialise (driver/library version mismatch)", kernel)
					fixes = append(fixes, "Remove "+path.Dir(w.Path)+" from "+w.Via+" (or delete the stale copy) so that the driver's own "+l.Soname+" is loaded.")
				}
			}
			if compat {
				line += " [cuda-compat: see env.forward_compat]"
			}
			ev = append(ev, line)
		}
		// Every framework whose wheel brings its own cuDNN.
		for _, wh := range wheels {
			site := strings.TrimSuffix(wh.Path, "/nvidia/cudnn/lib/"+l.Soname)
			var users []string
			for _, t := range f.Torch {
				if t.CUDA != "" && strings.HasPrefix(t.Path, site+"/") {
					users = append(users, "torch "+t.Version)
				}
			}
			who := "the wheel in " + site
			if len(users) > 0 {
				who = strings.Join(users, ", ") + " (" + site + ")"
			}
			if wh.Version == "" {
				// The wheel ships libcudnn.so.9 without a version in its
				// name; its header (cudnn.pip) has it.
				for _, c := range f.CuDNN {
					if c.Origin == "pip" && strings.HasPrefix(c.Header, site+"/") && c.Version != "" {
						wh.Version = c.Version
					}
				}
			}
			line := fmt.Sprintf("%s of %s: %s", l.Soname, who, orDash(wh.Version))
			for _, c := range sys {
				if c.Via != "LD_LIBRARY_PATH" {
					continue
				}
				if c.Version == "" || wh.Version == "" || !sameMinor(c.Version, wh.Version) {
					r.Status = worst(r.Status, model.Warn)
					line += fmt.Sprintf(", but LD_LIBRARY_PATH's %s (%s) is found first by libraries that use RUNPATH, as the wheels' do: the framework may load cuDNN %s instead (%s)", c.Path, orDash(c.Version), orDash(c.Version), srcTorchRunpath)
					fixes = append(fixes, "Remove "+path.Dir(c.Path)+" from LD_LIBRARY_PATH when running "+who+", so it loads the cuDNN its wheel was built with.")
					cmds = append(cmds, "python -c 'import torch; print(torch.backends.cudnn.version())'  # the cuDNN torch really loaded")
				}
				break
			}
			// cuDNN 9 loads its engine sub-libraries by soname: with a
			// different system copy on the loader's path, a framework that
			// preloads only the dispatcher may mix versions.
			if strings.HasPrefix(l.Soname, "libcudnn.so.9") && len(sys) > 0 && sys[0].Via != "LD_LIBRARY_PATH" &&
				wh.Version != "" && sys[0].Version != "" && !sameMinor(sys[0].Version, wh.Version) {
				line += fmt.Sprintf("; note: a system cuDNN %s is on the loader's path too, and cuDNN 9 opens its sub-libraries by name, so a framework that preloads only libcudnn.so can mix versions (CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH, %s)", sys[0].Version, srcCudnnSublib)
			}
			ev = append(ev, line)
		}
	}
	r.Evidence = strings.Join(ev, "; ") + " (loader order: LD_LIBRARY_PATH, ld.so.conf as listed, system directories)"
	r.Fix = strings.Join(fixes, " ")
	r.Commands = cmds
	return []model.CheckResult{r}
}

var operatorReady = []string{"driver-ready", "toolkit-ready", "cuda-ready", "plugin-ready"}

func operatorRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "env.operator", Title: "NVIDIA GPU Operator",
		Why: "On GPU Operator nodes the driver runs in a container: its libraries and nvidia-smi live under /run/nvidia/driver, and the operator's validator marks each stage ready in /run/nvidia/validations."}
	if !f.Environment.Probed {
		return notRecorded(r)
	}
	o := f.Environment.Operator
	if !o.DriverRoot && !o.ValidationsDir {
		return nil // not a GPU Operator node
	}
	var ev []string
	if o.DriverRoot {
		line := "driver root /run/nvidia/driver"
		if o.LibraryDir != "" {
			line += fmt.Sprintf(" (libnvidia-ml %s in %s)", orDash(o.DriverVersion), o.LibraryDir)
		}
		ev = append(ev, line)
	}
	r.Status = model.Pass
	if o.ValidationsDir {
		have := map[string]bool{}
		for _, v := range o.Validations {
			have[v] = true
		}
		var missing []string
		for _, v := range operatorReady {
			if !have[v] {
				missing = append(missing, v)
			}
		}
		ev = append(ev, "validations: "+orDash(strings.Join(o.Validations, ", ")))
		if len(missing) > 0 {
			r.Status = model.Warn
			ev = append(ev, "not ready: "+strings.Join(missing, ", "))
			r.Fix = "The operator's validator has not passed these stages; its pods' logs say why."
			r.Commands = []string{"kubectl get pods -n gpu-operator", "kubectl logs -n gpu-operator -l app=nvidia-operator-validator --all-containers"}
		}
	}
	if !f.NVMLLibrary.Found && o.LibraryDir != "" {
		ev = append(ev, "this process's loader does not see the driver container's libraries")
		if r.Fix == "" {
			r.Fix = "Run gputop inside the driver or toolkit container, or point the loader at the driver root's libraries."
		}
		r.Commands = append(r.Commands, "LD_LIBRARY_PATH="+o.LibraryDir+" gputop check  # use the driver container's NVML")
	}
	r.Evidence = strings.Join(ev, "; ")
	return []model.CheckResult{r}
}

// slurmJob reports whether this is a Slurm job.
func slurmJob(f *model.Facts) bool {
	s := f.Environment.Slurm
	return s.JobID != "" || s.Cgroup != ""
}

func slurmRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "env.slurm", Title: "Slurm job",
		Why: "With ConstrainDevices=yes (cgroup.conf) a job's cgroup grants only its GPUs: NVML and CUDA see fewer GPUs than the PCI bus, by design."}
	if !f.Environment.Probed {
		return notRecorded(r)
	}
	s := f.Environment.Slurm
	if !slurmJob(f) {
		return nil // not a Slurm job
	}
	ev := []string{"job " + orDash(s.JobID)}
	if s.GPUs != "" {
		ev = append(ev, s.GPUsFrom+"="+strconv.Quote(s.GPUs))
	}
	if s.Cgroup != "" {
		ev = append(ev, "cgroup "+s.Cgroup)
	}
	if s.ConstrainDevices.OK {
		ev = append(ev, fmt.Sprintf("ConstrainDevices=%s (%s)", yesNo(s.ConstrainDevices.V), s.ConfPath))
	} else {
		ev = append(ev, "cgroup.conf not readable here: ConstrainDevices unknown")
	}
	if f.NVML.Opened {
		ev = append(ev, fmt.Sprintf("NVML sees %d GPU(s)", len(f.NVML.GPUs)))
	}
	r.Status = model.Pass
	r.Evidence = strings.Join(ev, "; ")
	return []model.CheckResult{r}
}

func wslRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "env.wsl", Title: "WSL2 GPU paravirtualisation",
		Why: "On WSL2 the NVIDIA driver runs on Windows; Linux reaches it through /dev/dxg and the libraries in /usr/lib/wsl/lib. There is no Linux kernel module, no /proc/driver/nvidia and no PCI device, and NVML offers only part of its readings (" + srcWSL + ")."}
	if !f.Environment.Probed {
		return notRecorded(r)
	}
	w := f.Environment.WSL
	if !w.Detected {
		return nil // not WSL2
	}
	ev := []string{"WSL2 (" + w.Evidence + ")", "/dev/dxg " + presentAbsent(w.DXG), "/usr/lib/wsl/lib/libcuda.so.1 " + presentAbsent(w.LibDir)}
	r.Status = model.Pass
	var winner model.LibraryHit
	for _, l := range f.Environment.Libraries {
		if l.Soname == "libcuda.so.1" && len(l.Candidates) > 0 {
			winner = l.Candidates[0]
		}
	}
	switch {
	case !w.DXG || !w.LibDir:
		r.Status, r.Cause = model.Fail, "no-windows-driver"
		r.Fix = "Install (or update) the NVIDIA driver on Windows; it provides /dev/dxg and /usr/lib/wsl/lib to every WSL2 distribution. Do not install a Linux display driver inside WSL. Then restart WSL."
		r.Commands = []string{"wsl --shutdown  # in Windows, after installing the driver", "wsl --update"}
	case winner.Path != "" && !strings.HasPrefix(winner.Path, "/usr/lib/wsl/"):
		r.Status, r.Cause = model.Fail, "linux-libcuda"
		ev = append(ev, "the loader picks "+winner.Path+" (via "+winner.Via+") instead of /usr/lib/wsl/lib/libcuda.so.1")
		r.Fix = "A Linux driver's libcuda inside WSL shadows the Windows driver's: remove it (the Linux display driver must not be installed in WSL), or take its directory off the loader's path."
		r.Commands = []string{"ls -l " + winner.Path, "dpkg -S " + winner.Path + "  # which package installed it"}
	}
	if f.NVML.Opened {
		line := fmt.Sprintf("NVML open, %d GPU(s)", len(f.NVML.GPUs))
		if lacks := nvmlLacks(f); len(lacks) > 0 {
			line += "; NVML here does not report: " + strings.Join(lacks, ", ") + " (shown as N/A)"
		}
		ev = append(ev, line)
	}
	r.Evidence = strings.Join(ev, "; ")
	return []model.CheckResult{r}
}

// nvmlLacks lists the readings NVML left unavailable on the first GPU with
// readings: on WSL2 that is what the paravirtualised driver does not offer.
func nvmlLacks(f *model.Facts) []string {
	for _, g := range f.NVML.GPUs {
		if !g.Sample.OK || !g.Slow.OK {
			continue
		}
		s, sl := g.Sample.V, g.Slow.V
		var out []string
		for _, c := range []struct {
			name string
			ok   bool
		}{
			{"power draw", s.PowerDraw.OK}, {"temperature", s.TempGPU.OK}, {"clocks", s.ClockSM.OK},
			{"clock-event reasons", s.ThrottleReasons.OK}, {"memory-bandwidth utilisation", s.UtilMem.OK},
			{"PCIe link", sl.PCIeGen.OK}, {"PCIe throughput", sl.PCIeTxKBps.OK}, {"PCIe replays", sl.PCIeReplays.OK},
			{"ECC", sl.ECCEnabled.OK}, {"persistence mode", sl.Persistence.OK}, {"compute mode", sl.ComputeMode.OK},
			{"energy counter", sl.EnergyMilliJ.OK},
		} {
			if !c.ok {
				out = append(out, c.name)
			}
		}
		return out
	}
	return nil
}

// sameMinor: two library versions agree on major.minor (9.14.0 vs 9.14.1).
func sameMinor(a, b string) bool {
	va, ea := ParseVersion(a)
	vb, eb := ParseVersion(b)
	if ea != nil || eb != nil {
		return a == b
	}
	return va.Major() == vb.Major() && va.Minor() == vb.Minor()
}

func presentAbsent(b bool) string {
	if b {
		return "present"
	}
	return "absent"
}

// confinement explains why NVML may see fewer GPUs than the PCI bus, and
// how many it should see (0 when unknown).
func confinement(f *model.Facts) (why string, granted int, ok bool) {
	if !f.Environment.Probed {
		return "", 0, false
	}
	count := func(list string) int {
		n := 0
		for _, e := range strings.Split(list, ",") {
			if strings.TrimSpace(e) != "" {
				n++
			}
		}
		return n
	}
	if slurmJob(f) {
		s := f.Environment.Slurm
		if s.ConstrainDevices.OK && !s.ConstrainDevices.V {
			return "", 0, false // devices not confined: a missing GPU is a real fault
		}
		why = "this Slurm job's cgroup grants only its GPUs"
		if s.GPUs != "" {
			why += " (" + s.GPUsFrom + "=" + strconv.Quote(s.GPUs) + ")"
			granted = count(s.GPUs)
		}
		return why, granted, true
	}
	if f.Container.Detected {
		nv, set := f.Env["NVIDIA_VISIBLE_DEVICES"]
		switch l := strings.ToLower(strings.TrimSpace(nv)); {
		case set && l == "all":
			return "", 0, false
		case set && l != "" && l != "void" && l != "none":
			return fmt.Sprintf("the %s container was given NVIDIA_VISIBLE_DEVICES=%q", f.Container.Kind, nv), count(nv), true
		}
		return fmt.Sprintf("inside a %s container, which gets only the GPUs its runtime passed in", f.Container.Kind), 0, true
	}
	return "", 0, false
}

// applyEnvironment re-reads other rules' verdicts in the environment's
// terms. It only softens a verdict whose cause the environment explains,
// and says so in the evidence.
func applyEnvironment(f *model.Facts, out []model.CheckResult) []model.CheckResult {
	if !f.Environment.Probed {
		return out
	}
	w := f.Environment.WSL
	for i := range out {
		r := &out[i]
		switch {
		case w.Detected && w.DXG && w.LibDir:
			wslAdjust(f, r)
		case r.ID == "pci.gpus" && r.Status != model.Pass:
			pciAdjust(f, r)
		case (r.ID == "nvml.library" || r.ID == "driver.libcuda") && (r.Status == model.Fail || r.Status == model.Warn):
			libraryAdjust(f, r)
		}
	}
	return out
}

// wslAdjust: the driver checks judge WSL2's layout instead of failing it.
func wslAdjust(f *model.Facts, r *model.CheckResult) {
	note := "WSL2: the driver runs on Windows (/dev/dxg, /usr/lib/wsl/lib); see env.wsl"
	switch {
	case r.ID == "driver.loaded" && r.Status != model.Pass:
		r.Status, r.Cause = model.Skip, ""
		if f.NVML.Opened {
			r.Status = model.Pass
		}
		r.Evidence = note + "; there is no Linux kernel module to load. " + r.Evidence
		r.Fix, r.Commands = "", nil
	case (r.ID == "driver.module" || r.ID == "pci.gpus" || strings.HasPrefix(r.ID, "bar1") || r.ID == "access.devnodes") && r.Status != model.Pass:
		r.Status, r.Cause = model.Skip, ""
		r.Evidence = note + ": no kernel module, PCI device or /dev/nvidia* to judge. " + r.Evidence
		r.Fix, r.Commands = "", nil
	}
}

// pciAdjust: fewer GPUs in NVML than on the bus is expected under a cgroup
// or in a container; the firmware advice does not apply there.
func pciAdjust(f *model.Facts, r *model.CheckResult) {
	why, granted, ok := confinement(f)
	if !ok || !f.NVML.Opened {
		return
	}
	// Only when missing GPUs are the whole story: nouveau, an unbound
	// function or unassigned BARs are faults in any environment.
	for _, d := range f.PCI.Devices {
		if !d.IsGPU() {
			continue
		}
		if d.Driver == "nouveau" || (d.Driver == "" && f.KernelModule.Loaded) {
			return
		}
		for _, b := range d.BARs {
			if b.Unassigned {
				return
			}
		}
	}
	n := len(f.NVML.GPUs)
	switch {
	case granted > 0 && n == granted:
		r.Status, r.Cause = model.Pass, ""
		r.Evidence = fmt.Sprintf("expected: %s, and NVML sees those %d. ", why, n) + r.Evidence
		r.Fix, r.Commands = "", nil
	default:
		r.Status = model.Warn
		detail := "the number granted is not known here"
		if granted > 0 {
			detail = fmt.Sprintf("%d granted, NVML sees %d", granted, n)
		}
		r.Evidence = fmt.Sprintf("probably expected: %s (%s). ", why, detail) + r.Evidence
		r.Fix = "If this job or container should see every GPU, request them (Slurm: --gpus / --gres=gpu:N; containers: --gpus all or NVIDIA_VISIBLE_DEVICES=all). The firmware is not the cause here."
		r.Commands = []string{"nvidia-smi -L"}
	}
}

// libraryAdjust: a missing NVML/libcuda explained by the environment gets
// the environment's fix instead of "install the driver".
func libraryAdjust(f *model.Facts, r *model.CheckResult) {
	caps := f.Environment.Container.DriverCapabilities
	o := f.Environment.Operator
	var compat *model.ForwardCompat
	for i, fc := range f.Environment.ForwardCompat {
		if fc.Active && r.ID == "driver.libcuda" && strings.HasPrefix(f.CUDALibrary.RealPath, fc.Dir+"/") {
			compat = &f.Environment.ForwardCompat[i]
		}
	}
	switch {
	case compat != nil:
		// A libcuda newer than the kernel module is what cuda-compat is.
		if _, _, ok := ForwardCompatCUDA(f); ok {
			r.Status, r.Cause = model.Pass, ""
			r.Evidence = "the libcuda is NVIDIA's cuda-compat package (" + compat.Dir + "), judged by env.forward_compat. " + r.Evidence
			r.Fix, r.Commands = "", nil
		} else {
			r.Evidence = "follows from env.forward_compat (" + compat.Dir + " is on the loader's path). " + r.Evidence
			r.Fix = "See env.forward_compat: take " + compat.Dir + " off the loader's path unless this GPU and driver support forward compatibility."
			r.Commands = nil
		}
	case f.Container.Detected && caps.OK && !capsOf(caps.V)["all"] &&
		((r.ID == "nvml.library" && !capsOf(caps.V)["utility"] && !f.NVMLLibrary.Found) ||
			(r.ID == "driver.libcuda" && !capsOf(caps.V)["compute"] && !f.CUDALibrary.Found)):
		r.Evidence = "follows from env.container (NVIDIA_DRIVER_CAPABILITIES=" + strconv.Quote(caps.V) + "). " + r.Evidence
		r.Fix = "Recreate the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility (or all): the runtime mounts the driver's libraries by capability."
		r.Commands = []string{"docker run --gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility ...  # example"}
	case deviceCgroupDenied(f) && f.Container.Detected:
		r.Evidence = "follows from env.container (device cgroup no longer grants the GPUs). " + r.Evidence
		r.Fix = "Delete and recreate the container; see env.container for how to stop it recurring."
		r.Commands = []string{"sudo nvidia-ctk system create-dev-char-symlinks --create-all  # on the host"}
	case o.DriverRoot && o.LibraryDir != "" && !f.Container.Detected:
		r.Status = model.Warn
		r.Evidence = "GPU Operator node: the driver's libraries live in " + o.LibraryDir + " by design (see env.operator). " + r.Evidence
		r.Fix = "Run gputop with the driver root's libraries on the loader's path, or inside the driver container."
		r.Commands = []string{"LD_LIBRARY_PATH=" + o.LibraryDir + " gputop check"}
	}
}
