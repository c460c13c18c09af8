package host

import (
	"fmt"
	"sync"
	"time"
)

// fakeProc is one process of a fake process table.
type fakeProc struct {
	create int64
	cpu    float64
	rss    uint64
	zombie bool
	name   string
	cmd    string
	uid    uint32
	files  GPUFiles
}

// fakeTable is a ProcSource over an in-memory process table that counts
// every lookup.
type fakeTable struct {
	mu        sync.Mutex
	procs     map[int32]*fakeProc
	stats     int
	describes int
	fileReads int
	// vanishOnDescribe: the process exits between Stat and Describe.
	vanishOnDescribe map[int32]bool
}

func newFakeTable() *fakeTable {
	return &fakeTable{procs: map[int32]*fakeProc{}, vanishOnDescribe: map[int32]bool{}}
}

func (f *fakeTable) set(pid int32, p fakeProc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := p
	f.procs[pid] = &cp
}

func (f *fakeTable) update(pid int32, fn func(p *fakeProc)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.procs[pid])
}

func (f *fakeTable) remove(pid int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.procs, pid)
}

func (f *fakeTable) counts() (stats, describes, files int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats, f.describes, f.fileReads
}

func (f *fakeTable) Stat(pid int32) (ProcStat, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats++
	p, ok := f.procs[pid]
	if !ok {
		return ProcStat{}, fmt.Errorf("PID %d: %w", pid, ErrNoProcess)
	}
	return ProcStat{CreateTime: p.create, CPUSeconds: p.cpu, CPUOK: true, RSS: p.rss, RSSOK: !p.zombie, Zombie: p.zombie}, nil
}

func (f *fakeTable) Describe(pid int32) (ProcDesc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describes++
	if f.vanishOnDescribe[pid] {
		delete(f.procs, pid)
	}
	p, ok := f.procs[pid]
	if !ok {
		return ProcDesc{}, fmt.Errorf("PID %d: %w", pid, ErrNoProcess)
	}
	cmd := p.cmd
	if p.zombie {
		cmd = ""
	}
	return ProcDesc{Name: p.name, Cmdline: cmd, UID: p.uid, UIDOK: true}, nil
}

func (f *fakeTable) GPUFiles(pid int32) GPUFiles {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fileReads++
	if p, ok := f.procs[pid]; ok {
		return p.files
	}
	return GPUFilesUnknown
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
