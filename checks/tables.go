package checks

import (
	"github.com/gputop/gputop/checks/knowledge"
)

// The checklist's compatibility knowledge (CUDA, architectures, PCI ids,
// driver branches, cuDNN, PyTorch wheels, BAR1) lives in checks/knowledge
// with a source and a verified flag per row. This file keeps the tables
// that are not version knowledge (NVML return codes, DCGM's variable list,
// throttle reasons).

const (
	srcDCGM = "docs.nvidia.com/datacenter/dcgm (dcgmi diag reference) and the DCGM source"
	srcXid  = "docs.nvidia.com/deploy/xid-errors"
)

const (
	mib = knowledge.MiB
	gib = knowledge.GiB
)

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
