package model

import "strconv"

// System describes the host and the driver stack as NVML (or the simulated
// fleet, or a snapshot) reports it.
type System struct {
	Host          string `json:"host"`
	DriverVersion string `json:"driver_version,omitempty"` // e.g. "580.159.04"
	NVMLVersion   string `json:"nvml_version,omitempty"`   // e.g. "13.580.159.04"
	// CUDADriverVersion is the newest CUDA the driver supports, encoded as
	// NVML does (13000 = 13.0). It is not an installed toolkit.
	CUDADriverVersion Opt[int] `json:"cuda_driver_version"`
	// Source says where the data comes from: "nvml", "demo" or "replay".
	Source string `json:"source"`
}

// CUDAVersionString renders an NVML CUDA version (13000 -> "13.0").
func CUDAVersionString(v int) string {
	return strconv.Itoa(v/1000) + "." + strconv.Itoa((v%1000)/10)
}

// GPUInfo is what does not change while a GPU is attached. It is read once.
type GPUInfo struct {
	Index        int    `json:"index"`
	Name         string `json:"name"`
	UUID         string `json:"uuid"`
	BusID        string `json:"bus_id"` // NVML form: "00000000:18:00.0"
	Serial       string `json:"serial,omitempty"`
	VBIOS        string `json:"vbios,omitempty"`
	Architecture string `json:"architecture,omitempty"` // "Hopper", "Ampere", ...
	// PCIDeviceID is the 16-bit PCI device id (0x2330 for H100 SXM5).
	PCIDeviceID Opt[uint16] `json:"pci_device_id"`
	CCMajor     Opt[int]    `json:"cc_major"` // compute capability
	CCMinor     Opt[int]    `json:"cc_minor"`

	MemoryTotal Opt[uint64] `json:"memory_total_bytes"`
	BAR1Total   Opt[uint64] `json:"bar1_total_bytes"`

	PowerLimitDefault Opt[uint32] `json:"power_limit_default_mw"`
	PowerLimitMin     Opt[uint32] `json:"power_limit_min_mw"`
	PowerLimitMax     Opt[uint32] `json:"power_limit_max_mw"`

	TempSlowdown Opt[int32] `json:"temp_slowdown_c"`
	TempShutdown Opt[int32] `json:"temp_shutdown_c"`
	TempMemMax   Opt[int32] `json:"temp_mem_max_c"`

	ClockMaxSM  Opt[uint32] `json:"clock_max_sm_mhz"`
	ClockMaxMem Opt[uint32] `json:"clock_max_mem_mhz"`

	MaxPCIeGen    Opt[int] `json:"max_pcie_gen"`     // what the link can reach in this slot
	MaxPCIeWidth  Opt[int] `json:"max_pcie_width"`   // lanes
	GPUMaxPCIeGen Opt[int] `json:"gpu_max_pcie_gen"` // what the GPU itself supports

	NumFans Opt[int] `json:"num_fans"`
}

// CC renders the compute capability ("9.0"), or "" when unknown.
func (g GPUInfo) CC() string {
	if !g.CCMajor.OK || !g.CCMinor.OK {
		return ""
	}
	return strconv.Itoa(g.CCMajor.V) + "." + strconv.Itoa(g.CCMinor.V)
}
