package nvmlbackend

import (
	"fmt"
	"strconv"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// codeName is the NVML return's constant name without the ERROR_ prefix
// ("GPU_IS_LOST"). nvml.Return.Error gives NVML's sentence instead ("GPU is
// lost") once the library is loaded, which is good for people and bad for
// programs that match on the code.
func codeName(r nvml.Return) string {
	switch r {
	case nvml.SUCCESS:
		return "SUCCESS"
	case nvml.ERROR_UNINITIALIZED:
		return "UNINITIALIZED"
	case nvml.ERROR_INVALID_ARGUMENT:
		return "INVALID_ARGUMENT"
	case nvml.ERROR_NOT_SUPPORTED:
		return "NOT_SUPPORTED"
	case nvml.ERROR_NO_PERMISSION:
		return "NO_PERMISSION"
	case nvml.ERROR_ALREADY_INITIALIZED:
		return "ALREADY_INITIALIZED"
	case nvml.ERROR_NOT_FOUND:
		return "NOT_FOUND"
	case nvml.ERROR_INSUFFICIENT_SIZE:
		return "INSUFFICIENT_SIZE"
	case nvml.ERROR_INSUFFICIENT_POWER:
		return "INSUFFICIENT_POWER"
	case nvml.ERROR_DRIVER_NOT_LOADED:
		return "DRIVER_NOT_LOADED"
	case nvml.ERROR_TIMEOUT:
		return "TIMEOUT"
	case nvml.ERROR_IRQ_ISSUE:
		return "IRQ_ISSUE"
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return "LIBRARY_NOT_FOUND"
	case nvml.ERROR_FUNCTION_NOT_FOUND:
		return "FUNCTION_NOT_FOUND"
	case nvml.ERROR_CORRUPTED_INFOROM:
		return "CORRUPTED_INFOROM"
	case nvml.ERROR_GPU_IS_LOST:
		return "GPU_IS_LOST"
	case nvml.ERROR_RESET_REQUIRED:
		return "RESET_REQUIRED"
	case nvml.ERROR_OPERATING_SYSTEM:
		return "OPERATING_SYSTEM"
	case nvml.ERROR_LIB_RM_VERSION_MISMATCH:
		return "LIB_RM_VERSION_MISMATCH"
	case nvml.ERROR_IN_USE:
		return "IN_USE"
	case nvml.ERROR_MEMORY:
		return "MEMORY"
	case nvml.ERROR_NO_DATA:
		return "NO_DATA"
	case nvml.ERROR_INSUFFICIENT_RESOURCES:
		return "INSUFFICIENT_RESOURCES"
	case nvml.ERROR_DEPRECATED:
		return "DEPRECATED"
	case nvml.ERROR_UNKNOWN:
		return "UNKNOWN"
	}
	return "RETURN_" + strconv.Itoa(int(r))
}

// neverAgain reports whether an answer will not change while the program
// runs, so the call is not worth repeating every tick (a passive card's fan
// speed costs 173 µs to be told NOT_SUPPORTED).
func neverAgain(r nvml.Return) bool {
	switch r {
	case nvml.ERROR_NOT_SUPPORTED, nvml.ERROR_FUNCTION_NOT_FOUND, nvml.ERROR_NO_PERMISSION,
		nvml.ERROR_DEPRECATED:
		return true
	}
	return false
}

// deviceFailure reports whether an answer means the whole GPU is unreadable
// rather than one value, and which health state that is. Other errors
// (NOT_FOUND, NO_DATA, TIMEOUT...) only leave that value unavailable.
func deviceFailure(r nvml.Return) (model.HealthState, bool) {
	switch r {
	case nvml.ERROR_GPU_IS_LOST:
		return model.Lost, true
	case nvml.ERROR_RESET_REQUIRED, nvml.ERROR_UNKNOWN, nvml.ERROR_UNINITIALIZED,
		nvml.ERROR_DRIVER_NOT_LOADED, nvml.ERROR_LIB_RM_VERSION_MISMATCH,
		nvml.ERROR_IRQ_ISSUE, nvml.ERROR_MEMORY, nvml.ERROR_OPERATING_SYSTEM:
		return model.Failed, true
	}
	return model.Healthy, false
}

func newDeviceError(gpu int, what string, r nvml.Return, state model.HealthState) *sampler.DeviceError {
	return &sampler.DeviceError{GPU: gpu, Code: codeName(r), State: state, Err: fmt.Errorf("%s: %w", what, r)}
}

// Texts shared by several hints.
const (
	hintDemo      = " On a machine without an NVIDIA GPU, `gputop --demo` shows a simulated one."
	hintContainer = " In a container: run it with `--gpus all` (Docker with the NVIDIA Container Toolkit) or the device plugin's resources (Kubernetes)."
)

// openError explains why NVML would not start. stage says which call
// answered, for the message.
func openError(stage string, r nvml.Return) *sampler.OpenError {
	code := codeName(r)
	oe := &sampler.OpenError{Code: code, Err: fmt.Errorf("%s: %w", stage, r)}
	switch r {
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		oe.Message = "the NVIDIA management library (libnvidia-ml.so.1) could not be loaded"
		oe.Hint = "Install the NVIDIA driver's user-space libraries (the package that provides libnvidia-ml.so.1, e.g. libnvidia-compute-<version> on Ubuntu, libnvidia-ml1 on Debian) matching the kernel driver, and check `ldconfig -p | grep libnvidia-ml`." + hintContainer + hintDemo
	case nvml.ERROR_DRIVER_NOT_LOADED:
		oe.Message = "the NVIDIA kernel driver is not loaded"
		oe.Hint = "Load it with `sudo modprobe nvidia` and read `sudo dmesg | grep -i -e nvrm -e nvidia` for why it failed: with Secure Boot on, the module must be signed (or enrolled with mokutil); the nouveau driver must be blacklisted; after a kernel upgrade, the module must be rebuilt (DKMS)." + hintDemo
	case nvml.ERROR_NO_PERMISSION:
		oe.Message = "no permission to talk to the NVIDIA driver"
		oe.Hint = "Check that /dev/nvidiactl and /dev/nvidia* are readable and writable by you (`ls -l /dev/nvidia*`); some distributions restrict them to a group such as `video` (add yourself, then log in again)." + hintContainer
	case nvml.ERROR_LIB_RM_VERSION_MISMATCH:
		oe.Message = "the NVIDIA library and the loaded kernel driver are different versions"
		oe.Hint = "The driver package was upgraded but the old kernel module is still loaded: reboot, or unload and reload the modules (`sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia && sudo modprobe nvidia`). Compare /proc/driver/nvidia/version with the version in the name of libnvidia-ml.so.1's target, and hold the driver packages so unattended upgrades do not repeat it."
	case nvml.ERROR_INSUFFICIENT_POWER:
		oe.Message = "a GPU is not receiving enough power"
		oe.Hint = "Connect the GPU's auxiliary PCIe power cables and check that the power supply can deliver the board's power."
	case nvml.ERROR_GPU_IS_LOST:
		oe.Message = "a GPU has fallen off the bus"
		oe.Hint = "Reboot the node; if it happens again, reseat the GPU and check its power supply and cables (this is Xid 79 in the kernel log)."
	case nvml.ERROR_RESET_REQUIRED:
		oe.Message = "a GPU needs to be reset"
		oe.Hint = "Reset it with `sudo nvidia-smi -r -i <index>` once no process uses it, or reboot."
	case nvml.ERROR_OPERATING_SYSTEM:
		oe.Message = "the operating system blocked access to the GPU"
		oe.Hint = "Check cgroup device rules and the container's device permissions (/dev/nvidia*)." + hintContainer
	default:
		oe.Message = "the NVIDIA management library failed to start (" + code + ")"
		oe.Hint = "Run `nvidia-smi` to see whether the driver works outside gputop, and read `sudo dmesg | grep -i nvrm`."
	}
	return oe
}

// noDevicesError is the answer when NVML starts but sees no GPU.
func noDevicesError() *sampler.OpenError {
	return &sampler.OpenError{
		Code:    "NO_DEVICES",
		Message: "the NVIDIA driver is running but reports no GPU",
		Hint: "Check that the GPU is visible on the bus (`lspci -d 10de:`) and that `nvidia-smi` lists it; " +
			"GPUs excluded with NVreg_ExcludedGpus or left in a failed state are not counted." + hintContainer + hintDemo,
	}
}
