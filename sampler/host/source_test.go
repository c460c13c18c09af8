package host

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

// fakeProcDir writes the files gopsutil reads for one process into a fake
// /proc tree. fds are symlink targets for /proc/PID/fd/N.
func fakeProcDir(t *testing.T, root string, pid int, comm, state string, uid int, starttime, utime, stime, rssPages uint64, cmdline []string, fds ...string) {
	t.Helper()
	dir := filepath.Join(root, strconv.Itoa(pid))
	if err := os.MkdirAll(filepath.Join(dir, "fd"), 0o755); err != nil {
		t.Fatal(err)
	}
	stat := fmt.Sprintf("%d (%s) %s 1 %d %d 0 -1 4194560 100 0 0 0 %d %d 0 0 20 0 4 0 %d 123456789 %d 18446744073709551615 1 1 0 0 0 0 0 16781312 17642 0 0 0 17 3 0 0 5 0 0 0 0 0 0 0 0 0 0\n",
		pid, comm, state, pid, pid, utime, stime, starttime, rssPages)
	status := fmt.Sprintf("Name:\t%s\nState:\t%s (x)\nTgid:\t%d\nPid:\t%d\nPPid:\t1\nUid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\n", comm, state, pid, pid, uid, uid, uid, uid)
	statm := fmt.Sprintf("30000 %d 500 100 0 2000 0\n", rssPages)
	files := map[string]string{
		"stat": stat, "status": status, "statm": statm, "comm": comm + "\n",
		"cmdline": strings.Join(cmdline, "\x00"),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, target := range fds {
		if err := os.Symlink(target, filepath.Join(dir, "fd", strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
}

func fakeProcRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "stat"), []byte("cpu  100 0 50 1000 10 0 0 0 0 0\nbtime 1763700000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestProcSourceOnFakeProc(t *testing.T) {
	root := fakeProcRoot(t)
	fakeProcDir(t, root, 1234, "python3", "S", 1000, 5000, 250, 50, 1000,
		[]string{"python3", "train.py", "--bs", "64"}, "/dev/null", "socket:[123]", "/dev/nvidiactl", "/dev/nvidia0")
	fakeProcDir(t, root, 77, "bash", "S", 0, 6000, 1, 1, 10, []string{"bash"}, "/dev/pts/0", "/dev/pts/0")
	fakeProcDir(t, root, 88, "python3", "Z", 1000, 7000, 1, 1, 0, nil)
	fakeProcDir(t, root, 99, "wsl-app", "R", 1000, 7000, 1, 1, 0, []string{"wsl-app"}, "/dev/dxg")
	src := NewProcSource(root)

	st, err := src.Stat(1234)
	if err != nil {
		t.Fatal(err)
	}
	if !st.CPUOK || st.CPUSeconds <= 0 || !st.RSSOK || st.RSS != 1000*uint64(os.Getpagesize()) || st.Zombie || st.CreateTime == 0 {
		t.Errorf("Stat = %+v", st)
	}
	other, err := src.Stat(77)
	if err != nil || other.CreateTime <= st.CreateTime {
		t.Errorf("a later start time must give a later create time: %+v %v", other, err)
	}
	d, err := src.Describe(1234)
	if err != nil || d.Name != "python3" || d.Cmdline != "python3 train.py --bs 64" || !d.UIDOK || d.UID != 1000 {
		t.Errorf("Describe = %+v, %v", d, err)
	}
	if z, err := src.Stat(88); err != nil || !z.Zombie {
		t.Errorf("zombie Stat = %+v, %v", z, err)
	}
	if _, err := src.Stat(4242); !errors.Is(err, ErrNoProcess) {
		t.Errorf("missing PID: err = %v, want ErrNoProcess", err)
	}
	if _, err := src.Describe(4242); !errors.Is(err, ErrNoProcess) {
		t.Errorf("missing PID: Describe err = %v, want ErrNoProcess", err)
	}
	for pid, want := range map[int32]GPUFiles{1234: GPUFilesOpen, 77: GPUFilesNone, 88: GPUFilesNone, 99: GPUFilesOpen, 4242: GPUFilesUnknown} {
		if got := src.GPUFiles(pid); got != want {
			t.Errorf("GPUFiles(%d) = %v, want %v", pid, got, want)
		}
	}

	// The resolver over this tree: 77 is someone else's PID in this namespace.
	r := NewResolver(Options{ProcRoot: root, LookupUser: users, RootDir: t.TempDir()})
	ps := nvml(1234, 77, 88)
	r.Resolve(ps)
	if !ps[0].Resolved || ps[0].User != "alice" || ps[0].Command != "python3 train.py --bs 64" {
		t.Errorf("1234 = %+v", ps[0])
	}
	if ps[1].Resolved {
		t.Errorf("77 (no GPU device open) resolved: %+v", ps[1])
	}
	if !ps[2].Resolved || !ps[2].Zombie || ps[2].Command != "" {
		t.Errorf("zombie = %+v", ps[2])
	}
}

func TestGPUFilesScanIsBounded(t *testing.T) {
	defer func(n int) { maxFDScan = n }(maxFDScan)
	maxFDScan = 300 // more than one directory batch of 256
	root := fakeProcRoot(t)
	fds := make([]string, maxFDScan+10)
	for i := range fds {
		fds[i] = "/tmp/data-" + strconv.Itoa(i)
	}
	fakeProcDir(t, root, 5, "loader", "S", 0, 1, 1, 1, 1, []string{"loader"}, fds...)
	if got := NewProcSource(root).GPUFiles(5); got != GPUFilesUnknown {
		t.Errorf("GPUFiles past the scan bound = %v, want unknown", got)
	}
	// The same table with a GPU node within the bound is found.
	fakeProcDir(t, root, 6, "trainer", "S", 0, 1, 1, 1, 1, []string{"trainer"}, append(fds[:280:280], "/dev/nvidia-uvm")...)
	if got := NewProcSource(root).GPUFiles(6); got != GPUFilesOpen {
		t.Errorf("GPUFiles with /dev/nvidia-uvm at fd 280 = %v, want open", got)
	}
}

// assumeGPU treats every process as a GPU process: this machine has none.
type assumeGPU struct{ ProcSource }

func (assumeGPU) GPUFiles(int32) GPUFiles { return GPUFilesOpen }

func startSleep(t testing.TB) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func TestResolveRealProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	cmd := startSleep(t)
	clk := newFakeClock()
	r := NewResolver(Options{Source: assumeGPU{NewProcSource("")}, Now: clk.Now})
	ps := []model.Process{{PID: uint32(cmd.Process.Pid)}, {PID: uint32(os.Getpid())}}
	r.Resolve(ps)
	p := ps[0]
	if !p.Resolved || p.Name != "sleep" || p.Command != "sleep 300" || !p.RSS.OK || p.RSS.V == 0 {
		t.Errorf("child = %+v", p)
	}
	if me, err := user.Current(); err == nil && p.User != me.Username {
		t.Errorf("user = %q, want %q", p.User, me.Username)
	}
	if p.CPUPercent.OK {
		t.Error("CPU% on the first observation")
	}
	if !ps[1].Resolved || !strings.HasPrefix(ps[1].Command, os.Args[0]) {
		t.Errorf("self = %+v", ps[1])
	}

	// A CPU percentage needs time between two readings: the clock is
	// advanced rather than slept on; the assertion is only that one is
	// available, not its value.
	clk.Advance(time.Second)
	r.Resolve(ps)
	if !ps[0].CPUPercent.OK || ps[0].CPUPercent.V < 0 {
		t.Errorf("second observation CPU%% = %v", ps[0].CPUPercent)
	}
}

func BenchmarkResolve8RealProcs(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc here")
	}
	var ps []model.Process
	for range 8 {
		ps = append(ps, model.Process{PID: uint32(startSleep(b).Process.Pid)})
	}
	r := NewResolver(Options{Source: assumeGPU{NewProcSource("")}})
	b.ReportAllocs()
	for b.Loop() {
		r.Resolve(ps)
	}
}
