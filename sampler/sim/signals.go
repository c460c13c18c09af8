package sim

import (
	"fmt"
	"math"

	"github.com/gputop/gputop/model"
)

// The fleet's hardware signals (model.Signals), a pure function of (GPU,
// t) like every other reading. What the demo presents:
//   - GPU 1 (H100 at its power cap): throttled by the power cap 40 s of
//     every minute;
//   - GPU 2 (A100 burn test): NVLink link 4 goes down at +30 s, thermal
//     throttling;
//   - GPU 3 (A100): MIG on, two 3g.20gb instances, one busy; no
//     per-instance utilisation (GPM needs Hopper); GPU 7 (H100): MIG on,
//     two 3g.40gb instances, one busy, with GPM utilisation (mig.go);
//   - GPU 7 (H100, PCIe x8): from +45 s NVML asks for a GPU reset (recovery
//     action); its marginal PCIe link replays;
//   - every data-center GPU: InfoROM valid, NVLink counters, peers.

// When the demo's faults appear (seconds after Start): the timeline then
// shows them happen.
const (
	linkDownAt = 30.0
	recoveryAt = 45.0
)

// nvlinkCount is how many NVLinks a card has (0: none).
func nvlinkCount(c *card) int {
	switch c {
	case cardH100:
		return 18
	case cardA100:
		return 12
	}
	return 0
}

// window is the signals' judging window at t: a minute, or less at start.
func window(t float64) float64 { return math.Max(math.Min(t, 60), 0) }

// signals computes the GPU's hardware signals at t seconds after Start.
func (g *gpuSim) signals(t float64, n int, s *model.SlowSample) *model.Signals {
	c := g.slot.card
	sg := &model.Signals{Time: s.Time}
	sg.RecoveryAction = model.Some(model.RecoveryNone)
	if c.datacenter {
		sg.InfoROMValid = model.Some(true) // GeForce answers NOT_SUPPORTED
		sg.InfoROMVersion = "G520.0200.00.05"
	}
	if g.index == 7 && t >= recoveryAt {
		sg.RecoveryAction = model.Some(model.RecoveryGPUReset)
	}
	win := window(t)
	sg.ThrottleWindowS = win
	// Violation time within the window, per reason.
	share := map[string]float64{}
	switch g.slot.role {
	case rolePowerCap:
		share["power"] = 40.0 / 60
	case roleThermal:
		share["thermal"] = 55.0 / 60
	case roleIdle:
		if !g.migOn() { // a MIG GPU's busy instance keeps it working (mig.go)
			share["low_utilization"] = 1
		}
	case roleLight:
		share["low_utilization"] = 0.5
	}
	for _, r := range model.ThrottleCounterReasons {
		f := share[r.Reason]
		tc := model.ThrottleCounter{Reason: r.Reason, TotalNs: uint64(f * math.Max(t, 0) * 1e9)}
		if win > 0 {
			tc.Window = model.Some(uint64(f * win * 1e9))
		}
		sg.Throttle = append(sg.Throttle, tc)
	}
	if g.slot.linkWidth < 16 && win > 0 {
		// The replay counter of fillSlow rises one per 600 s.
		sg.PCIeReplayPerMin = model.Some(0.1)
		sg.ReplayWindowS = win
	}
	if links := nvlinkCount(c); links > 0 {
		for l := range links {
			nl := model.NVLink{Link: l, State: "active", Remote: "00000000:E1:00.0",
				CRC: model.Some(uint64(0)), Replay: model.Some(uint64(0)), Recovery: model.Some(uint64(0))}
			if g.index == 2 && l == 4 && t >= linkDownAt {
				nl.State, nl.Remote = "inactive", ""
				nl.Recovery = model.Some(uint64(3)) // it went down through recoveries
			}
			sg.NVLinks = append(sg.NVLinks, nl)
		}
		sg.NVLinkCRCPerS, sg.NVLinkReplayPerS, sg.NVLinkRecoveryPerS = model.Some(0.0), model.Some(0.0), model.Some(0.0)
		// NCCL traffic follows the work: the training GPU all-reduces.
		u := g.util(t)
		tx := 0.0
		switch g.slot.role {
		case roleLoading:
			tx = 45e6 * u // kB/s
		case roleLight:
			tx = 2e6 * u
		}
		sg.NVLinkTxKBps = model.Some(uint64(tx))
		sg.NVLinkRxKBps = model.Some(uint64(tx * 0.97))
		active, _ := sg.ActiveLinks()
		for j := range n {
			if j != g.index && fleet[j].card == c {
				sg.Peers = append(sg.Peers, model.Peer{GPU: j, Topology: fmt.Sprintf("NV%d", active), P2PRead: "OK", P2PNVLink: "OK"})
			}
		}
	}
	switch g.slot.role {
	case roleDesktop:
		sg.EncoderUtil, sg.DecoderUtil = model.Some(uint32(0)), model.Some(uint32(12)) // a video in the browser
	case roleBursty:
		sg.EncoderUtil, sg.DecoderUtil = model.Some(uint32(0)), model.Some(uint32(0))
	default:
		if c.datacenter {
			sg.EncoderUtil, sg.DecoderUtil = model.Some(uint32(0)), model.Some(uint32(0))
		}
	}
	if s.MIGCurrent.OK && s.MIGCurrent.V == 1 {
		sg.MIG, sg.MIGUtilNote = g.migInstances(t) // mig.go
	}
	return sg
}
