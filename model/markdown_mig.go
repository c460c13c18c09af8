package model

import (
	"fmt"
	"strconv"
)

// migTable lists each MIG GPU's instances from its last slow reading:
// profile, ids, memory, utilisation (GPM; N/A with the reason where the GPU
// has none) and processes.
func (m *mdWriter) migTable(snap *Snapshot) {
	header := false
	var notes []string
	for _, g := range snap.GPUs {
		n := len(g.SlowSamples)
		if n == 0 || g.SlowSamples[n-1].Signals == nil || len(g.SlowSamples[n-1].Signals.MIG) == 0 {
			continue
		}
		sg := g.SlowSamples[n-1].Signals
		if !header {
			header = true
			m.printf("## MIG instances\n\n| GPU | MIG device | Profile | GI/CI | Memory used / total | Util | SM | Processes |\n")
			m.printf("|---:|---:|---|---|---|---:|---:|---:|\n")
		}
		for _, in := range sg.MIG {
			m.printf("| %d | %d | %s | %s | %s | %s | %s | %d |\n", g.Index, in.Index, mdCell(in.Profile()), mdMIGIDs(in.GI, in.CI),
				memoryCell(in.MemUsed, in.MemTotal), percentCell(in.UtilGPU), percentCell(in.SMUtil), len(in.PIDs))
		}
		if sg.MIGUtilNote != "" {
			notes = append(notes, fmt.Sprintf("GPU %d: utilisation %s.", g.Index, mdInline(sg.MIGUtilNote)))
		}
	}
	if header {
		m.printf("\n")
	}
	for _, n := range notes {
		m.printf("%s\n\n", n)
	}
}

func mdMIGIDs(gi, ci Opt[int]) string {
	id := func(v Opt[int]) string {
		if !v.OK {
			return "?"
		}
		return strconv.Itoa(v.V)
	}
	return id(gi) + "/" + id(ci)
}

// mdProcessGPU is a process's GPU, with its MIG instance when it has one.
func mdProcessGPU(p Process) string {
	if !p.GI.OK {
		return strconv.Itoa(p.GPUIndex)
	}
	return fmt.Sprintf("%d (GI/CI %s)", p.GPUIndex, mdMIGIDs(p.GI, p.CI))
}
