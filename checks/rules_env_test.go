package checks

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/gputop/gputop/model"
)

// envCase is one environment fixture: a tree under testdata, its symbolic
// links, the process environment, what NVML said, and the verdicts that
// must come out.
type envCase struct {
	name    string
	fixture string
	links   [][2]string // target, at
	vars    map[string]string
	nvml    model.NVMLFacts
	// openErr makes opening /dev/nvidiactl fail (a device cgroup).
	openErr error
	want    map[string]model.Status // id -> status
	absent  []string                // ids that must not appear
	// evidence: id -> substrings its evidence must contain.
	evidence map[string][]string
	// fails: the only ids allowed to fail (and be counted).
	fails []string
	// follows: id -> the root the graph must link it to.
	follows map[string]string
}

func nvmlWith(driver string, gpus ...model.GPUFacts) model.NVMLFacts {
	return model.NVMLFacts{Source: "nvml", Opened: true, DriverVersion: driver, CUDADriverVersion: model.Some(13000), GPUs: gpus}
}

func gpuAt(index int, name, bus string) model.GPUFacts {
	g := h100(index)
	g.Info.Name, g.Info.BusID = name, bus
	if strings.Contains(name, "H200") {
		g.Info.BAR1Total = model.Some(256 * gib) // as measured on the 2x H200
		g.Info.MemoryTotal = model.Some(143771 * mib)
	}
	return g
}

// wslGPU is an RTX 4090 as NVML reports it on WSL2: no replay counter, no
// persistence mode.
func wslGPU() model.GPUFacts {
	g := gpuAt(0, "NVIDIA GeForce RTX 4090", "00000000:01:00.0")
	sl := g.Slow.V
	sl.PCIeReplays, sl.Persistence = model.Opt[uint64]{}, model.Opt[bool]{}
	sl.PCIeTxKBps, sl.EnergyMilliJ = model.Some(uint32(1000)), model.Some(uint64(1))
	g.Slow = model.Some(sl)
	s := g.Sample.V
	s.ClockSM, s.UtilMem = model.Some(uint32(2520)), model.Some(uint32(3))
	g.Sample = model.Some(s)
	return g
}

func driverLinks(bdfs ...string) [][2]string {
	var l [][2]string
	for _, b := range bdfs {
		l = append(l, [2]string{"../../../bus/pci/drivers/nvidia", "/sys/bus/pci/devices/" + b + "/driver"})
	}
	return l
}

func libLinks(dir, version string, names ...string) [][2]string {
	var l [][2]string
	for _, n := range names {
		l = append(l, [2]string{n + ".so." + version, dir + "/" + n + ".so.1"})
	}
	return l
}

func runEnvCase(t *testing.T, c envCase) []model.CheckResult {
	t.Helper()
	root := copyFixture(t, c.fixture)
	for _, l := range c.links {
		symlink(t, root, l[0], l[1])
	}
	saved := openDevice
	t.Cleanup(func() { openDevice = saved })
	if c.openErr != nil {
		openDevice = func(string) error { return &os.PathError{Op: "open", Path: "/dev/nvidiactl", Err: c.openErr} }
	}
	vars := map[string]string{"PATH": "/usr/bin"}
	for k, v := range c.vars {
		vars[k] = v
	}
	fe := &fakeEnv{vars: vars}
	f := Gather(context.Background(), fe.env(root), c.nvml)
	res := Evaluate(f)
	byID := map[string]model.CheckResult{}
	for _, r := range res {
		byID[r.ID] = r
		all := r.Evidence + " " + r.Fix + " " + strings.Join(r.Commands, " ")
		if strings.Contains(all, "Above 4G") {
			t.Errorf("%s: %s advises Above 4G decoding in a %s environment: %s", c.name, r.ID, c.fixture, all)
		}
		if r.Status == model.Fail && r.Counted() && !inList(c.fails, r.ID) {
			t.Errorf("%s: unexpected fail %s: %s | fix: %s", c.name, r.ID, r.Evidence, r.Fix)
		}
	}
	for id, want := range c.want {
		r, ok := byID[id]
		if !ok {
			t.Errorf("%s: no %s result", c.name, id)
			continue
		}
		if r.Status != want {
			t.Errorf("%s: %s = %s, want %s: %s | fix: %s", c.name, id, r.Status, want, r.Evidence, r.Fix)
		}
	}
	for id, subs := range c.evidence {
		r := byID[id]
		for _, s := range subs {
			if !strings.Contains(r.Evidence+" "+r.Fix+" "+strings.Join(r.Commands, " "), s) {
				t.Errorf("%s: %s lacks %q: %s | fix: %s", c.name, id, s, r.Evidence, r.Fix)
			}
		}
	}
	for id, root := range c.follows {
		if got := byID[id].FollowsFrom; got != root {
			t.Errorf("%s: %s follows %q, want %q", c.name, id, got, root)
		}
	}
	for _, id := range c.absent {
		if _, ok := byID[id]; ok {
			t.Errorf("%s: %s present, want no row: %+v", c.name, id, byID[id])
		}
	}
	return res
}

func inList(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestEnvironmentFixtures(t *testing.T) {
	h100a := gpuAt(0, "NVIDIA H100 80GB HBM3", "00000000:18:00.0")
	cases := []envCase{
		{
			name: "container without compute capability", fixture: "env-container-nocaps",
			links: append(driverLinks("0000:18:00.0", "0000:28:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "580.159.04", "libnvidia-ml")...),
			vars:  map[string]string{"NVIDIA_VISIBLE_DEVICES": "0", "NVIDIA_DRIVER_CAPABILITIES": "utility"},
			nvml:  nvmlWith("580.159.04", h100a),
			want: map[string]model.Status{"env.container": model.Fail, "pci.gpus": model.Pass, "driver.libcuda": model.Warn,
				"env.forward_compat": "", "env.slurm": ""},
			fails: []string{"env.container"},
			evidence: map[string][]string{
				"env.container":  {"no compute capability", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"},
				"pci.gpus":       {"expected", "NVIDIA_VISIBLE_DEVICES=\"0\"", "NVML sees those 1"},
				"driver.libcuda": {"follows from env.container"},
			},
			absent:  []string{"env.forward_compat", "env.slurm", "env.wsl", "env.operator"},
			follows: map[string]string{"driver.libcuda": "env.container"},
		},
		{
			// Docker's --gpus mounts compute whatever the image's variable says.
			name: "capabilities variable without compute, libcuda mounted anyway", fixture: "env-container-caps",
			links: append(driverLinks("0000:18:00.0", "0000:28:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "580.159.04", "libnvidia-ml", "libcuda")...),
			vars:  map[string]string{"NVIDIA_VISIBLE_DEVICES": "0", "NVIDIA_DRIVER_CAPABILITIES": "utility"},
			nvml:  nvmlWith("580.159.04", h100a),
			want:  map[string]model.Status{"env.container": model.Pass, "driver.libcuda": model.Pass},
			evidence: map[string][]string{
				"env.container": {"no compute capability listed, but libcuda.so.1 is there"},
			},
		},
		{
			name: "container with capabilities", fixture: "env-container-caps",
			links: append(driverLinks("0000:18:00.0", "0000:28:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "580.159.04", "libnvidia-ml", "libcuda")...),
			vars:  map[string]string{"NVIDIA_VISIBLE_DEVICES": "GPU-00000000", "NVIDIA_DRIVER_CAPABILITIES": "compute,utility"},
			nvml:  nvmlWith("580.159.04", h100a),
			want:  map[string]model.Status{"env.container": model.Pass, "pci.gpus": model.Pass, "env.libraries": model.Pass},
			evidence: map[string][]string{
				"env.libraries": {"libcuda.so.1 -> /usr/lib/x86_64-linux-gnu/libcuda.so.1 (580.159.04"},
			},
		},
		{
			name: "container after a host daemon-reload", fixture: "env-container-caps",
			links:   append(driverLinks("0000:18:00.0", "0000:28:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "580.159.04", "libnvidia-ml", "libcuda")...),
			vars:    map[string]string{"NVIDIA_VISIBLE_DEVICES": "all", "NVIDIA_DRIVER_CAPABILITIES": "all"},
			nvml:    NVMLFromError("nvml", "UNKNOWN", "Unknown Error"),
			openErr: syscall.EPERM,
			want:    map[string]model.Status{"env.container": model.Fail},
			fails:   []string{"env.container"},
			follows: map[string]string{"nvml.library": "env.container"},
			evidence: map[string][]string{
				"env.container": {"operation not permitted", "Unknown Error", "daemon-reload", "create-dev-char-symlinks"},
			},
		},
		{
			name: "host with a stale CDI spec", fixture: "env-cdi-host",
			links: append(driverLinks("0000:18:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "580.159.04", "libnvidia-ml", "libcuda")...),
			nvml:  nvmlWith("580.159.04", h100a),
			want:  map[string]model.Status{"env.container": model.Warn},
			evidence: map[string][]string{
				"env.container": {"mounts libcuda 570.124.06", "nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml"},
			},
		},
		{
			name: "forward compatibility on a data-center GPU", fixture: "env-compat",
			links: append(append(driverLinks("0000:18:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "535.230.02", "libnvidia-ml", "libcuda")...),
				[2]string{"libcuda.so.570.124.06", "/usr/local/cuda-12.8/compat/libcuda.so.1"}),
			vars: map[string]string{"LD_LIBRARY_PATH": "/usr/local/cuda-12.8/compat"},
			nvml: nvmlWith("535.230.02", h100a),
			want: map[string]model.Status{"env.forward_compat": model.Pass, "env.libraries": model.Pass, "driver.libcuda": model.Pass},
			// The driver-vs-runtime rules do not know cuda-compat yet
			// (rules_cuda.go, tables helper): they may judge CUDA 12.8.
			fails: []string{"cuda.driver"},
			evidence: map[string][]string{
				"env.forward_compat": {"ACTIVE via LD_LIBRARY_PATH", "programs may use CUDA 12.8 on driver 535.230.02"},
				"env.libraries":      {"libcuda.so.1 -> /usr/local/cuda-12.8/compat/libcuda.so.1 (570.124.06, via LD_LIBRARY_PATH)", "cuda-compat"},
				"driver.libcuda":     {"cuda-compat", "env.forward_compat"},
			},
		},
		{
			name: "forward compatibility on a GeForce", fixture: "env-compat",
			links: append(append(driverLinks("0000:18:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "535.230.02", "libnvidia-ml", "libcuda")...),
				[2]string{"libcuda.so.570.124.06", "/usr/local/cuda-12.8/compat/libcuda.so.1"}),
			vars:    map[string]string{"LD_LIBRARY_PATH": "/usr/local/cuda-12.8/compat"},
			nvml:    nvmlWith("535.230.02", gpuAt(0, "NVIDIA GeForce RTX 4090", "00000000:18:00.0")),
			want:    map[string]model.Status{"env.forward_compat": model.Fail, "driver.libcuda": model.Fail},
			fails:   []string{"env.forward_compat", "cuda.driver"},
			follows: map[string]string{"driver.libcuda": "env.forward_compat"},
			evidence: map[string][]string{
				"env.forward_compat": {"804", "GeForce RTX 4090"},
				"driver.libcuda":     {"follows from env.forward_compat"},
			},
		},
		{
			name: "the measured H200 container: compat older than the driver, not in use", fixture: "env-h200-compat",
			links: append(append(driverLinks("0000:00:06.0", "0000:00:07.0"), libLinks("/usr/local/nvidia/lib64", "580.159.04", "libnvidia-ml", "libcuda")...),
				[2]string{"libcuda.so.580.95.05", "/usr/local/cuda-13.0/compat/libcuda.so.1"},
				[2]string{"/usr/local/cuda-13.0", "/usr/local/cuda"},
				[2]string{"libcudnn.so.9.14.0", "/usr/lib/x86_64-linux-gnu/libcudnn.so.9"}),
			vars: map[string]string{"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64:/usr/local/nvidia/lib", "NVIDIA_VISIBLE_DEVICES": "0,1",
				"NVIDIA_DRIVER_CAPABILITIES": "compute,graphics,utility"},
			nvml: nvmlWith("580.159.04", gpuAt(0, "NVIDIA H200", "00000000:00:06.0"), gpuAt(1, "NVIDIA H200", "00000000:00:07.0")),
			want: map[string]model.Status{"env.forward_compat": model.Pass, "env.container": model.Pass, "env.libraries": model.Pass, "pci.gpus": model.Pass},
			evidence: map[string][]string{
				"env.forward_compat": {"/usr/local/cuda-13.0/compat: libcuda 580.95.05 (CUDA 13.0), not on the loader's path"},
				"env.libraries":      {"libcudnn.so.9 -> /usr/lib/x86_64-linux-gnu/libcudnn.so.9 (9.14.0, via ld.so.conf (/etc/ld.so.conf.d/x86_64-linux-gnu.conf))"},
			},
		},
		{
			name: "LD_LIBRARY_PATH shadows the torch wheel's cuDNN", fixture: "env-cudnn-shadow",
			links: append(append(driverLinks("0000:18:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "580.159.04", "libnvidia-ml", "libcuda")...),
				[2]string{"libcudnn.so.9.1.0", "/opt/cudnn-9.1/lib/libcudnn.so.9"}),
			vars: map[string]string{"LD_LIBRARY_PATH": "/opt/cudnn-9.1/lib"},
			nvml: nvmlWith("580.159.04", h100a),
			want: map[string]model.Status{"env.libraries": model.Warn},
			evidence: map[string][]string{
				"env.libraries": {"libcudnn.so.9 of torch 2.11.0+cu130 (/usr/local/lib/python3.12/dist-packages): 9.19.0",
					"LD_LIBRARY_PATH's /opt/cudnn-9.1/lib/libcudnn.so.9 (9.1.0) is found first", "Remove /opt/cudnn-9.1/lib from LD_LIBRARY_PATH"},
			},
		},
		{
			name: "GPU Operator node", fixture: "env-operator",
			links: append(driverLinks("0000:18:00.0"), libLinks("/run/nvidia/driver/usr/lib/x86_64-linux-gnu", "570.124.06", "libnvidia-ml", "libcuda")...),
			nvml:  NVMLFromError("nvml", "LIBRARY_NOT_FOUND", "libnvidia-ml.so.1: cannot open shared object file"),
			want:  map[string]model.Status{"env.operator": model.Warn, "nvml.library": model.Warn},
			fails: nil,
			evidence: map[string][]string{
				"env.operator": {"libnvidia-ml 570.124.06", "not ready: cuda-ready, plugin-ready", "LD_LIBRARY_PATH=/run/nvidia/driver/usr/lib/x86_64-linux-gnu"},
				"nvml.library": {"GPU Operator node"},
			},
		},
		{
			name: "Slurm job confined to 2 of 4 GPUs", fixture: "env-slurm",
			links: append(driverLinks("0000:18:00.0", "0000:28:00.0", "0000:38:00.0", "0000:48:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "580.159.04", "libnvidia-ml", "libcuda")...),
			vars:  map[string]string{"SLURM_JOB_ID": "4242", "SLURM_STEP_GPUS": "2,3", "CUDA_VISIBLE_DEVICES": "0,1"},
			nvml:  nvmlWith("580.159.04", gpuAt(0, "NVIDIA H100 80GB HBM3", "00000000:38:00.0"), gpuAt(1, "NVIDIA H100 80GB HBM3", "00000000:48:00.0")),
			want:  map[string]model.Status{"env.slurm": model.Pass, "pci.gpus": model.Pass},
			evidence: map[string][]string{
				"env.slurm": {"job 4242", "ConstrainDevices=yes", "job_4242"},
				"pci.gpus":  {"expected", "Slurm job's cgroup", "SLURM_STEP_GPUS=\"2,3\""},
			},
		},
		{
			name: "WSL2", fixture: "env-wsl",
			links: [][2]string{{"libcuda.so.1.1", "/usr/lib/wsl/lib/libcuda.so.1"}},
			nvml:  nvmlWith("581.57", wslGPU()),
			want:  map[string]model.Status{"env.wsl": model.Pass, "driver.loaded": model.Pass, "pci.gpus": model.Skip},
			evidence: map[string][]string{
				"env.wsl":       {"microsoft-standard-WSL2", "/dev/dxg present", "NVML here does not report: PCIe replays, persistence mode (shown as N/A)"},
				"driver.loaded": {"WSL2: the driver runs on Windows"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for id, st := range c.want {
				if st == "" {
					delete(c.want, id)
				}
			}
			runEnvCase(t, c)
		})
	}
}

// Without the confinement, the same missing GPU is a fault.
func TestPCIGPUsMissingOnBareMetalStillFails(t *testing.T) {
	c := envCase{
		name: "bare metal", fixture: "env-slurm",
		links: append(driverLinks("0000:18:00.0", "0000:28:00.0", "0000:38:00.0", "0000:48:00.0"), libLinks("/usr/lib/x86_64-linux-gnu", "580.159.04", "libnvidia-ml", "libcuda")...),
		nvml:  nvmlWith("580.159.04", gpuAt(0, "NVIDIA H100 80GB HBM3", "00000000:38:00.0")),
	}
	root := copyFixture(t, c.fixture)
	for _, l := range c.links {
		symlink(t, root, l[0], l[1])
	}
	_ = os.Remove(root + "/proc/self/cgroup")
	f := Gather(context.Background(), (&fakeEnv{vars: map[string]string{}}).env(root), c.nvml)
	for _, r := range Evaluate(f) {
		if r.ID == "pci.gpus" && r.Status != model.Fail {
			t.Errorf("pci.gpus = %s outside any job or container: %s", r.Status, r.Evidence)
		}
	}
	// ConstrainDevices=no: the cgroup hides nothing, so a missing GPU is real.
	f.Environment.Slurm = model.SlurmFacts{JobID: "1", ConstrainDevices: model.Some(false)}
	for _, r := range Evaluate(f) {
		if r.ID == "pci.gpus" && r.Status != model.Fail {
			t.Errorf("pci.gpus = %s in a job without ConstrainDevices: %s", r.Status, r.Evidence)
		}
	}
}

// Facts recorded before the environment probes: skip, never judge absence.
func TestEnvironmentNotRecorded(t *testing.T) {
	f := healthyFacts()
	f.Environment = model.EnvironmentFacts{}
	for _, r := range Evaluate(f) {
		if strings.HasPrefix(r.ID, "env.") && r.Status != model.Skip {
			t.Errorf("%s = %s on facts without environment: %s", r.ID, r.Status, r.Evidence)
		}
	}
}

func TestForwardCompatCUDA(t *testing.T) {
	f := healthyFacts()
	f.KernelModule.Version, f.NVML.DriverVersion = "535.230.02", "535.230.02"
	f.Environment.ForwardCompat = []model.ForwardCompat{{Dir: "/usr/local/cuda-12.8/compat", LibCUDAVersion: "570.124.06", CUDAVersion: "12.8", Active: true, ActiveVia: "LD_LIBRARY_PATH"}}
	if v, _, ok := ForwardCompatCUDA(&f); !ok || v != "12.8" {
		t.Errorf("active compat on H100: %q %v", v, ok)
	}
	f.Environment.ForwardCompat[0].Active = false
	if _, _, ok := ForwardCompatCUDA(&f); ok {
		t.Error("inactive compat counted")
	}
	f.Environment.ForwardCompat[0].Active = true
	f.NVML.GPUs[0].Info.Name = "NVIDIA GeForce RTX 4090"
	if _, _, ok := ForwardCompatCUDA(&f); ok {
		t.Error("compat counted on a GeForce")
	}
	f.NVML.GPUs[0].Info.Name = "NVIDIA H100 80GB HBM3"
	f.Environment.ForwardCompat[0].LibCUDAVersion = "530.30.02"
	if _, _, ok := ForwardCompatCUDA(&f); ok {
		t.Error("compat older than the driver counted")
	}
}

func TestACSRedirects(t *testing.T) {
	cfg := make([]byte, 4096)
	// AER at 0x100 -> ACS at 0x148.
	putCap := func(off int, id uint16, next int) {
		h := uint32(id) | 1<<16 | uint32(next)<<20
		cfg[off], cfg[off+1], cfg[off+2], cfg[off+3] = byte(h), byte(h>>8), byte(h>>16), byte(h>>24)
	}
	putCap(0x100, 0x0001, 0x148)
	putCap(0x148, 0x000d, 0)
	if acsRedirects(cfg) {
		t.Error("ACS control 0 read as redirecting")
	}
	cfg[0x148+6] = 1<<2 | 1<<3 // RR | CR
	if !acsRedirects(cfg) {
		t.Error("ACS RR|CR not seen")
	}
	if acsRedirects(cfg[:0x100]) {
		t.Error("a 256-byte config read as having ACS")
	}
}

func TestLoaderDirsOrder(t *testing.T) {
	root := copyFixture(t, "env-h200-compat")
	fe := &fakeEnv{vars: map[string]string{"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64:relative:/usr/local/nvidia/lib"}}
	dirs := loaderDirs(fe.env(root))
	var got []string
	for _, d := range dirs[:6] {
		got = append(got, d.dir)
	}
	want := "/usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/local/lib/x86_64-linux-gnu"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v\nwant %s", got, want)
	}
}

// NGC images keep cuda-compat in compat/lib (a link to lib.real).
func TestProbeForwardCompatNGCLayout(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "/usr/local/cuda-12.9/compat/lib.real/libcuda.so.575.57.08", "")
	symlink(t, root, "lib.real", "/usr/local/cuda-12.9/compat/lib")
	symlink(t, root, "/usr/local/cuda-12.9", "/usr/local/cuda")
	symlink(t, root, "libcuda.so.575.57.08", "/usr/local/cuda-12.9/compat/lib.real/libcuda.so.1")
	env := (&fakeEnv{vars: map[string]string{"LD_LIBRARY_PATH": "/usr/local/cuda/compat/lib"}}).env(root)
	fcs := probeForwardCompat(env, probeLibraryOrder(env, nil))
	if len(fcs) != 1 || fcs[0].Dir != "/usr/local/cuda-12.9/compat/lib.real" || fcs[0].CUDAVersion != "12.9" ||
		fcs[0].LibCUDAVersion != "575.57.08" || !fcs[0].Active || fcs[0].ActiveVia != "LD_LIBRARY_PATH" {
		t.Errorf("forward compat = %+v", fcs)
	}
}

// The measured H200 container: a system cuDNN 9.14 on ld.so.conf's path and
// torch 2.11's wheel cuDNN 9.19 (no version in its file name; the header
// has it). Not a warning (nothing on LD_LIBRARY_PATH), but said.
func TestLibrariesSystemCuDNNBesideWheel(t *testing.T) {
	f := healthyFacts()
	site := "/opt/torch/.venv/lib/python3.12/site-packages"
	f.Torch = []model.TorchInstall{{Path: site + "/torch/version.py", Version: "2.11.0+cu130", CUDA: "13.0"}}
	f.CuDNN = append(f.CuDNN, model.CuDNNInstall{Header: site + "/nvidia/cudnn/include/cudnn_version.h", Origin: "pip", Version: "9.19.0"})
	f.Environment.Libraries = []model.LibraryChoice{{Soname: "libcudnn.so.9", Candidates: []model.LibraryHit{
		{Path: "/lib/x86_64-linux-gnu/libcudnn.so.9", Version: "9.14.0", Via: "ld.so.conf (/etc/ld.so.conf.d/x86_64-linux-gnu.conf)"},
		{Path: site + "/nvidia/cudnn/lib/libcudnn.so.9", Via: "wheel"}}}}
	r, ok := resultByID(t, f, "env.libraries")
	if !ok || r.Status != model.Pass {
		t.Fatalf("env.libraries = %+v", r)
	}
	for _, s := range []string{"of torch 2.11.0+cu130 (" + site + "): 9.19.0", "a system cuDNN 9.14.0 is on the loader's path too", "SUBLIBRARY_VERSION_MISMATCH"} {
		if !strings.Contains(r.Evidence, s) {
			t.Errorf("evidence lacks %q: %s", s, r.Evidence)
		}
	}
}
