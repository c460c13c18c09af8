package model

import "fmt"

// Loader limits for the MIG part of the hardware signals (snapshot_load.go
// checks the rest of a slow sample). A GPU has at most 7 MIG slices today;
// the limits are far above any real one, to refuse garbage, not to judge.
const (
	maxMIGInstances = 64
	maxMIGID        = 1 << 16
)

// signals checks a slow sample's hardware signals: the MIG instances (ids,
// memory, utilisation, processes) and the note. Strings are cleaned by
// safe.Walk like every other string; here only their length is bounded.
func (v *validator) signals(where string, sg *Signals) {
	if sg == nil {
		return
	}
	v.text(where+".mig_util_note", sg.MIGUtilNote, maxTextBytes)
	if len(sg.MIG) > maxMIGInstances {
		v.fail(where+".mig", "%d MIG instances; at most %d are read", len(sg.MIG), maxMIGInstances)
		return
	}
	for i := range sg.MIG {
		if v.err != nil {
			return
		}
		m := &sg.MIG[i]
		at := fmt.Sprintf("%s.mig[%d]", where, i)
		v.small(at, "index", Some(m.Index), 0, maxMIGInstances)
		v.small(at, "gi", m.GI, 0, maxMIGID)
		v.small(at, "ci", m.CI, 0, maxMIGID)
		v.text(at+".name", m.Name, maxNameBytes)
		v.text(at+".uuid", m.UUID, maxNameBytes)
		v.text(at+".error", m.Error, maxTextBytes)
		v.bytes(at, "mem_used", m.MemUsed)
		v.bytes(at, "mem_total", m.MemTotal)
		if m.MemUsed.OK && m.MemTotal.OK && m.MemUsed.V > m.MemTotal.V {
			v.fail(at, "mem_used %d bytes is more than mem_total %d", m.MemUsed.V, m.MemTotal.V)
		}
		v.util(at, "util_gpu", m.UtilGPU)
		v.util(at, "util_sm", m.SMUtil)
		if len(m.PIDs) > MaxProcessesPerSample {
			v.fail(at+".pids", "%d processes; at most %d are read", len(m.PIDs), MaxProcessesPerSample)
		}
	}
}

// processMIG checks a process's MIG instance ids.
func (v *validator) processMIG(at string, p *Process) {
	v.small(at, "gi", p.GI, 0, maxMIGID)
	v.small(at, "ci", p.CI, 0, maxMIGID)
}
