package checks

// The reference data of the checklist, one table per topic, transcribed from
// /work/shared/reference/compat.md. Every row carries where it came from so
// that a result can cite it; rows compat.md marks UNVERIFIED say so.

const (
	srcCUDANotes    = "CUDA toolkit release notes, Tables 2 and 3 (docs.nvidia.com/cuda/cuda-toolkit-release-notes)"
	srcMinorCompat  = "docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html"
	srcArch         = "CUDA programming guide (compute capabilities); NVIDIA blog \"Navigating GPU architecture support\"; docs.nvidia.com/cuda/blackwell-compatibility-guide"
	srcKernelMods   = "docs.nvidia.com/datacenter/tesla/driver-installation-guide/kernel-modules.html"
	srcPCIIDs       = "third-party PCI device ID table (not an NVIDIA document)"
	srcCuDNN        = "docs.nvidia.com/deeplearning/cudnn/latest/support-matrix"
	srcTorch        = "PyTorch RELEASE.md release compatibility matrix"
	srcBAR          = "compat.md §5 (measured H100/H200; public nvidia-smi -q dumps)"
	srcNVML         = "NVML API reference (return codes); compat.md §6"
	srcDCGM         = "docs.nvidia.com/datacenter/dcgm (dcgmi diag reference) and the DCGM source"
	srcXid          = "docs.nvidia.com/deploy/xid-errors"
	unverifiedLabel = "UNVERIFIED"
)

// cudaDriverRow: the Linux driver a toolkit release needs for every feature
// ("full", Table 3), one entry per update: index 0 = GA, 1 = U1, ...
type cudaDriverRow struct {
	Toolkit    string
	Full       []string
	Unverified string // why the row is not confirmed, "" when it is
	Source     string
}

var cudaDriverTable = []cudaDriverRow{
	{"13.4", []string{"615"}, "secondary sources say R615/616", "secondary sources (" + unverifiedLabel + ")"},
	{"13.3", []string{"610.43.02"}, "", srcCUDANotes},
	{"13.2", []string{"595.45.04", "595.58.03", "595.71.05"}, "", srcCUDANotes},
	{"13.1", []string{"590.44.01", "590.48.01"}, "", srcCUDANotes},
	{"13.0", []string{"580.65.06", "580.82.07", "580.95.05"}, "", srcCUDANotes},
	{"12.9", []string{"575.51.03", "575.57.08"}, "", srcCUDANotes},
	{"12.8", []string{"570.26", "570.124.06"}, "", srcCUDANotes},
	{"12.6", []string{"560.28.03", "560.35.03", "560.35.03", "560.35.05"}, "", srcCUDANotes},
	{"12.5", []string{"555.42.02", "555.42.06"}, "", srcCUDANotes},
	{"12.4", []string{"550.54.14", "550.54.15"}, "", srcCUDANotes},
	{"12.3", []string{"545.23.06", "545.23.08"}, "", srcCUDANotes},
	{"12.2", []string{"535.54.03", "535.86.09", "535.104.05"}, "", srcCUDANotes},
	{"12.1", []string{"530.30.02", "530.30.02"}, "", srcCUDANotes},
	{"12.0", []string{"525.60.13", "525.85.12"}, "", srcCUDANotes},
	{"11.8", []string{"520.61.05"}, "", srcCUDANotes},
	{"11.7", []string{"515.43.04", "515.48.07"}, "", srcCUDANotes},
	{"11.6", []string{"510.39.01", "510.47.03", "510.47.03"}, "", srcCUDANotes},
	{"11.5", []string{"495.29.05"}, "", srcCUDANotes},
	{"11.4", []string{"470.42.01", "470.57.02", "470.57.02", "470.82.01", "470.82.01"}, "", srcCUDANotes},
	{"11.3", []string{"465.19.01"}, "", srcCUDANotes},
	{"11.2", []string{"460.27.03", "460.32.03", "460.32.03"}, "", srcCUDANotes},
	{"11.1", []string{"455.23", "455.32"}, "", srcCUDANotes},
	{"11.0", []string{"450.51.05", "450.51.06"}, "", srcCUDANotes},
}

// cudaFloorRow: the minor-version-compatibility minimum of a major line
// (Table 2). Between floor and full most programs run, but PTX from a newer
// compiler fails (error 222) and newer APIs are missing.
type cudaFloorRow struct {
	Major  int
	Floor  string
	Source string
}

var cudaFloorTable = []cudaFloorRow{
	{11, "450.80.02", srcCUDANotes + "; " + srcMinorCompat},
	{12, "525.60.13", srcCUDANotes + "; " + srcMinorCompat},
	{13, "580", srcCUDANotes + " (13.0 GA ships 580.65.06); " + srcMinorCompat},
}

// archRow: one GPU architecture (a compute capability range, inclusive,
// encoded major*10+minor).
type archRow struct {
	Name          string
	CCMin, CCMax  int
	FirstToolkit  string // "" when older than the table
	RemovedIn     string // first toolkit without it, "" when current
	MinDriver     string // driver branch it needs, "" unknown
	LastBranch    int    // last driver branch supporting it, 0 when current
	OpenOnly      bool   // needs the open kernel module
	NoOpen        bool   // the open module does not support it (pre-Turing)
	Unverified    string
	Source        string
	IsBlackwell   bool
	IsDataCenterB bool
}

var archTable = []archRow{
	{Name: "Kepler", CCMin: 30, CCMax: 37, RemovedIn: "12.0", LastBranch: 470, NoOpen: true, Source: srcArch},
	{Name: "Maxwell", CCMin: 50, CCMax: 53, RemovedIn: "13.0", LastBranch: 580, NoOpen: true, Source: srcArch},
	{Name: "Pascal", CCMin: 60, CCMax: 62, RemovedIn: "13.0", LastBranch: 580, NoOpen: true, Source: srcArch},
	{Name: "Volta", CCMin: 70, CCMax: 72, RemovedIn: "13.0", LastBranch: 580, NoOpen: true, Source: srcArch},
	{Name: "Turing", CCMin: 75, CCMax: 75, FirstToolkit: "10.0", Source: srcArch},
	{Name: "Ampere", CCMin: 80, CCMax: 80, FirstToolkit: "11.0", Source: srcArch},
	{Name: "Ampere", CCMin: 86, CCMax: 86, FirstToolkit: "11.1", Source: srcArch},
	{Name: "Ampere", CCMin: 87, CCMax: 87, FirstToolkit: "11.4", Source: srcArch},
	{Name: "Ada", CCMin: 89, CCMax: 89, FirstToolkit: "11.8", MinDriver: "520", Unverified: "the R520+ driver requirement for Ada is not an NVIDIA statement", Source: srcArch},
	{Name: "Hopper", CCMin: 90, CCMax: 90, FirstToolkit: "11.8", MinDriver: "520", Source: srcArch},
	{Name: "Blackwell (B200/GB200)", CCMin: 100, CCMax: 100, FirstToolkit: "12.8", MinDriver: "570", OpenOnly: true, Source: srcArch + "; " + srcKernelMods, IsBlackwell: true},
	{Name: "Blackwell Ultra (B300/GB300)", CCMin: 103, CCMax: 103, FirstToolkit: "12.9", MinDriver: "580", OpenOnly: true, Source: srcArch + "; " + srcKernelMods, IsBlackwell: true},
	{Name: "Blackwell (RTX 50 / RTX PRO)", CCMin: 120, CCMax: 120, FirstToolkit: "12.8", MinDriver: "570", OpenOnly: true, Source: srcArch + "; " + srcKernelMods, IsBlackwell: true},
	{Name: "Blackwell (GB10)", CCMin: 121, CCMax: 121, FirstToolkit: "12.9", OpenOnly: true, Source: srcArch + "; " + srcKernelMods, IsBlackwell: true},
}

// pciIDRow classifies a GPU NVML cannot see by its PCI device id. The ranges
// come from a third-party table and every result citing them says so.
type pciIDRow struct {
	Lo, Hi     uint16
	Family     string
	LastBranch int
	MinDriver  string
	OpenOnly   bool
	Source     string
}

var pciIDTable = []pciIDRow{
	{0x0000, 0x133f, "Kepler or older", 470, "", false, srcPCIIDs},
	{0x1340, 0x1df6, "Maxwell / Pascal / Volta", 580, "", false, srcPCIIDs},
	{0x2900, 0x2fff, "Blackwell", 0, "570", true, srcPCIIDs},
}

// bar1Row: the BAR1 aperture a model has by design. A name matches when it
// contains every token.
type bar1Row struct {
	Tokens []string
	Size   uint64 // expected BAR1 bytes
	// SmallByDesign: 256 MiB is what the card has, not a ReBAR fault.
	SmallByDesign bool
	// DisplayMode: the card can be switched between a 256 MiB display mode
	// and a large compute BAR with NVIDIA's Display Mode Selector.
	DisplayMode bool
	Source      string
}

const (
	mib = uint64(1) << 20
	gib = uint64(1) << 30
)

var bar1Table = []bar1Row{
	{Tokens: []string{"H100", "80GB"}, Size: 128 * gib, Source: "measured on an H100 80GB HBM3 (compat.md §5)"},
	{Tokens: []string{"H200"}, Size: 256 * gib, Source: "measured on an H200 (compat.md §5)"},
	{Tokens: []string{"A100", "40GB"}, Size: 64 * gib, Source: "public nvidia-smi -q dumps (compat.md §5)"},
	{Tokens: []string{"L40S"}, Size: 64 * gib, Source: "public nvidia-smi -q dumps (compat.md §5)"},
	{Tokens: []string{"A40"}, Size: 64 * gib, Source: "public nvidia-smi -q dumps (compat.md §5)"},
	{Tokens: []string{"A10 "}, Size: 32 * gib, Source: "public nvidia-smi -q dumps (compat.md §5)"},
	{Tokens: []string{"T4"}, Size: 256 * mib, SmallByDesign: true, Source: "public nvidia-smi -q dumps (compat.md §5)"},
	{Tokens: []string{"RTX A6000"}, Size: 256 * mib, DisplayMode: true, Source: "NVIDIA Holoscan tuning doc (compat.md §5)"},
	{Tokens: []string{"L40"}, Size: 256 * mib, DisplayMode: true, Source: "NVIDIA Holoscan tuning doc (compat.md §5)"},
}

// cudnnSupportRow: a cuDNN line built for a CUDA major and what it needs.
type cudnnSupportRow struct {
	CuDNNMin, CuDNNMax string // inclusive range of cuDNN versions
	CUDAMajor          int
	DriverFloor        string
	CCMin              int  // major*10+minor, 0 = no limit stated
	Blackwell          bool // builds carry Blackwell kernels
	Source             string
}

var cudnnSupportTable = []cudnnSupportRow{
	{"9.10", "9.999", 12, "525.60.13", 0, true, srcCuDNN + " (Blackwell needs driver >= 570.26 and the CUDA 12.8/12.9 build)"},
	{"9.0", "9.9.999", 12, "525.60.13", 0, false, srcCuDNN},
	{"9.0", "9.999", 13, "580.65.06", 75, true, srcCuDNN},
	{"8.9", "8.9.999", 11, "450.80.02", 0, false, srcCuDNN},
	{"8.9", "8.9.999", 12, "525.60.13", 0, false, srcCuDNN},
}

// torchWheelRow: the driver floor of a PyTorch wheel's CUDA tag.
type torchWheelRow struct {
	CUDAMin, CUDAMax string // inclusive, by CUDA major.minor
	DriverFloor      string
	Source           string
}

var torchWheelTable = []torchWheelRow{
	{"11.8", "11.8", "450.80.02", srcTorch},
	{"12.1", "12.9", "525.60.13", srcTorch + " (Blackwell GPUs need R570+ and cu128+)"},
	{"13.0", "13.2", "580.65.06", srcTorch},
}

// torchArchRow: the GPU architectures a wheel carries kernels for.
type torchArchRow struct {
	CUDAMin, CUDAMax   string
	TorchMin, TorchMax string // "" = no bound
	ArchLo, ArchHi     int    // major*10+minor
	Unverified         string
	Source             string
}

var torchArchTable = []torchArchRow{
	{CUDAMin: "11.0", CUDAMax: "12.6", ArchLo: 50, ArchHi: 90, Source: srcTorch},
	{CUDAMin: "12.8", CUDAMax: "12.8", TorchMin: "2.8", ArchLo: 75, ArchHi: 120, Source: srcTorch},
	{CUDAMin: "12.8", CUDAMax: "12.8", TorchMax: "2.7.999", ArchLo: 50, ArchHi: 120,
		Unverified: "compat.md gives the cu128 arch list only from torch 2.8", Source: "derived (" + unverifiedLabel + ")"},
	{CUDAMin: "12.9", CUDAMax: "12.9", ArchLo: 75, ArchHi: 120,
		Unverified: "compat.md gives no arch list for cu129; assumed like cu128", Source: "derived (" + unverifiedLabel + ")"},
	{CUDAMin: "13.0", CUDAMax: "13.9", ArchLo: 75, ArchHi: 121,
		Unverified: "compat.md gives no arch list for cu13x; bounded by what CUDA 13 supports", Source: "derived from CUDA 13 dropping cc < 7.5 (" + unverifiedLabel + ")"},
}

// nvmlErrorRow explains an NVML return code.
type nvmlErrorRow struct {
	Code     string
	Meaning  string
	Fix      string
	Commands []string
}

var nvmlErrorTable = []nvmlErrorRow{
	{"LIBRARY_NOT_FOUND", "libnvidia-ml.so.1 is absent", "Install the NVIDIA driver's user-space part (the package matching the kernel module).",
		[]string{"ls -l /usr/lib/x86_64-linux-gnu/libnvidia-ml.so*"}},
	{"DRIVER_NOT_LOADED", "the nvidia kernel module is not loaded", "Load the module; if it refuses, read the kernel log (Secure Boot signing, nouveau holding the GPU, a module built for another kernel).",
		[]string{"sudo modprobe nvidia  # loads the NVIDIA kernel module", "sudo dmesg | grep -iE 'nvidia|nvrm|nouveau'"}},
	{"INSUFFICIENT_POWER", "a GPU lacks external power", "Connect the PCIe power cables of the GPU; check the PSU.", nil},
	{"GPU_IS_LOST", "a GPU fell off the bus", "Reboot the node; reseat the GPU and check its power.", []string{"sudo dmesg | grep -i xid"}},
	{"RESET_REQUIRED", "a GPU needs a reset", "Reset the GPU when nothing uses it (nvidia-smi -r resets the GPU: every process on it is lost), or reboot.",
		[]string{"sudo nvidia-smi -r -i <N>  # resets GPU N: kills every context on it"}},
	{"OPERATING_SYSTEM", "the OS or cgroups blocked access", "Give the container the GPU devices (--gpus / CDI / device cgroup rules).", nil},
	{"LIB_RM_VERSION_MISMATCH", "libnvidia-ml and the loaded kernel module are different driver versions (usually a driver upgrade without reboot)",
		"Reboot so the new kernel module loads (or unload and reload the nvidia modules when nothing uses them), then hold the driver package so unattended upgrades do not repeat this.",
		[]string{"cat /proc/driver/nvidia/version", "sudo reboot  # loads the kernel module matching the installed library", "sudo apt-mark hold 'nvidia-driver-*'  # Debian/Ubuntu: stops automatic driver upgrades"}},
	{"NO_PERMISSION", "/dev/nvidia* cannot be opened by this user", "Add the user to the group owning /dev/nvidia* (often video), or in a container pass the devices (--gpus all / CDI).",
		[]string{"ls -l /dev/nvidia*", "id"}},
	{"UNKNOWN", "NVML failed with an unknown error", "In a container, \"NVML: Unknown Error\" after `systemctl daemon-reload` on the host means the device cgroup lost the GPUs: recreate the /dev/char links on the host or use CDI, then restart the container.",
		[]string{"sudo nvidia-ctk system create-dev-char-symlinks --create-all  # on the host"}},
}

// dcgmEnvVars are profiler/debugger variables DCGM's deployment diagnostic
// flags: they change how CUDA runs (injection libraries, core dumps...).
var dcgmEnvVars = []string{
	"NSIGHT_CUDA_DEBUGGER", "CUDA_INJECTION32_PATH", "CUDA_INJECTION64_PATH", "CUDA_AUTO_BOOST",
	"CUDA_ENABLE_COREDUMP_ON_EXCEPTION", "CUDA_COREDUMP_FILE", "CUDA_DEVICE_WAITS_ON_EXCEPTION",
	"CUDA_PROFILE", "COMPUTE_PROFILE", "OPENCL_PROFILE",
}

// visibilityEnvVars hide GPUs from CUDA (CUDA_VISIBLE_DEVICES) or from the
// container (NVIDIA_VISIBLE_DEVICES).
var visibilityEnvVars = []string{"CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"}

// retiredPagesFail: DCGM fails a GPU with this many retired pages or more.
const retiredPagesFail = 63

// throttleRow judges one clocks-event reason bit.
type throttleRow struct {
	Bit    uint64
	Status string // "fail" or "warn"
	Cause  string
	Fix    string
}

var throttleTable = []throttleRow{
	{0x8, "fail", "HW slowdown: the GPU protects itself (too hot or an external power-brake signal)",
		"Check airflow, fan/cooling and the inlet temperature; check PSU and power cables; look for Xid errors in the kernel log."},
	{0x40, "fail", "HW thermal slowdown: the GPU or its memory passed the slowdown temperature",
		"Improve cooling: airflow, blanking panels, fan curve, datacenter inlet temperature; check the heatsink seating."},
	{0x80, "fail", "HW power brake: the external power supply asserted the brake signal",
		"Check the PSU capacity and redundancy and the GPU power cables; the brake comes from outside the GPU."},
	{0x20, "warn", "SW thermal slowdown: the driver lowers clocks to stay below the temperature target",
		"Improve cooling; the GPU is close to its thermal limit."},
}
