package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// Hardware signals on screen (model.Signals): PCIe RX/TX and the
// encoder/decoder on the card's clocks line (gpus.go clocksRight), alarms
// (recovery, links down), NVLink traffic, throttle history and MIG on its
// throttle line, full lines in the zoom, and MIG instances as sub-rows of
// their GPU in the compact table.

// clean drops control characters from a string the driver gave us.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

// rate renders kB/s compactly ("10.5G", "820M", "12k").
func rate(kBps uint64) string {
	switch {
	case kBps == 0:
		return "0"
	case kBps >= 1e6:
		return strconv.FormatFloat(float64(kBps)/1e6, 'f', 1, 64) + "G"
	case kBps >= 1e3:
		return strconv.FormatUint(kBps/1e3, 10) + "M"
	}
	return strconv.FormatUint(kBps, 10) + "k"
}

// throttledMost is the non-benign reason that held the clocks longest in
// the window, with its seconds; ok is false when none did.
func throttledMost(s *model.Signals) (info model.ThrottleCounterReason, sec float64, ok bool) {
	for _, c := range s.Throttle {
		ri, known := model.ThrottleReasonInfo(c.Reason)
		if !known || ri.Benign || !c.Window.OK {
			continue
		}
		if v := float64(c.Window.V) / 1e9; v >= 1 && v > sec {
			info, sec, ok = ri, v, true
		}
	}
	return info, sec, ok
}

// cardTraffic is PCIe receive and transmit, then the encoder/decoder when
// they work.
func (st *Styles) cardTraffic(g *gpuFrame) string {
	s := &g.Slow
	var parts []string
	if s.PCIeRxKBps.OK || s.PCIeTxKBps.OK {
		parts = append(parts, st.muted.render("PCIe ")+"↓"+rate(uint64(s.PCIeRxKBps.V))+" ↑"+rate(uint64(s.PCIeTxKBps.V)))
	}
	if sg := s.Signals; sg != nil && (sg.EncoderUtil.V > 0 || sg.DecoderUtil.V > 0) {
		parts = append(parts, st.muted.render("ENC ")+fmtPct(sg.EncoderUtil)+st.muted.render(" DEC ")+fmtPct(sg.DecoderUtil))
	}
	return strings.Join(parts, "  ")
}

// cardSignals is the right side of the card's throttle line: alarms first
// (recovery action, links down), then NVLink traffic and the throttle
// history of the last minute.
func (st *Styles) cardSignals(g *gpuFrame) string {
	sg := g.Slow.Signals
	if sg == nil {
		return ""
	}
	var parts []string
	if sg.RecoveryAction.OK && sg.RecoveryAction.V != model.RecoveryNone {
		parts = append(parts, st.fail.render("NEEDS "+strings.ToUpper(recoveryShort(sg.RecoveryAction.V))))
	}
	if active, total := sg.ActiveLinks(); total > 0 {
		nv := fmt.Sprintf("NVL %d/%d", active, total)
		switch {
		case active == 0:
			// No link connected (no bridge): nothing to alarm about.
		case active < total:
			parts = append(parts, st.fail.render(nv))
		case sg.NVLinkTxKBps.OK:
			parts = append(parts, st.muted.render(nv)+" ↑"+rate(sg.NVLinkTxKBps.V))
		default:
			parts = append(parts, st.muted.render(nv))
		}
	}
	if info, sec, ok := throttledMost(sg); ok {
		txt := fmt.Sprintf("%s %.0fs/%.0fs", info.Tag, sec, sg.ThrottleWindowS)
		if info.Fault || sec >= 0.1*sg.ThrottleWindowS {
			txt = st.warn.render(txt)
		}
		parts = append(parts, txt)
	}
	if n := len(sg.MIG); n > 0 {
		parts = append(parts, st.accent.render("MIG "+strconv.Itoa(n)))
	}
	return strings.Join(parts, "  ")
}

func recoveryShort(a int) string {
	switch a {
	case model.RecoveryGPUReset:
		return "reset"
	case model.RecoveryNodeReboot:
		return "reboot"
	case model.RecoveryDrainP2P:
		return "drain"
	case model.RecoveryDrainAndReset:
		return "drain+reset"
	}
	return "recovery"
}

// signalLines are the zoom's lines for the hardware signals.
func (st *Styles) signalLines(g *gpuFrame, kv func(k, v string) string) []string {
	sg := g.Slow.Signals
	if sg == nil {
		return nil
	}
	var lines []string
	if sg.RecoveryAction.OK {
		v := model.RecoveryActionName(sg.RecoveryAction.V)
		if sg.RecoveryAction.V != model.RecoveryNone {
			v = st.fail.render(v)
		}
		lines = append(lines, kv("Recovery", v))
	}
	if sg.InfoROMValid.OK {
		v := "valid " + st.muted.render(clean(sg.InfoROMVersion))
		if !sg.InfoROMValid.V {
			v = st.fail.render("corrupted")
		}
		lines = append(lines, kv("InfoROM", v))
	}
	if sg.ThrottleWindowS > 0 && len(sg.Throttle) > 0 {
		var parts []string
		for _, c := range sg.Throttle {
			ri, ok := model.ThrottleReasonInfo(c.Reason)
			if !ok || !c.Window.OK || c.Window.V < 1e9 {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s %.0fs", ri.Tag, float64(c.Window.V)/1e9))
		}
		v := "none"
		if len(parts) > 0 {
			v = strings.Join(parts, " ")
		}
		lines = append(lines, kv(fmt.Sprintf("Throttled %.0fs", sg.ThrottleWindowS), v))
	}
	if sg.PCIeReplayPerMin.OK {
		v := strconv.FormatFloat(sg.PCIeReplayPerMin.V, 'f', 1, 64) + "/min"
		if sg.PCIeReplayPerMin.V > 8 {
			v = st.warn.render(v)
		}
		lines = append(lines, kv("PCIe replay", v))
	}
	if active, total := sg.ActiveLinks(); total > 0 {
		v := fmt.Sprintf("%d/%d up", active, total)
		if active < total {
			var down []string
			for _, l := range sg.NVLinks {
				if l.State != "active" {
					down = append(down, strconv.Itoa(l.Link))
				}
			}
			v = st.fail.render(v + ", down: " + strings.Join(down, ","))
		}
		if sg.NVLinkTxKBps.OK || sg.NVLinkRxKBps.OK {
			v += "  TX " + rate(sg.NVLinkTxKBps.V) + " RX " + rate(sg.NVLinkRxKBps.V)
		}
		lines = append(lines, kv("NVLink", v))
		var crc, rep, rec uint64
		for _, l := range sg.NVLinks {
			crc, rep, rec = crc+l.CRC.V, rep+l.Replay.V, rec+l.Recovery.V
		}
		lines = append(lines, kv("NVLink errors", fmt.Sprintf("crc %d  replay %d  recovery %d", crc, rep, rec)))
	}
	if len(sg.Peers) > 0 {
		var parts []string
		for _, p := range sg.Peers {
			t := clean(p.Topology) + "→" + strconv.Itoa(p.GPU)
			if p.P2PRead != "" && p.P2PRead != "OK" {
				t += st.warn.render("(no P2P)")
			}
			parts = append(parts, t)
		}
		lines = append(lines, kv("Peers", strings.Join(parts, " ")))
	}
	if sg.EncoderUtil.OK || sg.DecoderUtil.OK {
		lines = append(lines, kv("Enc / Dec", fmtPct(sg.EncoderUtil)+" / "+fmtPct(sg.DecoderUtil)))
	}
	lines = append(lines, st.migLines(sg, kv)...) // mig.go
	return lines
}
