package model

import "strings"

// Hardware signals beyond the basic readings: InfoROM, NVML's recovery
// action, throttle-violation counters, NVLink, PCIe replay rate, the encoder
// and decoder, MIG instances and peer-to-peer topology. The NVML backend
// fills them on its medium and rare tiers (sampler/nvmlbackend/signals.go),
// the simulated fleet invents them, snapshots record them with the slow
// sample, and checks/rules_hw.go judges them.

// Signals is one reading of the hardware signals of one GPU. Unavailable
// values are left out of the JSON (omitzero): snapshots carry one reading
// per slow sample, so they are kept small. A reading is immutable once
// published: the backend builds a new one each time it reads
// and carries the same pointer forward in between.
type Signals struct {
	Time Timestamp `json:"t"`

	// InfoROMValid is NVML's ValidateInforom: false means a corrupted
	// InfoROM (the board's configuration store); unavailable when the call
	// is not supported.
	InfoROMValid   Opt[bool] `json:"inforom_valid,omitzero"`
	InfoROMVersion string    `json:"inforom_version,omitempty"`

	// RecoveryAction is NVML's GPU recovery action field
	// (NVML_FI_DEV_GET_GPU_RECOVERY_ACTION): see RecoveryActionName.
	RecoveryAction Opt[int] `json:"recovery_action,omitzero"`

	// Throttle holds the per-reason violation counters (nanoseconds the
	// clocks were held down for that reason since the driver loaded) and how
	// much of that fell inside the last ThrottleWindowS seconds.
	Throttle        []ThrottleCounter `json:"throttle,omitempty"`
	ThrottleWindowS float64           `json:"throttle_window_s,omitempty"`

	// NVLink: every link the GPU has (empty without NVLink).
	NVLinks []NVLink `json:"nvlinks,omitempty"`
	// NVLinkTxKBps / RxKBps: data throughput over every link since the
	// previous reading (from the cumulative KiB counters).
	NVLinkTxKBps Opt[uint64] `json:"nvlink_tx_kbps,omitzero"`
	NVLinkRxKBps Opt[uint64] `json:"nvlink_rx_kbps,omitzero"`
	// NVLinkErrorTotals: NVML's totals over every link (CRC flit, CRC data,
	// replay, recovery), cumulative; the rates are per second between the
	// last two readings (CRC is flit + data).
	NVLinkErrorTotals  [4]Opt[uint64] `json:"nvlink_error_totals,omitzero"`
	NVLinkCRCPerS      Opt[float64]   `json:"nvlink_crc_per_s,omitzero"`
	NVLinkReplayPerS   Opt[float64]   `json:"nvlink_replay_per_s,omitzero"`
	NVLinkRecoveryPerS Opt[float64]   `json:"nvlink_recovery_per_s,omitzero"`

	// PCIeReplayPerMin is the PCIe replay counter's rate over the window
	// (ReplayWindowS seconds); DCGM's threshold is 8 per minute.
	PCIeReplayPerMin Opt[float64] `json:"pcie_replay_per_min,omitzero"`
	ReplayWindowS    float64      `json:"replay_window_s,omitempty"`

	EncoderUtil Opt[uint32] `json:"encoder_util,omitzero"` // percent
	DecoderUtil Opt[uint32] `json:"decoder_util,omitzero"`

	// Peers: topology and P2P status towards every other GPU (read once).
	Peers []Peer `json:"peers,omitempty"`

	// MIG instances when MIG is on (nil otherwise).
	MIG []MIGInstance `json:"mig,omitempty"`
	// MIGUtilNote says why the instances carry no utilisation, when none
	// can be read on this GPU (no GPM before Hopper, a library without it):
	// the screen says so instead of showing a made-up 0.
	MIGUtilNote string `json:"mig_util_note,omitempty"`
}

// MIGUtilNoGPM is Signals.MIGUtilNote on a GPU without NVML's GPM, the
// only per-MIG-instance utilisation NVML has (nvml.h: GPM is "for Hopper or
// newer fully supported devices").
const MIGUtilNoGPM = "not available per MIG instance on this GPU: it needs NVML's GPM, which NVIDIA provides from Hopper on"

// ThrottleCounter is one violation counter.
type ThrottleCounter struct {
	Reason  string      `json:"reason"` // see ThrottleCounterReasons
	TotalNs uint64      `json:"total_ns"`
	Window  Opt[uint64] `json:"window_ns,omitzero"` // nanoseconds within the window
}

// ThrottleCounterReason describes one violation counter.
type ThrottleCounterReason struct {
	Reason string
	Tag    string // short tag for a pane
	Name   string
	// Fault: a hardware or reliability cause rather than a setting or a
	// normal power/clock policy.
	Fault bool
	// Benign: normal operation (low utilisation, sync boost): never judged.
	Benign bool
}

// ThrottleCounterReasons lists the counters in display order.
var ThrottleCounterReasons = []ThrottleCounterReason{
	{"power", "PWR", "power cap", false, false},
	{"thermal", "THERM", "thermal", false, false},
	{"reliability", "RELIAB", "reliability", true, false},
	{"board_limit", "BOARD", "board limit", false, false},
	{"hw_thermal", "HWTHERM", "HW thermal slowdown", true, false},
	{"hw_power_brake", "PWRBRAKE", "HW power brake", true, false},
	{"low_utilization", "LOWUTIL", "low utilisation", false, true},
	{"sync_boost", "SYNC", "sync boost", false, true},
}

// ThrottleReasonInfo returns the description of a counter's reason.
func ThrottleReasonInfo(reason string) (ThrottleCounterReason, bool) {
	for _, r := range ThrottleCounterReasons {
		if r.Reason == reason {
			return r, true
		}
	}
	return ThrottleCounterReason{}, false
}

// NVLink is one link of a GPU.
type NVLink struct {
	Link int `json:"link"`
	// State: "active", "inactive" (NVML's link state), "" unknown.
	State string `json:"state"`
	// Remote is the PCI bus id of the other end (a GPU or an NVSwitch).
	Remote string `json:"remote,omitempty"`
	// Cumulative data-link error counters since the driver loaded.
	CRC      Opt[uint64] `json:"crc,omitzero"`
	Replay   Opt[uint64] `json:"replay,omitzero"`
	Recovery Opt[uint64] `json:"recovery,omitzero"`
}

// Peer is what NVML says about reaching another GPU.
type Peer struct {
	GPU int `json:"gpu"`
	// Topology: nvidia-smi topo -m's names: "NV" (NVLink), "PIX", "PXB",
	// "PHB", "NODE", "SYS", "" unknown.
	Topology string `json:"topology"`
	// P2PRead is NVML's P2P read status: "OK", or the reason it is not
	// possible ("chipset not supported", "disabled by regkey", ...).
	P2PRead   string `json:"p2p_read,omitempty"`
	P2PNVLink string `json:"p2p_nvlink,omitempty"`
}

// MIGInstance is one MIG device of a GPU.
type MIGInstance struct {
	Index    int         `json:"index"` // NVML's MIG device index
	GI       Opt[int]    `json:"gi,omitzero"`
	CI       Opt[int]    `json:"ci,omitzero"`
	Name     string      `json:"name,omitempty"` // "NVIDIA H100 80GB HBM3 MIG 1g.10gb"
	UUID     string      `json:"uuid,omitempty"`
	MemUsed  Opt[uint64] `json:"mem_used,omitzero"`
	MemTotal Opt[uint64] `json:"mem_total,omitzero"`
	// UtilGPU and SMUtil are NVML's GPM metrics of the instance's GPU
	// instance (GRAPHICS_UTIL: percent of time any context was active;
	// SM_UTIL: percent of its SMs busy), averaged between the last two rare
	// readings. Plain utilisation calls do not work on MIG devices and GPM
	// exists from Hopper on: unavailable on older GPUs (see
	// Signals.MIGUtilNote) and on the first reading, never a guessed 0.
	UtilGPU Opt[uint32] `json:"util_gpu,omitzero"`
	SMUtil  Opt[uint32] `json:"util_sm,omitzero"`
	PIDs    []uint32    `json:"pids,omitempty"`
	Error   string      `json:"error,omitempty"`
}

// Profile is the instance's MIG profile ("3g.40gb"): what follows " MIG "
// in NVML's name, or the whole name.
func (m MIGInstance) Profile() string {
	if i := strings.LastIndex(m.Name, " MIG "); i >= 0 {
		return m.Name[i+5:]
	}
	return m.Name
}

// Recovery actions, as NVML defines them.
const (
	RecoveryNone          = 0
	RecoveryGPUReset      = 1
	RecoveryNodeReboot    = 2
	RecoveryDrainP2P      = 3
	RecoveryDrainAndReset = 4
	RecoveryIMEXDomain    = 5
)

// RecoveryActionName names a recovery action.
func RecoveryActionName(a int) string {
	switch a {
	case RecoveryNone:
		return "none"
	case RecoveryGPUReset:
		return "GPU reset"
	case RecoveryNodeReboot:
		return "node reboot"
	case RecoveryDrainP2P:
		return "drain peer-to-peer traffic"
	case RecoveryDrainAndReset:
		return "drain peer-to-peer traffic and reset the GPU"
	case RecoveryIMEXDomain:
		return "recover the IMEX domain"
	}
	return "unknown action"
}

// ActiveLinks counts the links in state "active".
func (s *Signals) ActiveLinks() (active, total int) {
	if s == nil {
		return 0, 0
	}
	for _, l := range s.NVLinks {
		if l.State == "active" {
			active++
		}
	}
	return active, len(s.NVLinks)
}
