package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

// copyFixture copies testdata/<name> into a temporary root, keeping modes
// (the fake nvcc stays executable).
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join("testdata", name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(root, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy fixture %s: %v", name, err)
	}
	return root
}

func symlink(t *testing.T, root, target, at string) {
	t.Helper()
	p := filepath.Join(root, at)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// h100Root is the measured H100 VM: the link chain /usr/local/cuda ->
// /etc/alternatives/cuda -> /usr/local/cuda-13.0 (absolute links, as on the
// machine), Debian's cuDNN alternatives, the sysfs driver link.
func h100Root(t *testing.T) string {
	root := copyFixture(t, "h100")
	symlink(t, root, "/etc/alternatives/cuda", "/usr/local/cuda")
	symlink(t, root, "/usr/local/cuda-13.0", "/etc/alternatives/cuda")
	symlink(t, root, "libnvidia-ml.so.580.159.04", "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1")
	symlink(t, root, "libcuda.so.580.159.04", "/usr/lib/x86_64-linux-gnu/libcuda.so.1")
	symlink(t, root, "../../../bus/pci/drivers/nvidia", "/sys/bus/pci/devices/0000:18:00.0/driver")
	symlink(t, root, "/etc/alternatives/libcudnn_version_h", "/usr/include/cudnn_version.h")
	symlink(t, root, "/usr/include/x86_64-linux-gnu/cudnn_version_v9.h", "/etc/alternatives/libcudnn_version_h")
	symlink(t, root, "cudnn_version_v9.h", "/usr/include/x86_64-linux-gnu/cudnn_version.h")
	return root
}

type fakeEnv struct {
	vars   map[string]string
	denied map[string]bool // machine paths access(2) refuses
	runs   atomic.Int32
}

func (fe *fakeEnv) env(root string) Env {
	return Env{
		Root: root,
		LookupEnv: func(k string) (string, bool) {
			v, ok := fe.vars[k]
			return v, ok
		},
		Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			fe.runs.Add(1)
			return runCommand(ctx, name, args...)
		},
		Access: func(p string) error {
			rel, _ := filepath.Rel(root, p)
			if fe.denied["/"+filepath.ToSlash(rel)] {
				return os.ErrPermission
			}
			_, err := os.Stat(p)
			return err
		},
		Now: func() time.Time { return time.Unix(1700000000, 0) },
		// Generous: a loaded test machine may take long to start a shell.
		CommandTimeout: 10 * time.Second,
	}
}

func TestGatherH100Fixture(t *testing.T) {
	root := h100Root(t)
	fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/local/cuda/bin:/usr/bin", "CUDA_VISIBLE_DEVICES": ""},
		denied: map[string]bool{"/dev/nvidia-uvm": true}}
	f := Gather(context.Background(), fe.env(root), model.NVMLFacts{})

	if f.Host != "h100-vm" || f.Collected != model.Timestamp(1700000000*int64(time.Second)) {
		t.Errorf("host %q collected %v", f.Host, f.Collected)
	}
	k := f.KernelModule
	if !k.Loaded || k.Version != "580.159.04" || !k.Open.OK || !k.Open.V || k.EnableResizableBar != model.Some(1) {
		t.Errorf("kernel module = %+v", k)
	}
	if l := f.NVMLLibrary; !l.Found || l.Version != "580.159.04" || l.RealPath != "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.159.04" {
		t.Errorf("nvml library = %+v", l)
	}
	if l := f.CUDALibrary; l.Version != "580.159.04" {
		t.Errorf("cuda library = %+v", l)
	}

	if !f.PCI.Readable || len(f.PCI.Devices) != 2 {
		t.Fatalf("pci = %+v (want the GPU and the NVSwitch, not the Intel bridge)", f.PCI)
	}
	gpu := f.PCI.Devices[0]
	if !gpu.IsGPU() || gpu.Device != 0x2330 || gpu.Driver != "nvidia" {
		t.Errorf("gpu = %+v", gpu)
	}
	if big := gpu.LargestMemBAR(); big != model.Some(128*gib) {
		t.Errorf("largest BAR = %v, want 128 GiB from line 3 (the SR-IOV window on line 9 is no BAR)", big)
	}
	if f.PCI.Devices[1].IsGPU() {
		t.Error("the NVSwitch (class 0x0680) is not a GPU")
	}

	n := f.NVCC
	if !n.Found || n.Path != "/usr/local/cuda/bin/nvcc" || n.ResolvedPath != "/usr/local/cuda-13.0/bin/nvcc" ||
		n.Version != "13.0" || n.Build != "13.0.88" || n.Output != "Cuda compilation tools, release 13.0, V13.0.88" || n.Error != "" {
		t.Errorf("nvcc = %+v", n)
	}
	c := f.CUDALink
	if !reflect.DeepEqual(c.Chain, []string{"/etc/alternatives/cuda", "/usr/local/cuda-13.0"}) || c.Resolved != "/usr/local/cuda-13.0" ||
		c.Version != "13.0" || c.VersionSource != "cuda_runtime_api.h CUDART_VERSION" {
		t.Errorf("/usr/local/cuda = %+v", c)
	}
	var tks []string
	for _, tk := range f.Toolkits {
		tks = append(tks, tk.Path+"="+tk.Version+"@"+tk.VersionSource)
	}
	want := []string{"/usr/local/cuda-11.8=11.8@cuda.h CUDA_VERSION", "/usr/local/cuda-12.4=12.4.1@version.json", "/usr/local/cuda-13.0=13.0@cuda_runtime_api.h CUDART_VERSION"}
	if !reflect.DeepEqual(tks, want) {
		t.Errorf("toolkits = %v, want %v", tks, want)
	}

	var cudnn []string
	for _, c := range f.CuDNN {
		cudnn = append(cudnn, c.Origin+" "+c.Version+" cu"+strings.TrimPrefix(strings.TrimSpace(jsonOf(t, c.CUDAMajor)), "null")+" "+c.Header)
	}
	wantCuDNN := []string{
		"toolkit 7.6.5 cu11 /usr/local/cuda-11.8/include/cudnn.h",
		"toolkit 8.9.7 cu12 /usr/local/cuda-12.4/include/cudnn_version.h",
		"system 9.14.0 cu13 /usr/include/x86_64-linux-gnu/cudnn_version.h",
		"pip 9.19.0 cu13 /usr/local/lib/python3.12/dist-packages/nvidia/cudnn/include/cudnn_version.h",
	}
	if !reflect.DeepEqual(cudnn, wantCuDNN) {
		t.Errorf("cudnn =\n%s\nwant\n%s", strings.Join(cudnn, "\n"), strings.Join(wantCuDNN, "\n"))
	}

	if len(f.Torch) != 1 || f.Torch[0].Version != "2.11.0+cu130" || f.Torch[0].CUDA != "13.0" {
		t.Errorf("torch = %+v", f.Torch)
	}
	var nodes []string
	for _, d := range f.DevNodes.Nodes {
		nodes = append(nodes, d.Path+"="+yesNo(d.Accessible))
	}
	if !reflect.DeepEqual(nodes, []string{"/dev/nvidia-uvm=no", "/dev/nvidia0=yes", "/dev/nvidiactl=yes"}) {
		t.Errorf("dev nodes = %v", nodes)
	}
	if v, ok := f.Env["CUDA_VISIBLE_DEVICES"]; !ok || v != "" {
		t.Errorf("CUDA_VISIBLE_DEVICES set to \"\" must be recorded: %v", f.Env)
	}
	if f.Container.Detected {
		t.Errorf("container = %+v", f.Container)
	}

	rs := Evaluate(f)
	for id, st := range map[string]model.Status{
		"driver.loaded": model.Pass, "nvml.library": model.Pass, "cuda.toolkit": model.Pass,
		"access.devnodes": model.Fail, "access.visible_devices": model.Fail, "cudnn.installs": model.Warn,
	} {
		if r := findResult(t, rs, id); r.Status != st {
			t.Errorf("%s = %s, want %s: %s", id, r.Status, st, r.Evidence)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGatherProprietaryModule(t *testing.T) {
	root := copyFixture(t, "proprietary")
	f := Gather(context.Background(), (&fakeEnv{}).env(root), model.NVMLFacts{})
	if !f.KernelModule.Loaded || f.KernelModule.Version != "570.124.06" || f.KernelModule.Open != model.Some(false) {
		t.Errorf("kernel module = %+v", f.KernelModule)
	}
}

func TestParseNVRMVersion(t *testing.T) {
	tests := []struct {
		text, version string
		open          model.Opt[bool]
	}{
		{"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (dvs-builder@U22-I3-AE18-09-3)  Wed Sep 24 16:11:54 UTC 2025\n", "580.159.04", model.Some(true)},
		{"NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.124.06  Wed Feb 26 00:52:52 UTC 2025\nGCC version: gcc 12.2.0\n", "570.124.06", model.Some(false)},
		{"NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  575.57.08  Release Build  (dvs-builder@x)  Sat May 24 2025\n", "575.57.08", model.Some(true)},
		{"NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.256.02  Thu May 2 14:37:44 UTC 2024\n", "470.256.02", model.Some(false)},
		{"garbage\n", "", model.None[bool]()},
		{"", "", model.None[bool]()},
	}
	for _, tt := range tests {
		_, v, open := parseNVRMVersion(tt.text)
		if v != tt.version || open != tt.open {
			t.Errorf("parseNVRMVersion(%q) = %q %v, want %q %v", tt.text, v, open, tt.version, tt.open)
		}
	}
}

func TestParseResource(t *testing.T) {
	text := strings.Join([]string{
		"0x00000000fa000000 0x00000000faffffff 0x0000000000040200", // BAR0 16 MiB
		"0x0000000000000000 0x0000000fffffffff 0x000000002014220c", // BAR1 64 GiB, IORESOURCE_UNSET
		"0x0000000000000000 0x0000000000000000 0x0000000000000000", // upper half of BAR1
		"0x0000000000000000 0x0000000001ffffff 0x000000000014220c", // BAR3 32 MiB, start 0: unassigned
		"0x0000000000000000 0x0000000000000000 0x0000000000000000",
		"0x000000000000e000 0x000000000000e07f 0x0000000000040101", // I/O BAR: not memory
		"0x00000000fb000000 0x00000000fb07ffff 0x0000000000046200", // ROM: not a BAR
		"bogus line",
	}, "\n")
	bars := parseResource(text)
	if len(bars) != 3 {
		t.Fatalf("bars = %+v, want BAR0, BAR1, BAR3", bars)
	}
	if bars[0].Size != 16*mib || bars[0].Unassigned {
		t.Errorf("BAR0 = %+v", bars[0])
	}
	if bars[1].Size != 64*gib || !bars[1].Unassigned || bars[1].Index != 1 {
		t.Errorf("BAR1 = %+v, want 64 GiB unassigned", bars[1])
	}
	if !bars[2].Unassigned || bars[2].Index != 3 {
		t.Errorf("BAR3 = %+v", bars[2])
	}
	d := model.PCIDevice{BARs: bars}
	if big := d.LargestMemBAR(); big != model.Some(16*mib) {
		t.Errorf("largest assigned BAR = %v, want BAR0's 16 MiB", big)
	}
	if len(parseResource("")) != 0 {
		t.Error("empty resource file has no BARs")
	}
}

func writeExec(t *testing.T, root, at, script string) {
	t.Helper()
	p := filepath.Join(root, at)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestProbeNVCC(t *testing.T) {
	tests := []struct {
		name, script, version, errPart string
	}{
		{"12.8", "#!/bin/sh\necho 'nvcc: NVIDIA (R) Cuda compiler driver'\necho 'Cuda compilation tools, release 12.8, V12.8.93'\necho 'Build cuda_12.8.r12.8/compiler.35583870_0'\n", "12.8", ""},
		{"no version", "#!/bin/sh\necho 'something else'\n", "", "no \"release X.Y\""},
		{"exit status", "#!/bin/sh\necho 'error while loading shared libraries'\nexit 127\n", "", "exit status 127"},
		{"hangs", "#!/bin/sh\nexec sleep 30\n", "", "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeExec(t, root, "/opt/cuda/bin/nvcc", tt.script)
			env := (&fakeEnv{vars: map[string]string{"PATH": "/nonexistent:/opt/cuda/bin"}}).env(root)
			if tt.name == "hangs" {
				env.CommandTimeout = 300 * time.Millisecond
			}
			n := probeNVCC(context.Background(), env)
			if !n.Found || n.Path != "/opt/cuda/bin/nvcc" || n.Version != tt.version || !strings.Contains(n.Error, tt.errPart) {
				t.Errorf("probeNVCC = %+v, want version %q error containing %q", n, tt.version, tt.errPart)
			}
		})
	}
	n := probeNVCC(context.Background(), (&fakeEnv{vars: map[string]string{"PATH": "/usr/bin"}}).env(t.TempDir()))
	if n.Found || n.Error == "" {
		t.Errorf("no nvcc: %+v", n)
	}
}

func TestProbeCUDALinks(t *testing.T) {
	t.Run("dangling", func(t *testing.T) {
		root := t.TempDir()
		symlink(t, root, "/etc/alternatives/cuda", "/usr/local/cuda")
		symlink(t, root, "/usr/local/cuda-12.1", "/etc/alternatives/cuda")
		c := probeCUDAInstall((&fakeEnv{}).env(root), "/usr/local/cuda")
		if c.Exists || !strings.Contains(c.Error, "dangling") || len(c.Chain) != 2 {
			t.Errorf("dangling link = %+v", c)
		}
		f := healthyFacts()
		f.CUDALink = c
		if r := findResult(t, toolkitRule(&f), "cuda.toolkit"); r.Status != model.Fail {
			t.Errorf("dangling /usr/local/cuda: %s", r.Status)
		}
	})
	t.Run("loop", func(t *testing.T) {
		root := t.TempDir()
		symlink(t, root, "/usr/local/cuda-b", "/usr/local/cuda")
		symlink(t, root, "/usr/local/cuda", "/usr/local/cuda-b")
		c := probeCUDAInstall((&fakeEnv{}).env(root), "/usr/local/cuda")
		if c.Exists || !strings.Contains(c.Error, "too many links") {
			t.Errorf("link loop = %+v", c)
		}
	})
	t.Run("relative chain", func(t *testing.T) {
		root := t.TempDir()
		writeExec(t, root, "/usr/local/cuda-12.6/include/cuda.h", "#define CUDA_VERSION 12060\n")
		symlink(t, root, "cuda-12.6", "/usr/local/cuda")
		c := probeCUDAInstall((&fakeEnv{}).env(root), "/usr/local/cuda")
		if !c.Exists || c.Resolved != "/usr/local/cuda-12.6" || c.Version != "12.6" || c.VersionSource != "cuda.h CUDA_VERSION" {
			t.Errorf("relative link = %+v", c)
		}
	})
	t.Run("no version anywhere", func(t *testing.T) {
		root := t.TempDir()
		writeExec(t, root, "/usr/local/cuda-12.6/bin/README", "x")
		c := probeCUDAInstall((&fakeEnv{}).env(root), "/usr/local/cuda-12.6")
		if !c.Exists || c.Version != "" || c.Error == "" {
			t.Errorf("no version = %+v", c)
		}
	})
}

func TestSiteDirsOrder(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"/venv/lib/python3.11/site-packages", "/conda/lib/python3.10/site-packages",
		"/usr/lib/python3/dist-packages", "/usr/local/lib/python3.12/dist-packages", "/home/u/.local/lib/python3.12/site-packages"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeExec(t, root, "/venv/bin/python3", "")
	fe := &fakeEnv{vars: map[string]string{"VIRTUAL_ENV": "/venv", "CONDA_PREFIX": "/conda", "PATH": "/venv/bin:/usr/bin", "HOME": "/home/u"}}
	got := siteDirs(fe.env(root))
	want := []string{"/venv/lib/python3.11/site-packages", "/conda/lib/python3.10/site-packages",
		"/usr/lib/python3/dist-packages", "/usr/local/lib/python3.12/dist-packages", "/home/u/.local/lib/python3.12/site-packages"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("siteDirs = %v, want %v", got, want)
	}
}

func TestProbeContainer(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		vars  map[string]string
		kind  string
	}{
		{"bare", nil, nil, ""},
		{"docker", map[string]string{"/.dockerenv": ""}, nil, "docker"},
		{"podman", map[string]string{"/run/.containerenv": ""}, nil, "podman"},
		{"kubernetes", nil, map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, "kubernetes"},
		{"cgroup", map[string]string{"/proc/1/cgroup": "0::/kubepods.slice/kubepods-burstable.slice/x\n"}, nil, "kubepods"},
		{"host cgroup", map[string]string{"/proc/1/cgroup": "0::/init.scope\n"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for p, c := range tt.files {
				writeExec(t, root, p, c)
			}
			c := probeContainer((&fakeEnv{vars: tt.vars}).env(root))
			if c.Kind != tt.kind || c.Detected != (tt.kind != "") || (c.Detected && c.Evidence == "") {
				t.Errorf("probeContainer = %+v, want kind %q", c, tt.kind)
			}
		})
	}
}

// TestGatherNoGPUMachine: this very machine's situation. Gather finishes
// without running any command when nvcc is absent, the driver check fails
// with a fix, and what is installed is still reported.
func TestGatherNoGPUMachine(t *testing.T) {
	t.Run("empty root", func(t *testing.T) {
		fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/bin:/bin"}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f := Gather(ctx, fe.env(t.TempDir()), model.NVMLFacts{Source: "nvml", ErrorCode: "LIBRARY_NOT_FOUND", ErrorMessage: "libnvidia-ml.so.1: cannot open shared object file"})
		if fe.runs.Load() != 0 {
			t.Errorf("%d commands run on an empty machine", fe.runs.Load())
		}
		rs := Evaluate(f)
		r := findResult(t, rs, "driver.loaded")
		if r.Status != model.Fail || !strings.Contains(r.Fix, "Secure Boot") || !strings.Contains(r.Fix, "nouveau") || len(r.Commands) == 0 {
			t.Errorf("driver.loaded = %+v", r)
		}
		if r := findResult(t, rs, "nvml.library"); r.Status != model.Fail {
			t.Errorf("nvml.library = %s", r.Status)
		}
		if r := findResult(t, rs, "cuda.toolkit"); r.Status != model.Skip {
			t.Errorf("cuda.toolkit = %s", r.Status)
		}
		if ExitCode(rs) != 1 {
			t.Error("exit code should be 1")
		}
	})
	t.Run("toolkit but no driver", func(t *testing.T) {
		root := h100Root(t)
		for _, p := range []string{"proc/driver", "sys/bus", "dev", "usr/lib/x86_64-linux-gnu"} {
			if err := os.RemoveAll(filepath.Join(root, p)); err != nil {
				t.Fatal(err)
			}
		}
		fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/local/cuda/bin:/usr/bin"}}
		f := Gather(context.Background(), fe.env(root), model.NVMLFacts{Source: "nvml", ErrorCode: "LIBRARY_NOT_FOUND"})
		rs := Evaluate(f)
		if r := findResult(t, rs, "driver.loaded"); r.Status != model.Fail || !strings.Contains(r.Evidence, "PCI bus not readable") {
			t.Errorf("driver.loaded = %s: %s", r.Status, r.Evidence)
		}
		if f.NVCC.Version != "13.0" || len(f.CuDNN) != 4 || len(f.Torch) != 1 {
			t.Errorf("toolkit facts lost: nvcc %+v, %d cudnn, %d torch", f.NVCC, len(f.CuDNN), len(f.Torch))
		}
		if r := findResult(t, rs, "cuda.driver.nvcc"); r.Status != model.Skip {
			t.Errorf("cuda.driver.nvcc without a driver = %s", r.Status)
		}
		var buf strings.Builder
		if err := WriteText(&buf, f, rs, false); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "nvcc 13.0") {
			t.Errorf("text report lacks the toolkit:\n%s", buf.String())
		}
	})
}

func TestGatherCancelledContext(t *testing.T) {
	root := t.TempDir()
	writeExec(t, root, "/usr/bin/nvcc", "#!/bin/sh\nexec sleep 30\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := Gather(ctx, (&fakeEnv{vars: map[string]string{"PATH": "/usr/bin"}}).env(root), model.NVMLFacts{})
	if f.NVCC.Version != "" || f.NVCC.Error == "" {
		t.Errorf("nvcc under a cancelled context = %+v", f.NVCC)
	}
}

func TestFactsJSONRoundTrip(t *testing.T) {
	// `gputop check --from FILE` reruns the rules on facts read back.
	f := DemoFacts(demoFleet(8))
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back model.Facts
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(Evaluate(f), Evaluate(back)) {
		t.Error("rules give other results on facts read back from JSON")
	}
	for _, key := range []string{`"kernel_module"`, `"nvml_library"`, `"enable_resizable_bar"`, `"cuda_driver_version":12080`, `"bar1_total_bytes"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	if strings.Contains(string(b), `"BAR1Total"`) {
		t.Error("JSON field names must be snake_case")
	}
}

func TestLookPathSkipsNonExecutables(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "a/nvcc"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeExec(t, root, "/b/nvcc", "#!/bin/sh\n")
	env := (&fakeEnv{vars: map[string]string{"PATH": "relative:/a:/b"}}).env(root)
	p, err := env.lookPath("nvcc")
	if err != nil || p != "/b/nvcc" {
		t.Errorf("lookPath = %q, %v", p, err)
	}
	if _, err := env.lookPath("python3"); err == nil || !errors.Is(err, errNotFound()) {
		t.Errorf("lookPath(python3) error = %v", err)
	}
}

func errNotFound() error { return exec.ErrNotFound }

// PyTorch's cuDNN wheel ships cudnn_version.h and cudnn_version_v9.h as two
// copies of one header (seen on the H200): one install, not two; a second
// version in the same directory is still reported.
func TestProbeCuDNNWheelHeaderCopiesOnce(t *testing.T) {
	root := t.TempDir()
	hdr := func(minor int) string {
		return fmt.Sprintf("#define CUDNN_MAJOR 9\n#define CUDNN_MINOR %d\n#define CUDNN_PATCHLEVEL 0\n", minor)
	}
	inc := "/venv/lib/python3.12/site-packages/nvidia/cudnn/include"
	for name, body := range map[string]string{
		inc + "/cudnn_version.h":                           hdr(19),
		inc + "/cudnn_version_v9.h":                        hdr(19),
		"/usr/include/x86_64-linux-gnu/cudnn_version_v9.h": hdr(14),
		"/usr/include/x86_64-linux-gnu/cudnn_version_v8.h": strings.Replace(hdr(9), "MAJOR 9", "MAJOR 8", 1),
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fe := &fakeEnv{vars: map[string]string{}}
	got := probeCuDNN(fe.env(root), model.CUDAInstall{}, nil, []string{"/venv/lib/python3.12/site-packages"})
	var vers []string
	for _, in := range got {
		vers = append(vers, in.Origin+" "+in.Version)
	}
	sort.Strings(vers)
	want := []string{"pip 9.19.0", "system 8.9.0", "system 9.14.0"}
	if !reflect.DeepEqual(vers, want) {
		t.Errorf("installs = %v, want %v", vers, want)
	}
}
