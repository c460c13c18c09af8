package model

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// migSnapshot is a small snapshot whose GPU 1 is a MIG GPU: one busy and
// one idle instance with GPM utilisation, a process in the busy one.
func migSnapshot() *Snapshot {
	s := smallSnapshot()
	g := &s.GPUs[1]
	for k := range g.SlowSamples {
		sl := &g.SlowSamples[k]
		sl.MIGCurrent = Some(1)
		sl.Signals = &Signals{Time: sl.Time, MIG: []MIGInstance{
			{Index: 0, GI: Some(1), CI: Some(0), Name: "NVIDIA H100 80GB HBM3 MIG 3g.40gb", UUID: "MIG-1",
				MemUsed: Some[uint64](23 << 30), MemTotal: Some[uint64](40192 << 20), UtilGPU: Some[uint32](87), SMUtil: Some[uint32](62),
				PIDs: []uint32{28810}},
			{Index: 1, GI: Some(2), CI: Some(0), Name: "NVIDIA H100 80GB HBM3 MIG 3g.40gb", UUID: "MIG-2",
				MemUsed: Some[uint64](13 << 20), MemTotal: Some[uint64](40192 << 20), UtilGPU: Some[uint32](0), SMUtil: Some[uint32](0)},
		}}
		sl.Processes = []Process{{PID: 28810, GPUIndex: 1, Kind: "compute", UsedMemory: Some[uint64](22 << 30), GI: Some(1), CI: Some(0)}}
	}
	return s
}

// A snapshot keeps each instance's utilisation (0 stays 0, unavailable
// stays unavailable), the note, and each process's instance.
func TestSnapshotRecordsMIG(t *testing.T) {
	s := migSnapshot()
	last := &s.GPUs[1].SlowSamples[len(s.GPUs[1].SlowSamples)-1]
	last.Signals.MIG[1].UtilGPU, last.Signals.MIG[1].SMUtil = Opt[uint32]{}, Opt[uint32]{}
	last.Signals.MIGUtilNote = MIGUtilNoGPM
	data := encode(t, s)
	for _, want := range []string{`"util_gpu":87`, `"util_sm":62`, `"util_gpu":0`, `"gi":1`, `"mig_util_note":"not available per MIG instance`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("snapshot lacks %s", want)
		}
	}
	got, err := DecodeSnapshot(bytes.NewReader(data), 0)
	if err != nil {
		t.Fatal(err)
	}
	sl := got.GPUs[1].SlowSamples
	first, end := sl[0].Signals, sl[len(sl)-1].Signals
	if first.MIG[0].UtilGPU != Some[uint32](87) || first.MIG[1].SMUtil != Some[uint32](0) || first.MIGUtilNote != "" {
		t.Errorf("first reading %+v", first)
	}
	if end.MIG[1].UtilGPU.OK || end.MIG[1].SMUtil.OK || end.MIGUtilNote != MIGUtilNoGPM {
		t.Errorf("unavailable utilisation came back as %+v %+v, note %q", end.MIG[1].UtilGPU, end.MIG[1].SMUtil, end.MIGUtilNote)
	}
	if p := sl[0].Processes[0]; p.GI != Some(1) || p.CI != Some(0) {
		t.Errorf("process %+v", p)
	}
	// A process on a whole GPU has no instance in the file at all.
	if p := got.GPUs[0].SlowSamples[0].Processes; len(p) > 0 && (p[0].GI.OK || p[0].CI.OK) {
		t.Errorf("whole-GPU process %+v", p[0])
	}
}

func TestLoaderValidatesMIG(t *testing.T) {
	cases := map[string]struct {
		f    func(sg *Signals, p *Process)
		want string
	}{
		"util over 100":  {func(sg *Signals, _ *Process) { sg.MIG[0].UtilGPU = Some[uint32](250) }, "signals.mig[0]: util_gpu 250% is impossible"},
		"SM over 100":    {func(sg *Signals, _ *Process) { sg.MIG[1].SMUtil = Some[uint32](111) }, "signals.mig[1]: util_sm 111% is impossible"},
		"mem over total": {func(sg *Signals, _ *Process) { sg.MIG[0].MemUsed = Some[uint64](50 << 30) }, "more than mem_total"},
		"huge memory":    {func(sg *Signals, _ *Process) { sg.MIG[0].MemTotal = Some[uint64](1 << 50) }, "mem_total"},
		"negative GI":    {func(sg *Signals, _ *Process) { sg.MIG[0].GI = Some(-1) }, "signals.mig[0]: gi -1 is outside"},
		"index":          {func(sg *Signals, _ *Process) { sg.MIG[0].Index = 9999 }, "index 9999 is outside"},
		"too many": {func(sg *Signals, _ *Process) {
			for len(sg.MIG) <= maxMIGInstances {
				sg.MIG = append(sg.MIG, sg.MIG[0])
			}
		}, "65 MIG instances; at most 64"},
		"long note":        {func(sg *Signals, _ *Process) { sg.MIGUtilNote = strings.Repeat("n", 70000) }, "signals.mig_util_note"},
		"long name":        {func(sg *Signals, _ *Process) { sg.MIG[1].Name = strings.Repeat("n", 2000) }, "signals.mig[1].name: 2000 bytes"},
		"process CI":       {func(_ *Signals, p *Process) { p.CI = Some(-3) }, "processes[0]: ci -3 is outside"},
		"process GI large": {func(_ *Signals, p *Process) { p.GI = Some(1 << 20) }, "gi 1048576 is outside"},
	}
	for name, tc := range cases {
		s := migSnapshot()
		sl := &s.GPUs[1].SlowSamples[0]
		tc.f(sl.Signals, &sl.Processes[0])
		_, err := DecodeSnapshot(bytes.NewReader(encode(t, s)), 0)
		if err == nil || !errors.Is(err, ErrSnapshotInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	if _, err := DecodeSnapshot(bytes.NewReader(encode(t, migSnapshot())), 0); err != nil {
		t.Errorf("a valid MIG snapshot is refused: %v", err)
	}
}

// The instances' strings reach the terminal: the loader cleans them.
func TestLoaderSanitisesMIG(t *testing.T) {
	s := migSnapshot()
	sg := s.GPUs[1].SlowSamples[0].Signals
	sg.MIG[0].Name += hostileText
	sg.MIG[0].Error = "memory: " + hostileText
	sg.MIGUtilNote = "note" + hostileText
	got, err := DecodeSnapshot(bytes.NewReader(encode(t, s)), 0)
	if err != nil {
		t.Fatal(err)
	}
	g := got.GPUs[1].SlowSamples[0].Signals
	for _, str := range []string{g.MIG[0].Name, g.MIG[0].Error, g.MIGUtilNote} {
		if strings.ContainsAny(str, "\x1b\x07\u009b\u202e\u200b") {
			t.Errorf("a loaded MIG string carries a control: %q", str)
		}
	}
}

// The Markdown report lists the instances with their utilisation, says why
// a GPU has none, and gives each process its instance.
func TestMarkdownMIG(t *testing.T) {
	s := migSnapshot()
	g0 := &s.GPUs[0].SlowSamples[len(s.GPUs[0].SlowSamples)-1]
	g0.MIGCurrent = Some(1)
	g0.Signals = &Signals{MIGUtilNote: MIGUtilNoGPM, MIG: []MIGInstance{{Index: 0, GI: Some(1), CI: Some(0), Name: "NVIDIA A100-SXM4-40GB MIG 3g.20gb"}}}
	s.Processes = append(s.Processes, Process{PID: 28810, GPUIndex: 1, Kind: "compute", GI: Some(1), CI: Some(0), Resolved: true, User: "frank", Command: "python3 x.py"})
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, s); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"## MIG instances",
		"| 0 | 0 | 3g.20gb | 1/0 | N/A | N/A | N/A | 0 |",
		"| 1 | 0 | 3g.40gb | 1/0 | 23.0/39.2 GiB | 87% | 62% | 1 |",
		"| 1 | 1 | 3g.40gb | 2/0 | 0.0/39.2 GiB | 0% | 0% | 0 |",
		"GPU 0: utilisation not available per MIG instance on this GPU",
		"| 1 (GI/CI 1/0) | 28810 | frank |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	// The table is one block: the note comes after it.
	i, j := strings.Index(md, "| 1 | 1 | 3g.40gb"), strings.Index(md, "GPU 0: utilisation")
	if i < 0 || j < i {
		t.Errorf("the note breaks the table:\n%s", md)
	}
}
