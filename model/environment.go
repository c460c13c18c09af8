package model

// EnvironmentFacts is where the GPUs live: container details, CUDA forward
// compatibility, which driver libraries the loader picks, GPU Operator,
// Slurm, WSL2, and PCIe/IOMMU facts from sysfs. checks/probe_env.go gathers
// it; checks/rules_env.go and rules_hw.go judge it.
type EnvironmentFacts struct {
	// Probed is false in facts recorded before these probes existed: rules
	// then skip ("not recorded") instead of judging an absence.
	Probed bool `json:"probed"`

	Container     ContainerEnv    `json:"container"`
	ForwardCompat []ForwardCompat `json:"forward_compat,omitempty"`
	Libraries     []LibraryChoice `json:"libraries,omitempty"`
	Operator      OperatorFacts   `json:"operator"`
	Slurm         SlurmFacts      `json:"slurm"`
	WSL           WSLFacts        `json:"wsl"`
	AER           []AERCounters   `json:"aer,omitempty"`
	IOMMU         IOMMUFacts      `json:"iommu"`
}

// ContainerEnv is what the NVIDIA container runtime left behind.
type ContainerEnv struct {
	// DriverCapabilities is NVIDIA_DRIVER_CAPABILITIES when set.
	DriverCapabilities Opt[string] `json:"driver_capabilities"`
	// CDISpecs are the CDI specification files found (/etc/cdi,
	// /var/run/cdi), with the driver version their libraries name.
	CDISpecs []CDISpec `json:"cdi_specs,omitempty"`
	// ControlOpen is the result of opening /dev/nvidiactl read-write, when
	// it exists: "" when it opened, else the error ("operation not
	// permitted" when the device cgroup denies it).
	ControlOpenTried bool   `json:"control_open_tried"`
	ControlOpenError string `json:"control_open_error,omitempty"`
}

// CDISpec is one CDI specification file.
type CDISpec struct {
	Path string `json:"path"`
	// DriverVersion is the version in the library names the spec mounts
	// (libcuda.so.580.95.05), "" when none was found.
	DriverVersion string `json:"driver_version,omitempty"`
	Error         string `json:"error,omitempty"`
}

// ForwardCompat is one cuda-compat directory (/usr/local/cuda-X.Y/compat).
type ForwardCompat struct {
	Dir string `json:"dir"`
	// LibCUDAVersion is the driver version of the libcuda inside
	// (libcuda.so.580.95.05 -> "580.95.05").
	LibCUDAVersion string `json:"libcuda_version,omitempty"`
	// CUDAVersion is the CUDA release the package belongs to ("13.0"), from
	// the directory name, or "" when it cannot be told.
	CUDAVersion string `json:"cuda_version,omitempty"`
	// Active: the directory is on the loader's path ahead of the driver's
	// libcuda (LD_LIBRARY_PATH or ld.so.conf); ActiveVia says which.
	Active    bool   `json:"active"`
	ActiveVia string `json:"active_via,omitempty"`
}

// LibraryChoice is which copy of a library the dynamic loader would load
// for a program without its own RPATH, and every copy found.
type LibraryChoice struct {
	Soname     string       `json:"soname"` // "libcuda.so.1", "libcudnn.so.9"
	Candidates []LibraryHit `json:"candidates"`
}

// LibraryHit is one copy of a library, in the loader's search order; the
// first is the one loaded.
type LibraryHit struct {
	Path    string `json:"path"`
	Version string `json:"version,omitempty"` // from the real file's name
	// Via: "LD_LIBRARY_PATH", "ld.so.conf (<file>)", "default", "wheel".
	Via string `json:"via"`
}

// OperatorFacts: the NVIDIA GPU Operator's driver container layout.
type OperatorFacts struct {
	DriverRoot bool `json:"driver_root"` // /run/nvidia/driver exists
	// DriverVersion from the libnvidia-ml under the driver root.
	DriverVersion string `json:"driver_version,omitempty"`
	LibraryDir    string `json:"library_dir,omitempty"`
	// Validations lists the readiness files of /run/nvidia/validations
	// ("driver-ready", "toolkit-ready", "cuda-ready", "plugin-ready").
	ValidationsDir bool     `json:"validations_dir"`
	Validations    []string `json:"validations,omitempty"`
}

// SlurmFacts: a Slurm job and its device confinement.
type SlurmFacts struct {
	JobID string `json:"job_id,omitempty"`
	// GPUs the job or step was given (SLURM_STEP_GPUS, else SLURM_JOB_GPUS).
	GPUs     string `json:"gpus,omitempty"`
	GPUsFrom string `json:"gpus_from,omitempty"`
	// Cgroup is this process's cgroup path when it names a Slurm job.
	Cgroup string `json:"cgroup,omitempty"`
	// ConstrainDevices from a readable cgroup.conf (/etc/slurm/cgroup.conf).
	ConstrainDevices Opt[bool] `json:"constrain_devices"`
	ConfPath         string    `json:"conf_path,omitempty"`
}

// WSLFacts: Windows Subsystem for Linux 2.
type WSLFacts struct {
	Detected bool   `json:"detected"`
	Evidence string `json:"evidence,omitempty"`
	DXG      bool   `json:"dxg"`     // /dev/dxg exists
	LibDir   bool   `json:"lib_dir"` // /usr/lib/wsl/lib/libcuda.so.1 exists
}

// AERCounters: a PCI function's AER totals from sysfs.
type AERCounters struct {
	BDF         string      `json:"bdf"`
	Correctable Opt[uint64] `json:"correctable"`
	NonFatal    Opt[uint64] `json:"nonfatal"`
	Fatal       Opt[uint64] `json:"fatal"`
}

// IOMMUFacts: whether an IOMMU translates DMA, and ACS on the bridges
// above the GPUs.
type IOMMUFacts struct {
	// Groups is how many IOMMU groups sysfs lists (0: no IOMMU active).
	Groups Opt[int] `json:"groups"`
	// Passthrough: iommu=pt (or equivalent) on the kernel command line.
	Passthrough bool   `json:"passthrough"`
	Cmdline     string `json:"cmdline,omitempty"` // the IOMMU-related parameters
	// ACS lists bridges above GPUs whose ACS redirects peer-to-peer
	// traffic; ACSReadable is false when config space was not readable
	// (it needs root).
	ACSReadable  bool     `json:"acs_readable"`
	ACSRedirects []string `json:"acs_redirects,omitempty"`
}
