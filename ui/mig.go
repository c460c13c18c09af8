package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// MIG on screen: each instance as a sub-row of its GPU in the compact table
// (profile, ids, utilisation, memory, processes), a line per instance in
// the zoom, and the instance of each process in the process lists.
// Utilisation comes from NVML's GPM (Hopper on); where a GPU has none the
// rows say N/A and the zoom says why, never 0.

// migProfile is an instance's profile ("3g.40gb") from its NVML name.
func migProfile(m model.MIGInstance) string { return clean(m.Profile()) }

// optID renders an instance id, "?" when unknown.
func optID(v model.Opt[int]) string {
	if !v.OK {
		return "?"
	}
	return strconv.Itoa(v.V)
}

// migIDs is "GI1/CI0".
func migIDs(gi, ci model.Opt[int]) string { return "GI" + optID(gi) + "/CI" + optID(ci) }

// migUtil is "util 87% SM 62%", or "util N/A" when unavailable.
func migUtil(m model.MIGInstance) string {
	s := "util " + fmtPct(m.UtilGPU)
	if m.SMUtil.OK {
		s += " SM " + fmtPct(m.SMUtil)
	}
	return s
}

// migNote is the zoom's short form of Signals.MIGUtilNote.
func migNote(note string) string {
	if note == model.MIGUtilNoGPM {
		return "N/A: needs GPM (Hopper+)"
	}
	return clean(note)
}

// shownMIG are the instances drawn under a GPU's row: none for a lost or
// failed GPU, whose row says what happened instead of old readings.
func shownMIG(g *gpuFrame) []model.MIGInstance {
	if g.Slow.Signals == nil || g.Health.State == model.Lost || g.Health.State == model.Failed {
		return nil
	}
	return g.Slow.Signals.MIG
}

// migLines are the zoom's lines for the MIG instances.
func (st *Styles) migLines(sg *model.Signals, kv func(k, v string) string) []string {
	if len(sg.MIG) == 0 {
		return nil
	}
	var lines []string
	if sg.MIGUtilNote != "" {
		lines = append(lines, kv("  MIG util", st.muted.render(migNote(sg.MIGUtilNote))))
	}
	for _, m := range sg.MIG {
		// Two lines, so that a narrow details column keeps the
		// utilisation: profile, ids and utilisation; memory and processes.
		lines = append(lines, kv("  MIG "+strconv.Itoa(m.Index), migProfile(m)+" "+migIDs(m.GI, m.CI)+" "+migUtil(m)))
		v := fmtGiB(m.MemUsed, m.MemTotal)
		for i, pid := range m.PIDs {
			if i == 3 {
				v += fmt.Sprintf(" +%d", len(m.PIDs)-3)
				break
			}
			v += " pid " + strconv.FormatUint(uint64(pid), 10)
		}
		if m.Error != "" {
			v += " " + st.warn.render(clean(m.Error))
		}
		lines = append(lines, kv("", v))
	}
	return lines
}

// migRows are the compact table's sub-rows of a GPU's MIG instances, at
// most budget of them; budget is decreased by the rows returned.
func (st *Styles) migRows(g *gpuFrame, width int, budget *int) string {
	mig := shownMIG(g)
	if len(mig) == 0 || *budget <= 0 {
		return ""
	}
	var b strings.Builder
	for _, m := range mig {
		if *budget <= 0 {
			break
		}
		*budget--
		row := fmt.Sprintf("    └ MIG %d %s %s  %s  %s", m.Index, migProfile(m), migIDs(m.GI, m.CI), fmtGiB(m.MemUsed, m.MemTotal), migUtil(m))
		if n := len(m.PIDs); n > 0 {
			row += fmt.Sprintf("  %d proc", n)
		}
		b.WriteString("\n" + st.muted.render(fit(row, width)))
	}
	return b.String()
}

// migTag is a process's MIG instance ("GI1/CI0 ") before its command, or
// "" when it runs on a whole GPU.
func (st *Styles) migTag(p model.Process) string {
	if !p.GI.OK {
		return ""
	}
	return st.accent.render(migIDs(p.GI, p.CI)) + " "
}

// withMIGRows gives the compact table room for up to n MIG sub-rows, taken
// from the checks pane below it down to its smallest; beside the checks the
// table already has the whole height.
func (l layout) withMIGRows(n int) layout {
	if l.tooSmall || l.mode != modeCompact || l.checksSide || n <= 0 {
		return l
	}
	extra := min(n, l.checksH-checksMinRows)
	if extra > 0 {
		l.gpuH += extra
		l.checksH -= extra
	}
	return l
}

// fitMIGRows lays the screen out again when the number of MIG instances
// changed (MIG turned on or off, instances created or destroyed).
func (m *Model) fitMIGRows() {
	n := 0
	for i := range m.frame.GPUs {
		n += len(shownMIG(&m.frame.GPUs[i]))
	}
	if n == m.migSubRows {
		return
	}
	m.migSubRows = n
	if m.width > 0 && m.height > 0 {
		m.resize(m.width, m.height)
	}
}

// compactRowGPU is the GPU whose row, or MIG sub-row, is line row of the
// compact table's body, or -1. The sub-rows are spent in GPU order, as
// migRows draws them.
func (p *gpuPanes) compactRowGPU(row int) int {
	if row < 0 {
		return -1
	}
	budget := p.height - 1 - p.count()
	line := 0
	for i := range p.frame.GPUs {
		sub := max(min(len(shownMIG(&p.frame.GPUs[i])), budget), 0)
		budget -= sub
		if row <= line+sub {
			return i
		}
		line += 1 + sub
	}
	return -1
}
