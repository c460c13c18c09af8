package checks

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

const kernelLogSample = `[    4.112233] nvidia: module verification failed: signature and/or required key missing - tainting kernel
[   12.000001] NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64  580.159.04
[ 5107.644336] NVRM: Xid (PCI:0000:18:00): 79, pid=0, name=, GPU has fallen off the bus.
[ 5108.000000] NVRM: GPU 0000:18:00.0: GPU has fallen off the bus.
[ 6001.5] NVRM: Xid (PCI:0000:28:00): 48, pid=1234, name=python3, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 1, subpartition 0.
[ 7001.0] NVRM: Xid (0000:3b:00): 95, pid=77, Uncontained: FBHUB. RST: Yes, D-RST: No
[ 8000.0] pci 0000:41:00.0: BAR 1: no space for [mem size 0x800000000 64bit pref]
[ 9000.0] usb 1-1: new device
`

func TestParseKernelLog(t *testing.T) {
	var kl model.KernelLogFacts
	parseKernelLog(&kl, []byte(kernelLogSample))
	if len(kl.Xids) != 3 {
		t.Fatalf("xids = %+v", kl.Xids)
	}
	want := []model.KernelXid{{BDF: "0000:18:00", Xid: 79, Uptime: 5107.644336}, {BDF: "0000:28:00", Xid: 48, Uptime: 6001.5}, {BDF: "0000:3b:00", Xid: 95, Uptime: 7001.0}}
	for i, w := range want {
		g := kl.Xids[i]
		if g.BDF != w.BDF || g.Xid != w.Xid || g.Uptime != w.Uptime {
			t.Errorf("xid %d = %+v, want %+v", i, g, w)
		}
	}
	if !strings.Contains(kl.Xids[0].Text, "fallen off the bus") {
		t.Errorf("text %q", kl.Xids[0].Text)
	}
	joined := strings.Join(kl.Notes, "\n")
	for _, w := range []string{"module verification failed", "BAR 1: no space", "GPU 0000:18:00.0: GPU has fallen off the bus"} {
		if !strings.Contains(joined, w) {
			t.Errorf("notes lack %q:\n%s", w, joined)
		}
	}
	if strings.Contains(joined, "usb") || strings.Contains(joined, "loading NVIDIA") {
		t.Errorf("notes keep unrelated lines:\n%s", joined)
	}
	// Bounded: only the newest maxKernelLogBytes are kept, from a line start.
	big := strings.Repeat("[ 1.0] filler line that is not about the GPU at all\n", maxKernelLogBytes/40) + kernelLogSample
	kl = model.KernelLogFacts{}
	parseKernelLog(&kl, []byte(big))
	if !kl.Truncated || kl.Bytes > maxKernelLogBytes || len(kl.Xids) != 3 {
		t.Errorf("truncated %v bytes %d xids %d", kl.Truncated, kl.Bytes, len(kl.Xids))
	}
}

func TestProbeKernelLogFallsBackToJournal(t *testing.T) {
	env := Env{Root: "/", LookupEnv: func(string) (string, bool) { return "", false },
		LookPath: func(name string) (string, error) { return "/usr/bin/" + name, nil },
		Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
			if strings.HasSuffix(name, "dmesg") {
				return []byte("dmesg: read kernel buffer failed: Operation not permitted"), errors.New("exit status 1")
			}
			if len(args) == 0 || args[0] != "-k" {
				t.Errorf("journalctl args %v", args)
			}
			return []byte(kernelLogSample), nil
		}}
	kl := probeKernelLog(context.Background(), env)
	if !kl.Read || kl.Source != "journalctl -k" || len(kl.Xids) != 3 {
		t.Fatalf("kernel log = %+v", kl)
	}
	env.Run = func(context.Context, string, ...string) ([]byte, error) { return nil, errors.New("denied") }
	kl = probeKernelLog(context.Background(), env)
	if kl.Read || !strings.Contains(kl.Error, "dmesg") {
		t.Fatalf("unreadable log = %+v", kl)
	}
}

func TestXidRule(t *testing.T) {
	lostLog := func(f *model.Facts) {
		f.KernelLog.Xids = []model.KernelXid{{BDF: "0000:18:00", Xid: 79, Text: "pid=0, GPU has fallen off the bus.", Uptime: 5107.6}}
	}
	runRuleCases(t, xidRule, []ruleCase{
		{name: "none, log read", id: "xid", want: model.Pass, evidence: []string{"no Xid in", "dmesg"}},
		{name: "none, log unreadable", id: "xid", want: model.Skip, evidence: []string{"not read", "Operation not permitted"},
			mutate: func(f *model.Facts) { f.KernelLog = model.KernelLogFacts{Error: "dmesg: Operation not permitted"} }},
		{name: "79 in the kernel log, GPU lost", id: "xid.gpu0", want: model.Fail, evidence: []string{"Xid 79 x1 (kernel log)", "fell off the bus"}, fix: []string{"reboot"},
			mutate: func(f *model.Facts) {
				lostLog(f)
				f.NVML.GPUs[0].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost"}
			}},
		{name: "48 on the timeline", id: "xid.gpu0", want: model.Fail, evidence: []string{"Xid 48 x2 (timeline)", "double-bit ECC"}, fix: []string{"reset the GPU"},
			mutate: func(f *model.Facts) {
				f.Events = []model.Event{model.XidEvent(1, 0, 48), model.XidEvent(2, 0, 48)}
			}},
		{name: "95 on the timeline", id: "xid.gpu0", want: model.Fail, evidence: []string{"Xid 95", "uncontained"}, fix: []string{"reset the GPU"},
			mutate: func(f *model.Facts) { f.Events = []model.Event{model.XidEvent(1, 0, 95)} }},
		{name: "13 only: an application fault warns", id: "xid.gpu0", want: model.Warn, evidence: []string{"Xid 13"}, fix: []string{"restart the application"},
			mutate: func(f *model.Facts) { f.Events = []model.Event{model.XidEvent(1, 0, 13)} }},
		{name: "both sources, worst first", id: "xid.gpu0", want: model.Fail, evidence: []string{"Xid 79 x1 (kernel log): GPU fell off the bus, last 5108 s after boot; Xid 31 x1 (timeline)"},
			mutate: func(f *model.Facts) {
				lostLog(f)
				f.NVML.GPUs[0].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost"}
				f.Events = []model.Event{model.XidEvent(1, 0, 31)}
			}},
		{name: "48 in the kernel log, ECC counter reset since", id: "xid.gpu0", want: model.Warn, evidence: []string{"Xid 48", "reads 0"}, fix: []string{"watch for it to return"},
			mutate: func(f *model.Facts) { f.KernelLog.Xids = []model.KernelXid{{BDF: "0000:18:00", Xid: 48, Uptime: 10}} }},
		{name: "48 in the kernel log, errors still counted", id: "xid.gpu0", want: model.Fail, evidence: []string{"Xid 48"}, fix: []string{"reset the GPU"},
			mutate: func(f *model.Facts) {
				f.KernelLog.Xids = []model.KernelXid{{BDF: "0000:18:00", Xid: 48, Uptime: 10}}
				f.NVML.GPUs[0].Slow.V.ECCVolatileUncorrected = model.Some(uint64(2))
			}},
		{name: "48 on the timeline stays a fail", id: "xid.gpu0", want: model.Fail,
			mutate: func(f *model.Facts) { f.Events = []model.Event{model.XidEvent(1, 0, 48)} }},
		{name: "79 in the kernel log but the GPU answers now", id: "xid.gpu0", want: model.Warn, evidence: []string{"answers NVML again"}, mutate: lostLog},
		{name: "a GPU NVML does not list", id: "xid.pci-0000:41:00", want: model.Fail, evidence: []string{"Xid 79"},
			mutate: func(f *model.Facts) { f.KernelLog.Xids = []model.KernelXid{{BDF: "0000:41:00", Xid: 79}} }},
		{name: "no GPU at all", id: "xid", want: model.Skip, evidence: []string{"no NVIDIA GPU"},
			mutate: func(f *model.Facts) { f.NVML.GPUs = nil; f.PCI.Devices = nil }},
	})
}

func TestSameBus(t *testing.T) {
	for _, c := range []struct {
		nvml, log string
		want      bool
	}{
		{"00000000:18:00.0", "0000:18:00", true},
		{"00000000:18:00.0", "0000:18:00.0", true},
		{"00000000:18:00.0", "18:00", true},
		{"00000000:18:00.0", "0000:19:00", false},
		{"00000001:18:00.0", "0000:18:00", false},
	} {
		if got := sameBus(c.nvml, c.log); got != c.want {
			t.Errorf("sameBus(%q, %q) = %v", c.nvml, c.log, got)
		}
	}
}

// FuzzParseKernelLog: any bytes parse without panicking, within the bounds.
func FuzzParseKernelLog(f *testing.F) {
	f.Add([]byte(kernelLogSample))
	f.Add([]byte("NVRM: Xid (PCI:0000:18:00): 99999999999999999999, x\n"))
	f.Add([]byte("NVRM: Xid (PCI:ffffffff:ff:ff.7) trailing): 79,\n[ nan] NVRM: Xid (0000:01:00): 3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var kl model.KernelLogFacts
		parseKernelLog(&kl, b)
		if len(kl.Xids) > maxKernelXids || len(kl.Notes) > maxKernelNotes || kl.Bytes > len(b) {
			t.Fatalf("bounds: %d xids, %d notes, %d bytes of %d", len(kl.Xids), len(kl.Notes), kl.Bytes, len(b))
		}
		for _, x := range kl.Xids {
			if len([]rune(x.Text)) > 203 {
				t.Fatalf("unbounded text %q", x.Text)
			}
		}
		for _, n := range kl.Notes {
			if len([]rune(n)) > 303 {
				t.Fatalf("unbounded note %q", n)
			}
		}
	})
}
