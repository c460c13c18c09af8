package host

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"time"

	"github.com/gputop/gputop/model"
)

func users(uid uint32) (string, error) {
	switch uid {
	case 0:
		return "root", nil
	case 1000:
		return "alice", nil
	}
	return "", errors.New("unknown user")
}

func newTestResolver(t *testing.T, tbl *fakeTable, clk *fakeClock) *Resolver {
	t.Helper()
	return NewResolver(Options{Source: tbl, LookupUser: users, Now: clk.Now, RootDir: t.TempDir()})
}

func nvml(pids ...uint32) []model.Process {
	out := make([]model.Process, len(pids))
	for i, pid := range pids {
		out[i] = model.Process{PID: pid, Kind: "compute", UsedMemory: model.Some[uint64](1 << 30)}
	}
	return out
}

func TestResolveFillsHostSide(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(1234, fakeProc{create: 1, cpu: 10, rss: 3 << 30, name: "python3", cmd: "python3 train.py --bs 64", uid: 1000, files: GPUFilesOpen})
	tbl.set(99, fakeProc{create: 2, cpu: 1, rss: 1 << 20, name: "Xorg", cmd: "/usr/lib/Xorg :0", uid: 4242, files: GPUFilesOpen})
	r := newTestResolver(t, tbl, clk)

	ps := nvml(1234, 99)
	r.Resolve(ps)
	p := ps[0]
	if !p.Resolved || p.Name != "python3" || p.Command != "python3 train.py --bs 64" || p.User != "alice" {
		t.Errorf("first lookup = %+v", p)
	}
	if p.CPUPercent.OK {
		t.Errorf("CPU%% on the first observation = %v, want unavailable", p.CPUPercent)
	}
	if !p.RSS.OK || p.RSS.V != 3<<30 {
		t.Errorf("RSS = %v", p.RSS)
	}
	if ps[1].User != "4242" {
		t.Errorf("unknown UID shown as %q, want the number", ps[1].User)
	}

	clk.Advance(2 * time.Second)
	tbl.update(1234, func(p *fakeProc) { p.cpu += 3 }) // 3 s of CPU in 2 s: 150% of one core
	ps = nvml(1234, 99)
	r.Resolve(ps)
	if c := ps[0].CPUPercent; !c.OK || math.Abs(c.V-150) > 1e-9 {
		t.Errorf("CPU%% = %v, want 150", c)
	}
	if c := ps[1].CPUPercent; !c.OK || c.V != 0 {
		t.Errorf("idle process CPU%% = %v, want 0 (available)", c)
	}
	if _, describes, _ := tbl.counts(); describes != 2 {
		t.Errorf("Describe called %d times, want once per process", describes)
	}
}

func TestResolveLooksUpEachPIDOnce(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(7, fakeProc{create: 1, name: "blender", files: GPUFilesOpen})
	r := newTestResolver(t, tbl, clk)
	ps := nvml(7, 7) // a compute and a graphics context
	ps[1].Kind = "graphics"
	r.Resolve(ps)
	if stats, _, _ := tbl.counts(); stats != 1 {
		t.Errorf("Stat called %d times for one PID", stats)
	}
	if !ps[0].Resolved || !ps[1].Resolved || ps[1].Name != "blender" {
		t.Errorf("both entries must be filled: %+v", ps)
	}
}

func TestResolveVanishedPIDs(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(10, fakeProc{create: 1, name: "gone-early", files: GPUFilesOpen})
	tbl.set(11, fakeProc{create: 1, name: "gone-late", files: GPUFilesOpen})
	tbl.set(12, fakeProc{create: 1, name: "stays", files: GPUFilesOpen})
	r := newTestResolver(t, tbl, clk)
	r.Resolve(nvml(10, 11, 12))

	// 10 exits before the next lookup; a new 13 exits between Stat and Describe.
	tbl.remove(10)
	tbl.set(13, fakeProc{create: 5, name: "racy", files: GPUFilesOpen})
	tbl.vanishOnDescribe[13] = true
	ps := nvml(10, 11, 12, 13)
	ps[0].Resolved, ps[0].Name, ps[0].User = true, "stale", "stale" // stale data from a previous tick
	r.Resolve(ps)
	for _, i := range []int{0, 3} {
		if p := ps[i]; p.Resolved || p.Name != "" || p.User != "" || p.Command != "" || p.CPUPercent.OK || p.RSS.OK {
			t.Errorf("vanished PID %d = %+v, want unresolved and empty", p.PID, p)
		}
	}
	if !ps[1].Resolved || !ps[2].Resolved {
		t.Errorf("live processes unresolved: %+v", ps[1:3])
	}
	r.mu.Lock()
	_, cached := r.cache[10]
	r.mu.Unlock()
	if cached {
		t.Error("vanished PID kept in the cache")
	}
	if on, _ := r.PIDNamespaceHint(); on {
		t.Error("ordinary exits raised the namespace hint")
	}
}

func TestResolveReusedPID(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(500, fakeProc{create: 100, cpu: 50, name: "python3", cmd: "python3 old.py", uid: 1000, files: GPUFilesOpen})
	r := newTestResolver(t, tbl, clk)
	r.Resolve(nvml(500))
	clk.Advance(time.Second)
	r.Resolve(nvml(500)) // old process now has a CPU baseline and a CPU%

	// The old process exits; a new one gets PID 500.
	tbl.set(500, fakeProc{create: 200, cpu: 0.1, name: "java", cmd: "java -jar new.jar", uid: 0, files: GPUFilesOpen})
	clk.Advance(time.Second)
	ps := nvml(500)
	r.Resolve(ps)
	p := ps[0]
	if p.Name != "java" || p.Command != "java -jar new.jar" || p.User != "root" {
		t.Errorf("reused PID shows %+v, want the new process", p)
	}
	if p.CPUPercent.OK {
		t.Errorf("reused PID inherited CPU%% %v", p.CPUPercent)
	}
}

func TestResolveZombie(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(20, fakeProc{create: 1, name: "python3", cmd: "python3 crash.py", files: GPUFilesOpen})
	tbl.set(21, fakeProc{create: 1, zombie: true, files: GPUFilesNone}) // a zombie's fd table is empty
	r := newTestResolver(t, tbl, clk)
	r.Resolve(nvml(20, 21))
	tbl.update(20, func(p *fakeProc) { p.zombie = true })
	clk.Advance(time.Second)
	ps := nvml(20, 21)
	r.Resolve(ps)
	tests := []struct {
		p          model.Process
		name, cmd  string
		resolvedOK bool
	}{
		{ps[0], "python3", "python3 crash.py", true},
		{ps[1], "<zombie>", "", true},
	}
	for _, tt := range tests {
		if !tt.p.Zombie || tt.p.Resolved != tt.resolvedOK || tt.p.Name != tt.name || tt.p.Command != tt.cmd || tt.p.CPUPercent.OK || tt.p.RSS.OK {
			t.Errorf("zombie %d = %+v, want name %q command %q, no CPU/RSS", tt.p.PID, tt.p, tt.name, tt.cmd)
		}
	}
	if on, _ := r.PIDNamespaceHint(); on {
		t.Error("a zombie's empty fd table raised the namespace hint")
	}
}

func TestPIDNamespaceHint(t *testing.T) {
	type proc struct {
		pid uint32
		p   *fakeProc // nil: no such PID here
	}
	open := func(c int64) *fakeProc { return &fakeProc{create: c, name: "python3", files: GPUFilesOpen} }
	other := func(c int64) *fakeProc { return &fakeProc{create: c, name: "bash", files: GPUFilesNone} }
	unknown := func(c int64) *fakeProc { return &fakeProc{create: c, name: "python3", files: GPUFilesUnknown} }
	tests := []struct {
		name     string
		procs    []proc
		rounds   int
		hint     bool
		resolved []bool
	}{
		{"host namespace", []proc{{100, open(1)}, {101, open(2)}}, 3, false, []bool{true, true}},
		{"PIDs missing once is a race", []proc{{4000, nil}, {4001, nil}}, 1, false, []bool{false, false}},
		{"PIDs missing persistently", []proc{{4000, nil}, {4001, nil}}, 2, true, []bool{false, false}},
		{"PIDs belong to other processes", []proc{{1, other(1)}, {7, other(2)}}, 2, true, []bool{false, false}},
		{"one missing, one verified", []proc{{4000, nil}, {100, open(1)}}, 3, false, []bool{false, true}},
		{"no permission to look: no hint", []proc{{100, unknown(1)}}, 3, false, []bool{true}},
		{"PID 0 is no evidence", []proc{{0, nil}}, 3, false, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl, clk := newFakeTable(), newFakeClock()
			var pids []uint32
			for _, p := range tt.procs {
				if p.p != nil {
					tbl.set(int32(p.pid), *p.p)
				}
				pids = append(pids, p.pid)
			}
			r := newTestResolver(t, tbl, clk)
			var ps []model.Process
			for range tt.rounds {
				ps = nvml(pids...)
				r.Resolve(ps)
				clk.Advance(time.Second)
			}
			for i, p := range ps {
				if p.Resolved != tt.resolved[i] {
					t.Errorf("PID %d resolved = %v, want %v", p.PID, p.Resolved, tt.resolved[i])
				}
			}
			on, msg := r.PIDNamespaceHint()
			if on != tt.hint {
				t.Fatalf("hint = %v (%q), want %v", on, msg, tt.hint)
			}
			if on && (!strings.Contains(msg, "--pid=host") || !strings.Contains(msg, "hostPID: true")) {
				t.Errorf("hint lacks the fix: %q", msg)
			}
			if !on && msg != "" {
				t.Errorf("no hint but a message: %q", msg)
			}
		})
	}
}

func TestPIDNamespaceHintNamesTheContainer(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, ".dockerenv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := NewResolver(Options{Source: tbl, LookupUser: users, Now: clk.Now, RootDir: root})
	for range 2 {
		r.Resolve(nvml(31337))
		clk.Advance(time.Second)
	}
	if on, msg := r.PIDNamespaceHint(); !on || !strings.Contains(msg, "/.dockerenv") {
		t.Errorf("hint = %v %q, want it to name /.dockerenv", on, msg)
	}
	// A listed PID later proves to hold a GPU here: the hint goes away.
	tbl.set(100, fakeProc{create: 1, name: "python3", files: GPUFilesOpen})
	r.Resolve(nvml(100))
	if on, _ := r.PIDNamespaceHint(); on {
		t.Error("hint stays although a listed PID holds a GPU here")
	}
}

func TestResolveRechecksPIDWithoutGPU(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(600, fakeProc{create: 1, name: "python3", files: GPUFilesNone})
	r := newTestResolver(t, tbl, clk)
	ps := nvml(600)
	r.Resolve(ps)
	if ps[0].Resolved {
		t.Fatal("process without a GPU device resolved")
	}
	tbl.update(600, func(p *fakeProc) { p.files = GPUFilesOpen }) // it initialises CUDA
	clk.Advance(filesRecheck)
	ps = nvml(600)
	r.Resolve(ps)
	if !ps[0].Resolved || ps[0].Name != "python3" {
		t.Errorf("after recheck = %+v, want resolved", ps[0])
	}
}

func TestResolveScalesWithListedPIDsOnly(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	for pid := int32(2); pid < 20000; pid++ {
		tbl.set(pid, fakeProc{create: int64(pid), name: "worker", files: GPUFilesNone})
	}
	for pid := int32(30000); pid < 30008; pid++ {
		tbl.set(pid, fakeProc{create: 1, name: "python3", files: GPUFilesOpen})
	}
	r := newTestResolver(t, tbl, clk)
	for range 10 {
		r.Resolve(nvml(30000, 30001, 30002, 30003, 30004, 30005, 30006, 30007))
		clk.Advance(time.Second)
	}
	stats, describes, files := tbl.counts()
	if stats != 80 || describes != 8 || files != 8 {
		t.Errorf("lookups: %d stats, %d describes, %d fd scans; want 80, 8, 8", stats, describes, files)
	}
}

func TestResolveCacheIsBounded(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	r := NewResolver(Options{Source: tbl, LookupUser: users, Now: clk.Now, RootDir: t.TempDir(), MaxEntries: 100, Forget: 5 * time.Second})
	for pid := uint32(1000); pid < 3000; pid++ {
		tbl.set(int32(pid), fakeProc{create: 1, name: "p", files: GPUFilesOpen})
		r.Resolve(nvml(pid))
	}
	r.mu.Lock()
	n := len(r.cache)
	r.mu.Unlock()
	if n > 100 {
		t.Errorf("cache holds %d entries, want at most 100", n)
	}
	// Nothing listed for longer than Forget: everything goes.
	clk.Advance(6 * time.Second)
	tbl.set(1, fakeProc{create: 1, name: "init", files: GPUFilesOpen})
	r.Resolve(nvml(1))
	r.mu.Lock()
	n = len(r.cache)
	r.mu.Unlock()
	if n != 1 {
		t.Errorf("cache holds %d entries after Forget, want 1", n)
	}
}

func TestResolveSamePIDFromTwoGPUs(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(42, fakeProc{create: 1, cpu: 0, name: "torchrun", files: GPUFilesOpen})
	r := newTestResolver(t, tbl, clk)
	r.Resolve(nvml(42))
	clk.Advance(time.Second)
	tbl.update(42, func(p *fakeProc) { p.cpu = 0.5 })
	gpu0 := nvml(42)
	r.Resolve(gpu0)
	// GPU 1's goroutine looks the same PID up a millisecond later.
	clk.Advance(time.Millisecond)
	tbl.update(42, func(p *fakeProc) { p.cpu = 0.5001 })
	gpu1 := nvml(42)
	r.Resolve(gpu1)
	if gpu0[0].CPUPercent != gpu1[0].CPUPercent || math.Abs(gpu1[0].CPUPercent.V-50) > 1e-9 {
		t.Errorf("CPU%% gpu0 %v gpu1 %v, want both 50", gpu0[0].CPUPercent, gpu1[0].CPUPercent)
	}
}

func TestResolveConcurrent(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	for pid := int32(1); pid <= 16; pid++ {
		tbl.set(pid, fakeProc{create: 1, name: "p", files: GPUFilesOpen})
	}
	r := newTestResolver(t, tbl, clk)
	var wg sync.WaitGroup
	for gpu := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 200 {
				ps := nvml(uint32(gpu+1), uint32(gpu+9), uint32(n%16+1))
				r.Resolve(ps)
				for _, p := range ps {
					// PIDs 1-8 change identity under the lookups and may
					// read as unresolved for a moment; 9-16 never do.
					if p.PID > 8 && !p.Resolved {
						t.Errorf("PID %d unresolved", p.PID)
						return
					}
				}
				clk.Advance(time.Millisecond)
				if n%50 == 0 {
					tbl.update(int32(gpu+1), func(p *fakeProc) { p.create++ }) // churn identities
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkResolve8(b *testing.B) {
	tbl, clk := newFakeTable(), newFakeClock()
	pids := make([]uint32, 8)
	for i := range pids {
		pids[i] = uint32(1000 + i)
		tbl.set(int32(pids[i]), fakeProc{create: 1, cpu: 1, rss: 1 << 30, name: "python3", cmd: "python3 train.py", uid: 1000, files: GPUFilesOpen})
	}
	r := NewResolver(Options{Source: tbl, LookupUser: users, Now: clk.Now})
	ps := nvml(pids...)
	b.ReportAllocs()
	for b.Loop() {
		clk.Advance(time.Second)
		r.Resolve(ps)
	}
}
