package model

import "time"

// The costs and host readings the dashboard shows, as plain data so that
// the UI needs no sampler package to draw them.

// SamplerStats is the sampler's own cost and timeliness for one GPU, for
// the overhead view.
type SamplerStats struct {
	FastReads    uint64
	FastMean     time.Duration // mean wall time of one fast reading
	SlowReads    uint64
	SlowMean     time.Duration
	SkippedTicks uint64        // fast ticks dropped because a reading overran
	LateP50      time.Duration // fast tick start lateness over the last 1024 ticks
	LateP99      time.Duration
	LateMax      time.Duration
}

// CallStat is the cost of one kind of driver call, for the overhead view.
type CallStat struct {
	Name  string
	Count uint64
	Mean  time.Duration
}

// HostStats is one reading of the host strip.
type HostStats struct {
	Time Timestamp `json:"t"`
	// CPUPercent is the busy share of all cores together (0-100) since the
	// previous read; unavailable on the first.
	CPUPercent Opt[float64] `json:"cpu_pct"`
	Load1      Opt[float64] `json:"load1"`
	Load5      Opt[float64] `json:"load5"`
	Load15     Opt[float64] `json:"load15"`
	// MemUsed is total minus available: what the kernel could not hand to a
	// new process without swapping (page cache it can drop is not "used").
	MemUsed   Opt[uint64] `json:"mem_used"`
	MemTotal  Opt[uint64] `json:"mem_total"`
	SwapUsed  Opt[uint64] `json:"swap_used"`
	SwapTotal Opt[uint64] `json:"swap_total"`
}
