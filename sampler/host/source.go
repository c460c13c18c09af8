// Package host joins the GPU processes NVML reports with what the host knows
// about them (user, command, CPU, RSS), says when it cannot because gputop
// runs in another PID namespace, reads the host's CPU, load and memory for
// the host strip, and terminates a process on the user's request.
package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/process"
)

// ErrNoProcess: no process has this PID here (it exited, or it lives in a
// PID namespace this one cannot see).
var ErrNoProcess = errors.New("no such process")

// ProcStat is what is read about a process on every lookup.
type ProcStat struct {
	// CreateTime (ms since the epoch) tells a process from a later one that
	// reuses its PID.
	CreateTime int64
	CPUSeconds float64 // user + system time consumed so far
	CPUOK      bool
	RSS        uint64 // bytes
	RSSOK      bool
	Zombie     bool // exited, not yet reaped by its parent
}

// ProcDesc is what is read once per process (per PID and create time).
type ProcDesc struct {
	Name    string
	Cmdline string // arguments joined by spaces; empty for zombies and kernel threads
	UID     uint32
	UIDOK   bool
}

// GPUFiles is whether a process holds a GPU device node open.
type GPUFiles int

const (
	GPUFilesUnknown GPUFiles = iota // could not tell (no permission, too many files)
	GPUFilesOpen                    // a /dev/nvidia* (or WSL's /dev/dxg) node is open
	GPUFilesNone                    // the open files were read and none is a GPU node
)

// ProcSource reads processes. The default reads /proc through gopsutil;
// tests substitute fake process tables.
type ProcSource interface {
	// Stat returns an error wrapping ErrNoProcess when the PID is absent.
	Stat(pid int32) (ProcStat, error)
	Describe(pid int32) (ProcDesc, error)
	GPUFiles(pid int32) GPUFiles
}

// procSource reads a /proc tree through gopsutil.
type procSource struct {
	ctx  context.Context
	root string
}

// maxFDScan bounds how many open files of one process are inspected when
// looking for a GPU device node: a data loader may hold tens of thousands.
// A variable so that tests can bound a small fake table.
var maxFDScan = 4096

// NewProcSource reads the /proc tree at root ("" means gopsutil's default:
// $HOST_PROC, or /proc). Pointing it at a host /proc mounted into a
// container (HOST_PROC=/host/proc) is how a container sees host processes.
func NewProcSource(root string) ProcSource {
	ctx := context.Background()
	if root != "" {
		ctx = context.WithValue(ctx, common.EnvKey, common.EnvMap{common.HostProcEnvKey: root})
	} else if root = os.Getenv("HOST_PROC"); root == "" {
		root = "/proc"
	}
	// Without the cache gopsutil derives every create time from a freshly
	// computed boot time (re-detecting virtualisation each call), and inside
	// Docker from /proc/uptime and the clock, so the same process would get
	// a slightly different create time on every lookup and look like a new
	// one. Boot time does not change while gputop runs.
	process.EnableBootTimeCache(true)
	return &procSource{ctx: ctx, root: root}
}

func (s *procSource) gone(pid int32, err error) error {
	if _, serr := os.Stat(filepath.Join(s.root, strconv.Itoa(int(pid)))); errors.Is(serr, os.ErrNotExist) {
		return fmt.Errorf("PID %d: %w", pid, ErrNoProcess)
	}
	return fmt.Errorf("read PID %d from %s: %w", pid, s.root, err)
}

func (s *procSource) Stat(pid int32) (ProcStat, error) {
	if pid <= 0 {
		return ProcStat{}, fmt.Errorf("PID %d: %w", pid, ErrNoProcess)
	}
	p := &process.Process{Pid: pid}
	var st ProcStat
	ct, err := p.CreateTimeWithContext(s.ctx)
	if err != nil {
		return st, s.gone(pid, err)
	}
	st.CreateTime = ct
	if t, err := p.TimesWithContext(s.ctx); err == nil {
		st.CPUSeconds, st.CPUOK = t.User+t.System, true
	}
	if m, err := p.MemoryInfoWithContext(s.ctx); err == nil {
		st.RSS, st.RSSOK = m.RSS, true
	}
	// A zombie has released its memory; a live process with a GPU context
	// never has an empty RSS. Only then is the status file read, which
	// saves a quarter of the reads per PID and tick.
	if !st.RSSOK || st.RSS == 0 {
		if status, err := p.StatusWithContext(s.ctx); err == nil && len(status) > 0 {
			st.Zombie = status[0] == process.Zombie
		}
	}
	return st, nil
}

func (s *procSource) Describe(pid int32) (ProcDesc, error) {
	p := &process.Process{Pid: pid}
	var d ProcDesc
	name, err := p.NameWithContext(s.ctx)
	if err != nil {
		return d, s.gone(pid, err)
	}
	d.Name = name
	// A zombie or kernel thread has an empty command line; that is not an error.
	d.Cmdline, _ = p.CmdlineWithContext(s.ctx)
	if uids, err := p.UidsWithContext(s.ctx); err == nil && len(uids) > 1 {
		d.UID, d.UIDOK = uids[1], true // effective UID, as ps shows
	}
	return d, nil
}

// GPUFiles looks through /proc/PID/fd for a GPU device node. Every process
// with a CUDA context keeps /dev/nvidiactl and /dev/nvidiaN open for its
// whole life (WSL: /dev/dxg), so a readable fd table without one means the
// PID belongs to a different process than the one NVML reported.
func (s *procSource) GPUFiles(pid int32) GPUFiles {
	dir := filepath.Join(s.root, strconv.Itoa(int(pid)), "fd")
	f, err := os.Open(dir)
	if err != nil {
		return GPUFilesUnknown // EACCES for another user's process without privileges
	}
	defer f.Close()
	seen := 0
	for seen < maxFDScan {
		names, err := f.Readdirnames(256)
		for _, n := range names {
			seen++
			target, lerr := os.Readlink(filepath.Join(dir, n))
			if lerr != nil {
				continue // closed meanwhile
			}
			if isGPUDevice(target) {
				return GPUFilesOpen
			}
		}
		if errors.Is(err, io.EOF) {
			return GPUFilesNone
		}
		if err != nil {
			return GPUFilesUnknown
		}
	}
	return GPUFilesUnknown
}

func isGPUDevice(path string) bool {
	return strings.HasPrefix(path, "/dev/nvidia") || path == "/dev/dxg"
}
