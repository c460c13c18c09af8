package nvmlbackend

import (
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// readStatic fills what does not change while the GPU is attached. Failures
// leave the value unavailable: static information is shown, never relied on
// to keep sampling. The expensive getters (BAR1 costs 146 µs) live here so
// that they are paid once.
func (b *Backend) readStatic(d *device, g *model.GPUInfo) {
	h := d.handle
	if v, ret := h.GetName(); ret == nvml.SUCCESS {
		g.Name = v
	}
	if v, ret := h.GetUUID(); ret == nvml.SUCCESS {
		g.UUID = v
		d.uuid = v
	}
	if p, ret := h.GetPciInfo(); ret == nvml.SUCCESS {
		g.BusID = busID(p)
		// The upper 16 bits are the device, the lower the vendor (0x10DE).
		g.PCIDeviceID.Set(uint16(p.PciDeviceId >> 16))
	}
	if b.hasSymbol("nvmlDeviceGetSerial") {
		if v, ret := h.GetSerial(); ret == nvml.SUCCESS {
			g.Serial = v
		}
	}
	if b.hasSymbol("nvmlDeviceGetVbiosVersion") {
		if v, ret := h.GetVbiosVersion(); ret == nvml.SUCCESS {
			g.VBIOS = v
		}
	}
	if b.hasSymbol("nvmlDeviceGetArchitecture") {
		if v, ret := h.GetArchitecture(); ret == nvml.SUCCESS {
			g.Architecture = archName(v)
			d.powerAveraged = powerAveraged(v)
		}
	}
	if major, minor, ret := h.GetCudaComputeCapability(); ret == nvml.SUCCESS {
		g.CCMajor.Set(major)
		g.CCMinor.Set(minor)
	}

	if !d.skipped(callMemoryInfoV2) {
		if m, ret := h.GetMemoryInfo_v2(); ret == nvml.SUCCESS {
			g.MemoryTotal.Set(m.Total)
		}
	}
	if !g.MemoryTotal.OK {
		if m, ret := h.GetMemoryInfo(); ret == nvml.SUCCESS {
			g.MemoryTotal.Set(m.Total)
		}
	}
	if v, ret := h.GetBAR1MemoryInfo(); ret == nvml.SUCCESS {
		g.BAR1Total.Set(v.Bar1Total)
	}

	if v, ret := h.GetPowerManagementDefaultLimit(); ret == nvml.SUCCESS {
		g.PowerLimitDefault.Set(v)
	}
	if lo, hi, ret := h.GetPowerManagementLimitConstraints(); ret == nvml.SUCCESS {
		g.PowerLimitMin.Set(lo)
		g.PowerLimitMax.Set(hi)
	}

	threshold := func(t nvml.TemperatureThresholds, dst *model.Opt[int32]) {
		if v, ret := h.GetTemperatureThreshold(t); ret == nvml.SUCCESS && v > 0 {
			dst.Set(int32(v))
		}
	}
	threshold(nvml.TEMPERATURE_THRESHOLD_SLOWDOWN, &g.TempSlowdown)
	threshold(nvml.TEMPERATURE_THRESHOLD_SHUTDOWN, &g.TempShutdown)
	threshold(nvml.TEMPERATURE_THRESHOLD_MEM_MAX, &g.TempMemMax)

	if v, ret := h.GetMaxClockInfo(nvml.CLOCK_SM); ret == nvml.SUCCESS {
		g.ClockMaxSM.Set(v)
	}
	if v, ret := h.GetMaxClockInfo(nvml.CLOCK_MEM); ret == nvml.SUCCESS {
		g.ClockMaxMem.Set(v)
	}

	if v, ret := h.GetMaxPcieLinkGeneration(); ret == nvml.SUCCESS && v > 0 {
		g.MaxPCIeGen.Set(v)
	}
	if v, ret := h.GetMaxPcieLinkWidth(); ret == nvml.SUCCESS && v > 0 {
		g.MaxPCIeWidth.Set(v)
	}
	if b.hasSymbol("nvmlDeviceGetGpuMaxPcieLinkGeneration") {
		if v, ret := h.GetGpuMaxPcieLinkGeneration(); ret == nvml.SUCCESS && v > 0 {
			g.GPUMaxPCIeGen.Set(v)
		}
	}

	if b.hasSymbol("nvmlDeviceGetNumFans") {
		if v, ret := h.GetNumFans(); ret == nvml.SUCCESS {
			g.NumFans.Set(v)
			if v == 0 {
				// A passive card: its fan speed answers NOT_SUPPORTED
				// after 173 µs, so do not ask even once.
				d.skip.Or(callFanSpeed.bit())
			}
		}
	}
}

// busID is the NVML form of the PCI address ("00000000:18:00.0"), built from
// the numbers when the library left the string empty.
func busID(p nvml.PciInfo) string {
	if s := cString(p.BusId[:]); s != "" {
		return s
	}
	if s := cString(p.BusIdLegacy[:]); s != "" {
		return s
	}
	if p.Domain == 0 && p.Bus == 0 && p.Device == 0 {
		return ""
	}
	return fmt.Sprintf("%08X:%02X:%02X.0", p.Domain, p.Bus, p.Device)
}

// powerAveraged reports whether GetPowerUsage answers a one-second average
// on architecture a. nvml.h (R580, nvmlDeviceGetPowerUsage): "On Ampere
// (except GA100) or newer GPUs, the API returns power averaged over 1 sec
// interval. On GA100 and older architectures, instantaneous power is
// returned." Only the architectures nvml.h names after Ampere count: Ampere
// itself (GA100 or not) and an unknown or unnamed one are taken as
// instantaneous, and read every tick.
func powerAveraged(a nvml.DeviceArchitecture) bool {
	switch a {
	case nvml.DEVICE_ARCH_ADA, nvml.DEVICE_ARCH_HOPPER, nvml.DEVICE_ARCH_BLACKWELL, nvml.DEVICE_ARCH_RUBIN:
		return true
	}
	return false
}

func archName(a nvml.DeviceArchitecture) string {
	switch a {
	case nvml.DEVICE_ARCH_KEPLER:
		return "Kepler"
	case nvml.DEVICE_ARCH_MAXWELL:
		return "Maxwell"
	case nvml.DEVICE_ARCH_PASCAL:
		return "Pascal"
	case nvml.DEVICE_ARCH_VOLTA:
		return "Volta"
	case nvml.DEVICE_ARCH_TURING:
		return "Turing"
	case nvml.DEVICE_ARCH_AMPERE:
		return "Ampere"
	case nvml.DEVICE_ARCH_ADA:
		return "Ada Lovelace"
	case nvml.DEVICE_ARCH_HOPPER:
		return "Hopper"
	case nvml.DEVICE_ARCH_BLACKWELL:
		return "Blackwell"
	case nvml.DEVICE_ARCH_RUBIN:
		return "Rubin"
	case nvml.DEVICE_ARCH_UNKNOWN:
		return ""
	}
	return fmt.Sprintf("architecture %d", uint32(a))
}
