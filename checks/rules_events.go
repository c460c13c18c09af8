package checks

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// xidSeen is one Xid number on one GPU, however often it was reported.
type xidSeen struct {
	xid   int
	count int
	where map[string]bool // "timeline", "kernel log"
	last  string          // the newest line or message, bounded
	when  string          // when the newest was reported, "" unknown
}

// xidRule judges the Xids of the event timeline (live: the sampler's; from
// a snapshot: the recorded events) and of the kernel log (live, when
// readable), with the actions of NVIDIA's Xid catalog. One result per GPU
// that had Xids (xid.gpuN; xid.pci-BDF for a GPU NVML does not list), or
// one "xid" result saying none were found and where gputop looked.
func xidRule(f *model.Facts) []model.CheckResult {
	type key struct {
		gpu int // -1: not an NVML GPU
		bdf string
	}
	byGPU := map[key]map[int]*xidSeen{}
	add := func(k key, xid int, where, text, when string) {
		m := byGPU[k]
		if m == nil {
			m = map[int]*xidSeen{}
			byGPU[k] = m
		}
		s := m[xid]
		if s == nil {
			s = &xidSeen{xid: xid, where: map[string]bool{}}
			m[xid] = s
		}
		s.count++
		s.where[where] = true
		s.last = bounded(text, 160)
		if when != "" {
			s.when = when
		}
	}
	for _, e := range f.Events {
		if e.Kind != model.EventXid || !e.Xid.OK {
			continue
		}
		k := key{gpu: -1}
		if e.GPU.OK {
			k.gpu = e.GPU.V
		}
		when := ""
		if !e.Time.IsZero() {
			when = e.Time.Time().Format("2006-01-02 15:04:05 UTC")
		}
		add(k, e.Xid.V, "timeline", e.Message, when)
	}
	for _, x := range f.KernelLog.Xids {
		k := key{gpu: -1, bdf: x.BDF}
		for _, g := range f.NVML.GPUs {
			if sameBus(g.Info.BusID, x.BDF) {
				k = key{gpu: g.Info.Index}
				break
			}
		}
		when := ""
		if x.Uptime >= 0 {
			when = strconv.FormatFloat(x.Uptime, 'f', 0, 64) + " s after boot"
		}
		add(k, x.Xid, "kernel log", "NVRM: Xid (PCI:"+x.BDF+"): "+strconv.Itoa(x.Xid)+", "+x.Text, when)
	}

	where := xidSources(f)
	if len(byGPU) == 0 {
		r := model.CheckResult{ID: "xid", Title: "Xid errors (driver-reported GPU faults)",
			Why: "An Xid is the driver reporting a GPU fault: a lost GPU, an uncorrectable memory error, an application crash on the GPU."}
		gpus := len(f.NVML.GPUs)
		for _, d := range f.PCI.Devices {
			if d.IsGPU() {
				gpus++
			}
		}
		switch {
		case gpus == 0:
			r.Status, r.Evidence = model.Skip, "no NVIDIA GPU to judge (none listed by NVML or on the PCI bus); no Xid in "+where
		case f.KernelLog.Read:
			r.Status, r.Evidence = model.Pass, "no Xid in "+where
		case !f.Recorded("kernel_log"):
			r.Status = model.Skip
			r.Evidence = "no Xid in " + where + "; the kernel log was not recorded"
		default:
			r.Status = model.Skip
			r.Evidence = "no Xid in " + where + "; the kernel log, which holds the Xids since boot, was not read"
			if f.KernelLog.Error != "" {
				r.Evidence += " (" + f.KernelLog.Error + ")"
			}
		}
		return []model.CheckResult{r}
	}

	keys := make([]key, 0, len(byGPU))
	for k := range byGPU {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].gpu != keys[j].gpu {
			return keys[i].gpu < keys[j].gpu
		}
		return keys[i].bdf < keys[j].bdf
	})
	var out []model.CheckResult
	for _, k := range keys {
		r := model.CheckResult{Why: "An Xid is the driver reporting a GPU fault; NVIDIA's Xid catalog gives each one a first action."}
		switch {
		case k.gpu >= 0:
			r.ID, r.GPU = "xid.gpu"+strconv.Itoa(k.gpu), model.Some(k.gpu)
			r.Title = "Xid errors: GPU " + strconv.Itoa(k.gpu)
			for _, g := range f.NVML.GPUs {
				if g.Info.Index == k.gpu {
					r.Title = "Xid errors: " + gpuName(g.Info)
				}
			}
		case k.bdf != "":
			r.ID, r.Title = "xid.pci-"+k.bdf, "Xid errors: PCI "+k.bdf+" (not listed by NVML)"
		default:
			r.ID, r.Title = "xid", "Xid errors (GPU not named)"
		}
		seen := make([]*xidSeen, 0, len(byGPU[k]))
		for _, s := range byGPU[k] {
			seen = append(seen, s)
		}
		// Worst first, then by Xid number.
		sort.Slice(seen, func(i, j int) bool {
			ei, _ := model.XidInfo(seen[i].xid)
			ej, _ := model.XidInfo(seen[j].xid)
			if ei.Severity != ej.Severity {
				return ei.Severity == model.SevError
			}
			return seen[i].xid < seen[j].xid
		})
		r.Status = model.Pass
		var ev, fixes []string
		for _, s := range seen {
			e, _ := model.XidInfo(s.xid)
			srcs := make([]string, 0, 2)
			for _, w := range []string{"timeline", "kernel log"} {
				if s.where[w] {
					srcs = append(srcs, w)
				}
			}
			line := fmt.Sprintf("Xid %d x%d (%s): %s", s.xid, s.count, strings.Join(srcs, ", "), e.Meaning)
			if s.when != "" {
				line += ", last " + s.when
			}
			st := model.Warn
			if e.Severity == model.SevError {
				st = model.Fail
			}
			action := "Xid " + strconv.Itoa(s.xid) + ": " + e.Action + "."
			if st == model.Fail {
				if since := recoveredSince(f, k.gpu, s); since != "" {
					// The kernel log keeps an Xid until reboot; the GPU's
					// readings now show it was recovered since.
					st = model.Warn
					line += " (" + since + ")"
					action = "Xid " + strconv.Itoa(s.xid) + ": " + since + "; watch for it to return, and drain the GPU if it does."
				}
			}
			ev = append(ev, line)
			r.Status = worst(r.Status, st)
			fixes = append(fixes, action)
			if r.Cause == "" {
				r.Cause = "xid-" + strconv.Itoa(s.xid)
			}
		}
		r.Evidence = strings.Join(ev, "; ") + "; last report of the worst: " + seen[0].last + " (meanings and actions: " + model.XidCatalogSource + ")"
		r.Fix = strings.Join(fixes, " ")
		r.Commands = []string{"sudo dmesg -T | grep -i xid"}
		for _, s := range seen {
			switch s.xid {
			case 79:
				r.Commands = append(r.Commands, "sudo reboot  # a GPU that fell off the bus returns only after a reboot: stops everything on this machine")
			case 48, 64, 95, 119, 120:
				if k.gpu >= 0 {
					i := strconv.Itoa(k.gpu)
					r.Commands = append(r.Commands, "sudo nvidia-smi -r -i "+i+"  # GPU reset: kills every context on this GPU")
				}
			}
		}
		r.Commands = dedupe(r.Commands)
		out = append(out, r)
	}
	return out
}

// xidSources says where the rule looked.
func xidSources(f *model.Facts) string {
	var parts []string
	if f.Events != nil {
		parts = append(parts, fmt.Sprintf("the event timeline (%d event(s))", len(f.Events)))
	}
	if f.KernelLog.Read {
		kl := "the kernel log (" + f.KernelLog.Source + ", " + strconv.Itoa(f.KernelLog.Bytes) + " bytes"
		if f.KernelLog.Truncated {
			kl += ", newest part"
		}
		parts = append(parts, kl+")")
	}
	if len(parts) == 0 {
		return "no timeline and no kernel log"
	}
	return strings.Join(parts, " and ")
}

// sameBus compares NVML's "00000000:18:00.0" with the kernel log's
// "0000:18:00" (no function number).
func sameBus(nvmlBusID, logBDF string) bool {
	a := normBDF(nvmlBusID)
	b := strings.ToLower(strings.TrimSpace(logBDF))
	if strings.Count(b, ":") == 1 { // "18:00" without a domain
		b = "0000:" + b
	}
	if i := strings.LastIndex(a, "."); i > 0 && !strings.Contains(b[strings.LastIndex(b, ":")+1:], ".") {
		a = a[:i]
	}
	return normBDF(a) == normBDF(b) || a == b
}

// bounded cuts s to at most n runes.
func bounded(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "..."
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// recoveredSince says why an error Xid from the kernel log no longer
// describes the GPU, when its current readings prove it: a lost GPU (79)
// that answers NVML again, or an uncorrectable ECC error (48, 94, 95) while
// the volatile uncorrectable counter, which only a GPU reset or a driver
// reload clears, reads 0. "" when nothing proves it. Timeline Xids are
// judged as reported: the timeline is this session's.
func recoveredSince(f *model.Facts, gpu int, s *xidSeen) string {
	if gpu < 0 || s.where["timeline"] {
		return ""
	}
	for _, g := range f.NVML.GPUs {
		if g.Info.Index != gpu {
			continue
		}
		if g.Health.State != model.Healthy || !g.Sample.OK {
			return ""
		}
		switch s.xid {
		case 79:
			return "the GPU answers NVML again, so it was recovered since"
		case 48, 94, 95:
			if g.Slow.OK && g.Slow.V.ECCVolatileUncorrected.OK && g.Slow.V.ECCVolatileUncorrected.V == 0 {
				return "the volatile uncorrectable ECC count reads 0, so the GPU was reset or the driver reloaded since"
			}
		}
	}
	return ""
}
