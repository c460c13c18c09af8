package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/themes"
)

// migH100 and migA100 are two MIG GPUs' signals: GPM utilisation per
// instance on the first, none (and the note why) on the second.
func migH100() *model.Signals {
	return &model.Signals{MIG: []model.MIGInstance{
		{Index: 0, GI: model.Some(1), CI: model.Some(0), Name: "NVIDIA H100 80GB HBM3 MIG 3g.40gb",
			MemUsed: model.Some(uint64(23 << 30)), MemTotal: model.Some(uint64(40192 << 20)), PIDs: []uint32{28810},
			UtilGPU: model.Some[uint32](87), SMUtil: model.Some[uint32](62)},
		{Index: 1, GI: model.Some(2), CI: model.Some(0), Name: "NVIDIA H100 80GB HBM3 MIG 3g.40gb",
			MemUsed: model.Some(uint64(13 << 20)), MemTotal: model.Some(uint64(40192 << 20)),
			UtilGPU: model.Some[uint32](0), SMUtil: model.Some[uint32](0)},
	}}
}

func migA100() *model.Signals {
	return &model.Signals{MIGUtilNote: model.MIGUtilNoGPM, MIG: []model.MIGInstance{
		{Index: 0, GI: model.Some(1), CI: model.Some(0), Name: "NVIDIA A100-SXM4-40GB MIG 3g.20gb",
			MemUsed: model.Some(uint64(11 << 30)), MemTotal: model.Some(uint64(19968 << 20)), PIDs: []uint32{31337, 31338}},
		{Index: 1, GI: model.Some(2), CI: model.Some(0), Name: "NVIDIA A100-SXM4-40GB MIG 3g.20gb",
			MemUsed: model.Some(uint64(13 << 20)), MemTotal: model.Some(uint64(19968 << 20))},
	}}
}

// withMIG makes GPUs 1 (H100, GPM) and 2 (A100-like, no GPM) MIG GPUs,
// with their processes in instances.
func withMIG(_ *Config, src *fakeSource) {
	src.mu.Lock()
	defer src.mu.Unlock()
	for gi, sig := range map[int]func() *model.Signals{1: migH100, 2: migA100} {
		g := src.gpus[gi]
		for k := range g.slow {
			s := &g.slow[k]
			s.MIGCurrent, s.MIGPending = model.Some(1), model.Some(1)
			s.Signals = sig()
			s.Processes = nil
			for _, m := range s.Signals.MIG {
				for _, pid := range m.PIDs {
					s.Processes = append(s.Processes, model.Process{PID: pid, GPUIndex: gi, Kind: "compute",
						UsedMemory: model.Some[uint64](10 << 30), GI: m.GI, CI: m.CI,
						Resolved: true, User: "frank", Name: "python3", Command: "python3 finetune.py"})
				}
			}
		}
	}
}

func TestGoldenMIG(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    int
		w, h int
		keys []string
	}{
		// The compact table with its sub-rows.
		{"mig_rows_80x24", 4, 80, 24, nil},
		{"mig_rows_120x40", 8, 120, 40, nil},
		// The zooms: GPM utilisation, and the note without it.
		{"mig_zoom_h100_120x40", 4, 120, 40, []string{"right", "enter"}},
		{"mig_zoom_a100_120x40", 4, 120, 40, []string{"right", "right", "enter"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := screen(t, tt.n, tt.w, tt.h, withMIG, tt.keys...)
			defer m.cancel()
			v := m.View()
			show(t, v)
			checkScreen(t, v, tt.w, tt.h)
			golden.RequireEqual(t, []byte(v))
		})
	}
}

// The sub-rows say each instance's utilisation, N/A (never 0) where the
// GPU cannot tell, and its process count, at 80 and 120 columns.
func TestMIGRowsUtilisation(t *testing.T) {
	th, _ := themes.Get("mono")
	st := NewStyles(th)
	for _, w := range []int{80, 120} {
		budget := 9
		rows := ansi.Strip(st.migRows(&gpuFrame{Slow: model.SlowSample{Signals: migH100()}}, w, &budget))
		want := []string{
			"    └ MIG 0 3g.40gb GI1/CI0  23.0/39.2 GiB  util 87% SM 62%  1 proc",
			"    └ MIG 1 3g.40gb GI2/CI0  0.0/39.2 GiB  util 0% SM 0%",
		}
		if got := strings.Split(strings.TrimPrefix(rows, "\n"), "\n"); len(got) != 2 ||
			strings.TrimRight(got[0], " ") != want[0] || strings.TrimRight(got[1], " ") != want[1] {
			t.Errorf("%d columns: H100 rows\n%q\nwant\n%q", w, got, want)
		}
		budget = 9
		rows = ansi.Strip(st.migRows(&gpuFrame{Slow: model.SlowSample{Signals: migA100()}}, w, &budget))
		if !strings.Contains(rows, "util N/A  2 proc") || strings.Contains(rows, "0%") {
			t.Errorf("%d columns: A100 rows %q", w, rows)
		}
	}
}

// A lost GPU's row says what happened; its old instances are not drawn.
func TestMIGRowsHiddenForLostGPU(t *testing.T) {
	th, _ := themes.Get("mono")
	st := NewStyles(th)
	budget := 9
	g := &gpuFrame{Slow: model.SlowSample{Signals: migH100()}, Health: model.Health{State: model.Lost}}
	if rows := st.migRows(g, 80, &budget); rows != "" || budget != 9 {
		t.Errorf("lost GPU rows %q, budget %d", rows, budget)
	}
}

func TestMIGZoomLinesAndTags(t *testing.T) {
	th, _ := themes.Get("mono")
	st := NewStyles(th)
	kv := func(k, v string) string { return k + ": " + v }
	got := ansi.Strip(strings.Join(st.migLines(migA100(), kv), "\n"))
	if !strings.Contains(got, "MIG util: N/A: needs GPM (Hopper+)") ||
		!strings.Contains(got, "MIG 0: 3g.20gb GI1/CI0 util N/A\n: 11.0/19.5 GiB pid 31337 pid 31338") {
		t.Errorf("A100 zoom lines:\n%s", got)
	}
	got = ansi.Strip(strings.Join(st.migLines(migH100(), kv), "\n"))
	if strings.Contains(got, "MIG util") || !strings.Contains(got, "MIG 0: 3g.40gb GI1/CI0 util 87% SM 62%\n: 23.0/39.2 GiB pid 28810") {
		t.Errorf("H100 zoom lines:\n%s", got)
	}
	// Another note is shown as it is, cleaned.
	sg := migA100()
	sg.MIGUtilNote = "GPM sampling answered \x1b[31mERROR_UNKNOWN"
	if got := ansi.Strip(strings.Join(st.migLines(sg, kv), "\n")); strings.Contains(got, "\x1b") || !strings.Contains(got, "GPM sampling answered") {
		t.Errorf("note %q", got)
	}
	// A process in an instance carries it; one on a whole GPU nothing.
	if tag := ansi.Strip(st.migTag(model.Process{GI: model.Some(1), CI: model.Some(0)})); tag != "GI1/CI0 " {
		t.Errorf("tag %q", tag)
	}
	if tag := st.migTag(model.Process{}); tag != "" {
		t.Errorf("tag of a whole-GPU process %q", tag)
	}
	if tag := ansi.Strip(st.migTag(model.Process{GI: model.Some(3)})); tag != "GI3/CI? " {
		t.Errorf("tag without CI %q", tag)
	}
}

// A click on a MIG sub-row picks its GPU.
func TestMIGSubRowClicks(t *testing.T) {
	m := screen(t, 4, 80, 24, withMIG)
	defer m.cancel()
	// Body rows: GPU 0, GPU 1 and its two instances, GPU 2 and its two, GPU 3.
	want := []int{0, 1, 1, 1, 2, 2, 2, 3, -1}
	for row, w := range want {
		if got := m.gpuAt(0, row+1); got != w {
			t.Errorf("row %d: GPU %d, want %d", row, got, w)
		}
	}
	if got := m.gpuAt(0, 0); got != -1 {
		t.Errorf("header row: GPU %d", got)
	}
}

// The process table shows the instance before the command.
func TestProcsShowMIGInstance(t *testing.T) {
	p := newTestTable(t, &fakeTerminate{}, false)
	p.SetData([]model.Process{{PID: 28810, GPUIndex: 1, Kind: "compute", GI: model.Some(1), CI: model.Some(0),
		Resolved: true, User: "frank", Command: "python3 finetune.py"}}, nil, false, "")
	got := ansi.Strip(strings.Join(p.table(120, 5), "\n"))
	if !strings.Contains(got, "GI1/CI0 python3 finetune.py") {
		t.Errorf("process table:\n%s", got)
	}
}
