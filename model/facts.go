package model

import "encoding/json"

// Facts is everything the probes gathered, raw, before any rule judged it.
// Snapshots record it so `gputop check --from FILE` can rerun today's rules
// on yesterday's machine. The checks package owns its contents.
//
// A probe that failed leaves its error as text in the section it concerns
// (an Error field) rather than aborting: one unreadable file must not hide
// everything else.
type Facts struct {
	Collected Timestamp `json:"collected"`
	Host      string    `json:"host,omitempty"`
	// Source says who produced the facts: "probe" (this machine), "demo".
	Source string `json:"source"`

	KernelModule KernelModuleFacts `json:"kernel_module"`
	NVMLLibrary  LibraryFacts      `json:"nvml_library"` // libnvidia-ml.so.1
	CUDALibrary  LibraryFacts      `json:"cuda_library"` // libcuda.so.1 (the driver API)

	PCI PCIFacts `json:"pci"`

	NVCC      NVCCFacts         `json:"nvcc"`
	CUDALink  CUDAInstall       `json:"cuda_link"` // /usr/local/cuda, resolved
	Toolkits  []CUDAInstall     `json:"toolkits"`  // every /usr/local/cuda-X.Y
	CuDNN     []CuDNNInstall    `json:"cudnn"`
	Torch     []TorchInstall    `json:"torch"`
	SiteDirs  []string          `json:"site_dirs"` // python site-packages searched
	DevNodes  DevNodeFacts      `json:"dev_nodes"`
	Container ContainerFacts    `json:"container"`
	Env       map[string]string `json:"env"` // relevant variables that are set (even to "")

	NVML NVMLFacts `json:"nvml"`

	// Environment: containers, forward compatibility, loader order,
	// Operator, Slurm, WSL2, AER/IOMMU (model/environment.go).
	Environment EnvironmentFacts `json:"environment"`

	// Stack: TensorRT, NCCL, other frameworks, compiled extensions and the
	// container image's CUDA (checks/probe_stack.go).
	Stack StackFacts `json:"stack"`

	// Events is the timeline the facts were judged with: the sampler's
	// events (Xids, GPUs lost) live, the recorded ones for `check --from`.
	Events []Event `json:"-"`
	// KernelLog is what the kernel log said about the NVIDIA driver (Xids,
	// module load failures), when it could be read.
	KernelLog KernelLogFacts `json:"kernel_log"`

	// Missing lists the top-level sections (JSON keys) a recording did not
	// hold: unknown, not absent. Rules needing them skip. Never written
	// by a live probe; filled when facts are decoded.
	Missing []string `json:"-"`
}

// factSections are the top-level keys whose absence from recorded facts
// means "not recorded". kernel_log and events are newer than the first
// snapshots, so their absence is recorded as well.
var factSections = []string{"kernel_module", "nvml_library", "cuda_library", "pci", "nvcc", "cuda_link",
	"toolkits", "cudnn", "torch", "dev_nodes", "container", "env", "nvml", "kernel_log"}

// UnmarshalJSON decodes facts and notes which sections were not recorded.
// Inside kernel_module, a recording that gives a version but no "loaded"
// key is read as loaded (the version came from the loaded module).
func (f *Facts) UnmarshalJSON(b []byte) error {
	type plain Facts
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	*f = Facts(p)
	f.Missing = nil
	for _, k := range factSections {
		if _, ok := keys[k]; !ok {
			f.Missing = append(f.Missing, k)
		}
	}
	if km, ok := keys["kernel_module"]; ok {
		var inner map[string]json.RawMessage
		if json.Unmarshal(km, &inner) == nil {
			if _, has := inner["loaded"]; !has && f.KernelModule.Version != "" {
				f.KernelModule.Loaded = true
			}
		}
	}
	return nil
}

// Recorded reports whether a section (a key of factSections) was recorded;
// live facts have every section.
func (f *Facts) Recorded(section string) bool {
	for _, m := range f.Missing {
		if m == section {
			return false
		}
	}
	return true
}

// KernelLogFacts is the NVIDIA part of the kernel log (dmesg, or
// journalctl -k), read bounded in bytes and time.
type KernelLogFacts struct {
	// Read: some log was read; Source says which ("dmesg", "journalctl -k").
	Read   bool   `json:"read"`
	Source string `json:"source,omitempty"`
	Bytes  int    `json:"bytes,omitempty"` // bytes read (bounded)
	// Truncated: only the newest part was kept.
	Truncated bool        `json:"truncated,omitempty"`
	Xids      []KernelXid `json:"xids,omitempty"`
	// Notes are driver lines that explain a failure to load or bind:
	// signature rejections, "requires the open kernel modules", API
	// mismatch, nouveau, BAR assignment failures (at most 20, newest).
	Notes []string `json:"notes,omitempty"`
	Error string   `json:"error,omitempty"`
}

// KernelXid is one "NVRM: Xid (PCI:0000:18:00): 79, ..." line.
type KernelXid struct {
	BDF  string `json:"bdf"` // "0000:18:00" as the log gives it
	Xid  int    `json:"xid"`
	Text string `json:"text"` // the rest of the line, bounded
	// Uptime is the kernel timestamp in seconds since boot when the line
	// had one ([ 1234.567890]); negative when it had none.
	Uptime float64 `json:"uptime"`
}

// KernelModuleFacts comes from /proc/driver/nvidia/version and /sys/module.
type KernelModuleFacts struct {
	Loaded bool `json:"loaded"`
	// VersionText is the NVRM line of /proc/driver/nvidia/version.
	VersionText string `json:"version_text,omitempty"`
	Version     string `json:"version,omitempty"` // "580.159.04"
	// Open: the open kernel module ("Open Kernel Module" in the text).
	Open Opt[bool] `json:"open"`
	// EnableResizableBar from /proc/driver/nvidia/params (0 or 1).
	EnableResizableBar Opt[int] `json:"enable_resizable_bar"`
	NouveauLoaded      bool     `json:"nouveau_loaded"` // /sys/module/nouveau exists
	Error              string   `json:"error,omitempty"`

	// Why a module may not load (read when it is not loaded):
	// SecureBoot from the EFI variable (unknown on BIOS boots or when
	// unreadable); RunningKernel from /proc/sys/kernel/osrelease;
	// ModuleKernels: the kernels under /lib/modules that have an nvidia.ko.
	SecureBoot    Opt[bool] `json:"secure_boot"`
	RunningKernel string    `json:"running_kernel,omitempty"`
	ModuleKernels []string  `json:"module_kernels,omitempty"`
	// ModulesSearched: /lib/modules was looked at (ModuleKernels is then
	// meaningful even when empty).
	ModulesSearched bool `json:"modules_searched,omitempty"`
	// Install says how the driver was installed, when it can be told:
	// "deb" (dpkg lists nvidia driver packages), "rpm", "runfile"
	// (/usr/bin/nvidia-uninstall exists); "" unknown.
	Install string `json:"install,omitempty"`
	// InstallEvidence: the file that told.
	InstallEvidence string `json:"install_evidence,omitempty"`
}

// LibraryFacts locates a driver library by its soname link and reads the
// version from the real file's name (libnvidia-ml.so.580.159.04).
type LibraryFacts struct {
	Found    bool   `json:"found"`
	Path     string `json:"path,omitempty"`      // the soname link found
	RealPath string `json:"real_path,omitempty"` // what it resolves to
	Version  string `json:"version,omitempty"`   // from the real file name
	Error    string `json:"error,omitempty"`
}

// PCIFacts lists NVIDIA functions (vendor 0x10de) on the PCI bus.
type PCIFacts struct {
	Readable bool        `json:"readable"` // /sys/bus/pci/devices could be listed
	Devices  []PCIDevice `json:"devices"`
	Error    string      `json:"error,omitempty"`
}

// PCIDevice is one PCI function as sysfs shows it.
type PCIDevice struct {
	BDF    string `json:"bdf"` // "0000:18:00.0"
	Vendor uint16 `json:"vendor"`
	Device uint16 `json:"device"`
	Class  uint32 `json:"class"` // 0x030200
	// Driver is the bound driver ("nvidia", "nouveau", "vfio-pci"), "" when unbound.
	Driver string   `json:"driver"`
	BARs   []PCIBAR `json:"bars"` // memory BARs only
	Error  string   `json:"error,omitempty"`
}

// PCIBAR is one memory BAR from sysfs `resource` (lines 0-5 only).
type PCIBAR struct {
	Index int    `json:"index"` // line number in `resource`
	Start uint64 `json:"start"`
	Size  uint64 `json:"size"` // end-start+1
	Flags uint64 `json:"flags"`
	// Unassigned: the kernel could not place the BAR (start 0 or the
	// IORESOURCE_UNSET flag), typically because Above 4G decoding is off.
	Unassigned bool `json:"unassigned"`
}

// IsGPU reports whether the function is an NVIDIA display or 3D controller.
func (d PCIDevice) IsGPU() bool {
	c := d.Class >> 8
	return d.Vendor == 0x10de && (c == 0x0300 || c == 0x0302)
}

// LargestMemBAR returns the largest assigned memory BAR, or unavailable.
func (d PCIDevice) LargestMemBAR() Opt[uint64] {
	var best Opt[uint64]
	for _, b := range d.BARs {
		if !b.Unassigned && (!best.OK || b.Size > best.V) {
			best = Some(b.Size)
		}
	}
	return best
}

// NVCCFacts is the nvcc found first on PATH.
type NVCCFacts struct {
	Found        bool   `json:"found"`
	Path         string `json:"path,omitempty"`
	ResolvedPath string `json:"resolved_path,omitempty"`
	Version      string `json:"version,omitempty"` // "13.0" (release)
	Build        string `json:"build,omitempty"`   // "13.0.88"
	Output       string `json:"output,omitempty"`  // last line of nvcc --version
	Error        string `json:"error,omitempty"`
}

// CUDAInstall is one toolkit directory: /usr/local/cuda (Chain holds every
// link hop) or /usr/local/cuda-X.Y.
type CUDAInstall struct {
	Path     string   `json:"path"`
	Exists   bool     `json:"exists"`
	Chain    []string `json:"chain,omitempty"` // link targets, in order
	Resolved string   `json:"resolved,omitempty"`
	Version  string   `json:"version,omitempty"` // "12.4.1" or "12.4"
	// VersionSource: "version.json", "cuda_runtime_api.h CUDART_VERSION",
	// "cuda.h CUDA_VERSION".
	VersionSource string `json:"version_source,omitempty"`
	Error         string `json:"error,omitempty"`
}

// CuDNNInstall is one cuDNN header found.
type CuDNNInstall struct {
	Header string `json:"header"`
	// Origin: "toolkit", "system", "pip", "conda".
	Origin  string `json:"origin"`
	Version string `json:"version,omitempty"` // "9.14.0"
	// CUDAMajor is the CUDA major this build is for, when it can be told
	// (pip dist-info name nvidia_cudnn_cu12, Debian libcudnn9-cuda-12, the
	// toolkit it sits in).
	CUDAMajor Opt[int] `json:"cuda_major"`
	Error     string   `json:"error,omitempty"`
}

// TorchInstall is one PyTorch found by reading torch/version.py.
type TorchInstall struct {
	Path    string `json:"path"`    // .../torch/version.py
	Version string `json:"version"` // "2.11.0+cu130"
	CUDA    string `json:"cuda"`    // "13.0"; "" for a CPU-only build
	Error   string `json:"error,omitempty"`
}

// DevNodeFacts is /dev/nvidia* and whether this user can open them.
type DevNodeFacts struct {
	Nodes []DevNode `json:"nodes"`
	Error string    `json:"error,omitempty"`
}

// DevNode is one /dev/nvidia* entry.
type DevNode struct {
	Path       string `json:"path"`
	Accessible bool   `json:"accessible"` // read and write allowed
	Error      string `json:"error,omitempty"`
}

// ContainerFacts says whether we run inside a container and why we think so.
type ContainerFacts struct {
	Detected bool   `json:"detected"`
	Kind     string `json:"kind,omitempty"`     // "docker", "podman", "kubernetes", ...
	Evidence string `json:"evidence,omitempty"` // the file or variable that told us
}

// NVMLFacts is what NVML said, supplied by the caller (the sampler's
// backend, the simulated fleet, or a snapshot).
type NVMLFacts struct {
	// Source: "nvml", "demo", "replay", or "" when nobody tried NVML.
	Source string `json:"source"`
	Opened bool   `json:"opened"`
	// ErrorCode is NVML's return name when Opened is false:
	// "LIBRARY_NOT_FOUND", "DRIVER_NOT_LOADED", "LIB_RM_VERSION_MISMATCH",
	// "NO_PERMISSION", ...
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`

	DriverVersion     string   `json:"driver_version,omitempty"`
	NVMLVersion       string   `json:"nvml_version,omitempty"`
	CUDADriverVersion Opt[int] `json:"cuda_driver_version"` // 13000 = 13.0

	GPUs []GPUFacts `json:"gpus"`
}

// GPUFacts is one GPU as NVML sees it: identity, latest readings, health.
type GPUFacts struct {
	Info   GPUInfo         `json:"info"`
	Sample Opt[Sample]     `json:"sample"`
	Slow   Opt[SlowSample] `json:"slow"`
	Health Health          `json:"health"`
}
