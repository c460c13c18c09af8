package model

// Sample is one fast-tier reading of one GPU: the cheap getters, taken every
// --interval. It contains no pointer, so rings of samples cost the garbage
// collector nothing and a sample is filled in place without allocating.
type Sample struct {
	Time Timestamp `json:"t"`

	MemUsed     Opt[uint64] `json:"mem_used"` // bytes
	MemTotal    Opt[uint64] `json:"mem_total"`
	MemReserved Opt[uint64] `json:"mem_reserved"`

	UtilGPU Opt[uint32] `json:"util_gpu"` // percent
	UtilMem Opt[uint32] `json:"util_mem"` // memory-bandwidth utilisation, percent

	TempGPU Opt[int32] `json:"temp_gpu"` // °C
	TempMem Opt[int32] `json:"temp_mem"`

	PowerDraw  Opt[uint32] `json:"power_mw"`
	PowerLimit Opt[uint32] `json:"power_limit_mw"` // enforced limit

	ClockSM  Opt[uint32] `json:"clock_sm_mhz"`
	ClockMem Opt[uint32] `json:"clock_mem_mhz"`

	PState Opt[int] `json:"pstate"` // 0..15, 32 = unknown is reported as unavailable

	// ThrottleReasons is NVML's clocks-event-reasons bitmask (see ThrottleReason).
	ThrottleReasons Opt[uint64] `json:"throttle_reasons"`

	FanPercent Opt[uint32] `json:"fan_pct"`
}

// SlowSample is one slow-tier reading (about once a second): calls that cost
// milliseconds (PCIe throughput blocks ~20 ms), counters, and the state that
// changes rarely but may change (persistence, compute mode, MIG).
type SlowSample struct {
	Time Timestamp `json:"t"`

	PCIeTxKBps  Opt[uint32] `json:"pcie_tx_kbps"`
	PCIeRxKBps  Opt[uint32] `json:"pcie_rx_kbps"`
	PCIeGen     Opt[int]    `json:"pcie_gen"`
	PCIeWidth   Opt[int]    `json:"pcie_width"`
	PCIeReplays Opt[uint64] `json:"pcie_replays"`

	// EnergyMilliJ is the counter since driver load. NVML is asked about
	// once a minute (it costs milliseconds of CPU); null in between.
	EnergyMilliJ Opt[uint64] `json:"energy_mj"`

	// Peaks from NVML's buffered samples (GetSamples) since the previous slow
	// reading: a 30 ms spike between two fast polls still shows up here.
	PowerPeak Opt[uint32] `json:"power_peak_mw"`
	UtilPeak  Opt[uint32] `json:"util_peak"`

	ECCEnabled              Opt[bool]   `json:"ecc_enabled"`
	ECCVolatileCorrected    Opt[uint64] `json:"ecc_volatile_corrected"`
	ECCVolatileUncorrected  Opt[uint64] `json:"ecc_volatile_uncorrected"`
	ECCAggregateUncorrected Opt[uint64] `json:"ecc_aggregate_uncorrected"`

	RowRemapCorrectable   Opt[int]  `json:"row_remap_correctable"`
	RowRemapUncorrectable Opt[int]  `json:"row_remap_uncorrectable"`
	RowRemapPending       Opt[bool] `json:"row_remap_pending"`
	RowRemapFailure       Opt[bool] `json:"row_remap_failure"`

	RetiredPagesSBE     Opt[int]  `json:"retired_pages_sbe"`
	RetiredPagesDBE     Opt[int]  `json:"retired_pages_dbe"`
	RetiredPagesPending Opt[bool] `json:"retired_pages_pending"`

	Persistence Opt[bool] `json:"persistence"`
	ComputeMode Opt[int]  `json:"compute_mode"` // 0 default, 1 excl. thread (old), 2 prohibited, 3 excl. process
	MIGCurrent  Opt[int]  `json:"mig_current"`  // 0 disabled, 1 enabled
	MIGPending  Opt[int]  `json:"mig_pending"`

	// Fabric (NVSwitch systems, Hopper+): NVML GpuFabricState and its status.
	FabricState  Opt[int]    `json:"fabric_state"`
	FabricStatus Opt[uint32] `json:"fabric_status"`

	Processes []Process `json:"processes"`

	// Signals: InfoROM, recovery action, throttle history, NVLink, MIG,
	// peers (model/signals.go); nil where nobody read them.
	Signals *Signals `json:"signals,omitempty"`
}

// Clocks-event (throttle) reason bits, as NVML defines them.
const (
	ThrottleIdle         uint64 = 0x1
	ThrottleAppClocks    uint64 = 0x2
	ThrottleSWPowerCap   uint64 = 0x4
	ThrottleHWSlowdown   uint64 = 0x8
	ThrottleSyncBoost    uint64 = 0x10
	ThrottleSWThermal    uint64 = 0x20
	ThrottleHWThermal    uint64 = 0x40
	ThrottleHWPowerBrake uint64 = 0x80
	ThrottleDisplayClock uint64 = 0x100
)

// ThrottleReason names one bit for display.
type ThrottleReason struct {
	Bit   uint64
	Tag   string // short tag for a pane ("PWR")
	Name  string // full name
	Fault bool   // a hardware fault rather than normal operation
}

// ThrottleReasons lists every bit in display order.
var ThrottleReasons = []ThrottleReason{
	{ThrottleHWSlowdown, "HWSLOW", "HW slowdown", true},
	{ThrottleHWThermal, "HWTHERM", "HW thermal slowdown", true},
	{ThrottleHWPowerBrake, "PWRBRAKE", "HW power brake (external power supply)", true},
	{ThrottleSWThermal, "THERM", "SW thermal slowdown", false},
	{ThrottleSWPowerCap, "PWRCAP", "SW power cap", false},
	{ThrottleAppClocks, "APPCLK", "application clocks setting", false},
	{ThrottleSyncBoost, "SYNC", "sync boost", false},
	{ThrottleDisplayClock, "DISP", "display clock setting", false},
	{ThrottleIdle, "IDLE", "idle", false},
}

// Process is a process holding a GPU context, as NVML reports it, joined with
// what the host knows about the PID.
type Process struct {
	PID        uint32      `json:"pid"`
	GPUIndex   int         `json:"gpu"`
	Kind       string      `json:"kind"` // "compute" or "graphics"
	UsedMemory Opt[uint64] `json:"used_memory"`
	SMUtil     Opt[uint32] `json:"sm_util"`
	// GI and CI: the MIG GPU instance and compute instance the process runs
	// in (NVML's process info, or the MIG device that lists it); unavailable
	// when MIG is off.
	GI Opt[int] `json:"gi,omitzero"`
	CI Opt[int] `json:"ci,omitzero"`

	// Host side; Resolved is false when the PID is not visible here
	// (a container without the host PID namespace).
	Resolved   bool         `json:"resolved"`
	User       string       `json:"user,omitempty"`
	Name       string       `json:"name,omitempty"`
	Command    string       `json:"command,omitempty"`
	CPUPercent Opt[float64] `json:"cpu_pct"`
	RSS        Opt[uint64]  `json:"rss"`
	// Zombie: the process has exited and its parent has not reaped it; it
	// cannot be signalled and holds no CPU or RSS. Command keeps what it ran.
	Zombie bool `json:"zombie,omitempty"`
}
