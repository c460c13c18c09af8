package checks

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

// stackRoot is a machine with TensorRT and NCCL from NVIDIA's Debian
// packages, their pip wheels beside PyTorch 2.6.0+cu124, JAX with a plugin
// of another version, and compiled extensions built for other torches.
func stackRoot(t *testing.T) string {
	root := copyFixture(t, "stack")
	symlink(t, root, "libnvinfer.so.10.3.0", "/usr/lib/x86_64-linux-gnu/libnvinfer.so.10")
	symlink(t, root, "libnccl.so.2.21.5", "/usr/lib/x86_64-linux-gnu/libnccl.so.2")
	return root
}

func libLines(ls []model.LibraryInstall) []string {
	var out []string
	for _, l := range ls {
		s := l.Origin + " " + l.Version
		if l.CUDAMajor.OK {
			s += " cu" + strconv.Itoa(l.CUDAMajor.V)
		}
		if l.CUDA != "" {
			s += " (" + l.CUDA + ")"
		}
		out = append(out, s)
	}
	return out
}

func TestProbeStackFixture(t *testing.T) {
	fe := &fakeEnv{vars: map[string]string{
		"PATH": "/usr/bin", "NCCL_P2P_DISABLE": "1", "NCCL_DEBUG": "INFO",
		"CUDA_VERSION": "12.4.1", "NVIDIA_REQUIRE_CUDA": "cuda>=12.4 brand=tesla,driver>=470,driver<471",
	}}
	f := Gather(context.Background(), fe.env(stackRoot(t)), model.NVMLFacts{})
	s := f.Stack
	if !s.Probed {
		t.Fatal("stack not probed")
	}
	wantTRT := []string{"header 10.3.0", "library 10.3.0", "deb 10.3.0.26 cu12 (12.5)", "pip 10.7.0 cu12"}
	if got := libLines(s.TensorRT); strings.Join(got, "|") != strings.Join(wantTRT, "|") {
		t.Errorf("TensorRT = %v, want %v", got, wantTRT)
	}
	wantNCCL := []string{"header 2.21.5", "library 2.21.5", "deb 2.21.5 cu12 (12.4)", "pip 2.26.2 cu12"}
	if got := libLines(s.NCCL); strings.Join(got, "|") != strings.Join(wantNCCL, "|") {
		t.Errorf("NCCL = %v, want %v", got, wantNCCL)
	}
	wheels := map[string]model.WheelInstall{}
	for _, w := range s.Wheels {
		wheels[w.Name] = w
	}
	if _, ok := wheels["requests"]; ok {
		t.Error("requests is not a stack wheel")
	}
	for name, want := range map[string][2]string{
		"vllm":         {"==2.6.0", ""},
		"xformers":     {"==2.5.1", ""},
		"flash_attn":   {"", "cu12torch2.6cxx11abiFALSE"},
		"bitsandbytes": {"<3,>=2.0", ""},
		"jaxlib":       {"", ""},
	} {
		w, ok := wheels[name]
		if !ok {
			t.Errorf("wheel %s not found", name)
			continue
		}
		if w.RequiresTorch != want[0] || w.BuiltFor != want[1] {
			t.Errorf("%s: requires %q built %q, want %q %q", name, w.RequiresTorch, w.BuiltFor, want[0], want[1])
		}
	}
	if s.NCCLEnv["NCCL_P2P_DISABLE"] != "1" || s.NCCLEnv["NCCL_DEBUG"] != "INFO" || len(s.NCCLEnv) != 2 {
		t.Errorf("NCCL env = %v", s.NCCLEnv)
	}
	if s.Image.CUDAVersion != "12.4.1" || !strings.HasPrefix(s.Image.RequireCUDA, "cuda>=12.4") {
		t.Errorf("image = %+v", s.Image)
	}
}

func TestProbeStackEmptyMachine(t *testing.T) {
	fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/bin"}}
	f := Gather(context.Background(), fe.env(t.TempDir()), model.NVMLFacts{})
	if !f.Stack.Probed || len(f.Stack.TensorRT)+len(f.Stack.NCCL)+len(f.Stack.Wheels)+len(f.Stack.NCCLEnv) != 0 {
		t.Errorf("empty machine: %+v", f.Stack)
	}
	// Absent is not a fault: nothing of the stack fails or warns.
	f.NVML = healthyFacts().NVML
	for _, r := range Evaluate(f) {
		for _, p := range []string{"tensorrt", "nccl", "jax", "tensorflow", "ext", "image."} {
			if strings.HasPrefix(r.ID, p) && r.Status != model.Skip {
				t.Errorf("%s = %s on a machine without it: %s", r.ID, r.Status, r.Evidence)
			}
		}
	}
}

func TestOldToolkitVersionTxt(t *testing.T) {
	fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/bin"}}
	f := Gather(context.Background(), fe.env(copyFixture(t, "cuda10")), model.NVMLFacts{})
	var got []string
	for _, tk := range f.Toolkits {
		got = append(got, tk.Path+"="+tk.Version+"@"+tk.VersionSource)
	}
	want := "/usr/local/cuda-10.2=10.2.89@version.txt|/usr/local/cuda-11.0=11.0.228@version.txt"
	if strings.Join(got, "|") != want {
		t.Errorf("toolkits = %v, want %s", got, want)
	}
}

func TestHeaderVersion(t *testing.T) {
	m := [3]string{"NV_TENSORRT_MAJOR", "NV_TENSORRT_MINOR", "NV_TENSORRT_PATCH"}
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"#define NV_TENSORRT_MAJOR 8\n#define NV_TENSORRT_MINOR 6\n#define NV_TENSORRT_PATCH 1\n", "8.6.1", true},
		{"#define A 10\n#define NV_TENSORRT_MAJOR A\n#define NV_TENSORRT_MINOR 3\n", "10.3.0", true},
		{"#define NV_TENSORRT_MAJOR NV_TENSORRT_MAJOR\n", "", false}, // a loop, not a number
		{"#define NV_TENSORRT_MAJOR B\n", "", false},
		{"", "", false},
	} {
		got, ok := headerVersion([]byte(tt.in), m)
		if got != tt.want || ok != tt.ok {
			t.Errorf("headerVersion(%q) = %q %v", tt.in, got, ok)
		}
	}
}

func TestSatisfies(t *testing.T) {
	for _, tt := range []struct {
		ver, spec string
		sat, ok   bool
	}{
		{"2.5.1+cu124", "==2.5.1", true, true},
		{"2.5.0", "==2.5.1", false, true},
		{"2.6.0+cu126", "<3,>=2.0", true, true},
		{"3.0.0", "<3,>=2.0", false, true},
		{"2.5.1", "==2.5.*", true, true},
		{"2.6.0", "==2.5.*", false, true},
		{"2.7.4.post1", ">=2.7.4", true, true},
		{"1.4.2", "~=1.4.0", true, true},
		{"1.5.0", "~=1.4.0", false, true},
		{"2.5.1", "!=2.5.1", false, true},
		{"2.5.1", "@ https://x", false, false},
		{"dev", "==1", false, false},
	} {
		sat, ok := satisfies(tt.ver, tt.spec)
		if sat != tt.sat || ok != tt.ok {
			t.Errorf("satisfies(%q, %q) = %v %v", tt.ver, tt.spec, sat, ok)
		}
	}
}

// TestStackRulesOnFixture judges the fixture machine on a driver 580 host
// with an H100: what each rule says and which fix it names.
func TestStackRulesOnFixture(t *testing.T) {
	fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/bin", "NCCL_P2P_DISABLE": "1",
		"CUDA_VERSION": "12.4.1", "NVIDIA_REQUIRE_CUDA": "cuda>=12.4 brand=tesla,driver>=470,driver<471"}}
	f := Gather(context.Background(), fe.env(stackRoot(t)), healthyFacts().NVML)
	want := map[string]model.Status{
		"tensorrt":         model.Warn, // 10.3 system vs 10.7 pip
		"nccl":             model.Pass, // 2.21 system vs 2.26 pip: torch loads the pip one
		"nccl.env":         model.Warn, // P2P disabled
		"jax":              model.Fail, // plugin 0.4.34 vs jaxlib 0.4.35
		"tensorflow":       model.Skip, // absent
		"ext.vllm":         model.Pass, // torch==2.6.0 and torch is 2.6.0
		"ext.xformers":     model.Fail, // torch==2.5.1
		"ext.flash_attn":   model.Pass, // built for torch 2.6, CUDA 12
		"ext.torchvision":  model.Pass,
		"ext.bitsandbytes": model.Pass,
		"image.cuda":       model.Pass, // 12.4.1 on a driver reporting CUDA 13.0
	}
	rs := Evaluate(f)
	checkCommands(t, rs)
	for id, st := range want {
		r := findResult(t, rs, id)
		if r.Status != st {
			t.Errorf("%s = %s, want %s: %s", id, r.Status, st, r.Evidence)
		}
		if (r.Status == model.Fail || r.Status == model.Warn) && r.Fix == "" {
			t.Errorf("%s: %s without a fix", id, r.Status)
		}
	}
	x := findResult(t, rs, "ext.xformers")
	if !strings.Contains(x.Evidence, "requires torch ==2.5.1") || !strings.Contains(strings.Join(x.Commands, " "), "pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cu124") {
		t.Errorf("xformers: %s / %v", x.Evidence, x.Commands)
	}
	j := findResult(t, rs, "jax")
	if !strings.Contains(strings.Join(j.Commands, " "), "jax[cuda12]==0.4.35") {
		t.Errorf("jax fix: %v", j.Commands)
	}
	n := findResult(t, rs, "nccl")
	if !strings.Contains(n.Evidence, "PyTorch (2.6.0+cu124) loads the pip NCCL 2.26.2") {
		t.Errorf("nccl evidence: %s", n.Evidence)
	}
}

func TestStackRules(t *testing.T) {
	withStack := func(mut func(s *model.StackFacts)) func(*model.Facts) {
		return func(f *model.Facts) { mut(&f.Stack) }
	}
	old := func(f *model.Facts) { f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "520.61.05", model.Some(11080) }
	runRuleCases(t, tensorRTRule, []ruleCase{
		{name: "absent", id: "tensorrt", want: model.Skip, evidence: []string{"no TensorRT installed"}},
		{name: "not recorded", id: "tensorrt", want: model.Skip, evidence: []string{"not recorded"},
			mutate: func(f *model.Facts) { f.Stack = model.StackFacts{} }},
		{name: "CUDA 12 build on a CUDA 11 driver", id: "tensorrt", want: model.Fail, evidence: []string{"needs driver >= 525.60.13"},
			fix: []string{"525.60.13 or newer"},
			mutate: func(f *model.Facts) {
				old(f)
				f.Stack.TensorRT = []model.LibraryInstall{{Origin: "deb", Path: "libnvinfer10", Version: "10.3.0.26", CUDAMajor: model.Some(12)}}
			}},
		{name: "CUDA 12 build beside a CUDA 13 toolkit", id: "tensorrt", want: model.Warn, evidence: []string{"built for CUDA 12 but the CUDA toolkit 13.0 is beside it"},
			fix: []string{"TensorRT build for CUDA 13"},
			mutate: withStack(func(s *model.StackFacts) {
				s.TensorRT = []model.LibraryInstall{{Origin: "deb", Path: "libnvinfer10", Version: "10.3.0.26", CUDAMajor: model.Some(12)}}
			})},
		{name: "CUDA 13 build of TensorRT 10 on Volta", id: "tensorrt", want: model.Fail, evidence: []string{"cc 7.0 is below 7.5"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs[0].Info = gpuInfo(0, "Tesla V100-SXM2-32GB", 7, 0, 32*gib, 32*gib)
				f.Stack.TensorRT = []model.LibraryInstall{{Origin: "pip", Path: "/site/tensorrt_cu13-10.14.1.dist-info", Version: "10.14.1", CUDAMajor: model.Some(13)}}
			}},
		{name: "CUDA 12 build of TensorRT 10 on Volta", id: "tensorrt", want: model.Pass,
			mutate: func(f *model.Facts) {
				f.NVML.GPUs[0].Info = gpuInfo(0, "Tesla V100-SXM2-32GB", 7, 0, 32*gib, 32*gib)
				f.Torch[0].CUDA = "12.8"
				f.Stack.TensorRT = []model.LibraryInstall{{Origin: "pip", Path: "/site/tensorrt_cu12-10.3.0.dist-info", Version: "10.3.0", CUDAMajor: model.Some(12)}}
			}},
		{name: "pip build for CUDA 13 beside torch cu130", id: "tensorrt", want: model.Pass,
			mutate: withStack(func(s *model.StackFacts) {
				s.TensorRT = []model.LibraryInstall{{Origin: "pip", Path: "/site/tensorrt_cu13-10.14.1.dist-info", Version: "10.14.1", CUDAMajor: model.Some(13)}}
			})},
	})
	// TensorRT 8 beside cuDNN: the pairing its support matrix names.
	trt86 := func(ver string, cudnn ...model.CuDNNInstall) func(*model.Facts) {
		return func(f *model.Facts) {
			f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "535.104.05", model.Some(12020)
			f.CUDALink.Version, f.NVCC.Version = "12.1", "12.1"
			f.Torch = nil
			f.CuDNN = cudnn
			f.Stack.TensorRT = []model.LibraryInstall{{Origin: "deb", Path: "libnvinfer8", Version: ver, CUDAMajor: model.Some(12)}}
		}
	}
	sysCudnn := func(v string) model.CuDNNInstall {
		return model.CuDNNInstall{Header: "/usr/include/cudnn_version.h", Origin: "system", Version: v, CUDAMajor: model.Some(12)}
	}
	runRuleCases(t, tensorRTRule, []ruleCase{
		{name: "8.6.1 with cuDNN 8.9.7", id: "tensorrt", want: model.Pass, evidence: []string{"system cuDNN 8.9.7, not older than cuDNN 8.9.0"},
			mutate: trt86("8.6.1.6-1+cuda12.0", sysCudnn("8.9.7"))},
		{name: "8.6.1 with cuDNN 8.9.0 exactly", id: "tensorrt", want: model.Pass, evidence: []string{"not older than cuDNN 8.9.0"},
			mutate: trt86("8.6.1.6", sysCudnn("8.9.0"))},
		{name: "8.6.1 with cuDNN 8.8.1", id: "tensorrt", want: model.Warn, evidence: []string{"cuDNN 8.8.1 is older than cuDNN 8.9.0"},
			fix:    []string{"install cuDNN 8.9 or a newer 8.x", "libcudnn8", "TensorRT 10"},
			mutate: trt86("8.6.1.6", sysCudnn("8.8.1"))},
		{name: "8.6.1 with only cuDNN 9", id: "tensorrt", want: model.Warn, evidence: []string{"only cuDNN 9.1.0 found, but TensorRT 8.6 loads cuDNN 8"},
			fix:    []string{"cuDNN 8.9"},
			mutate: trt86("8.6.1.6", sysCudnn("9.1.0"))},
		{name: "8.6.1 with cuDNN 9 and 8.9", id: "tensorrt", want: model.Pass, evidence: []string{"cuDNN 8.9.2"},
			mutate: trt86("8.6.1.6", sysCudnn("9.1.0"), sysCudnn("8.9.2"))},
		{name: "8.6.1 without cuDNN", id: "tensorrt", want: model.Pass, evidence: []string{"no cuDNN found to pair with"},
			mutate: trt86("8.6.1.6")},
		{name: "8.5.3 with cuDNN 8.6.0", id: "tensorrt", want: model.Pass, evidence: []string{"not older than cuDNN 8.6.0"},
			mutate: trt86("8.5.3.1", sysCudnn("8.6.0"))},
		{name: "8.0.3 with cuDNN 8.1.1", id: "tensorrt", want: model.Warn, evidence: []string{"older than cuDNN 8.2.1"},
			mutate: trt86("8.0.3.4", sysCudnn("8.1.1"))},
		{name: "unconfirmed 8.6.0 EA with old cuDNN warns, not fails", id: "tensorrt", want: model.Warn, evidence: []string{"is older than cuDNN 8.9.0", "(unconfirmed: 8.6.0 EA assumed like 8.6.1)"},
			mutate: trt86("8.6.0.12", sysCudnn("8.6.0"))},
		{name: "unconfirmed 8.5.2 with cuDNN 8.6 is not judged", id: "tensorrt", evidence: []string{"pairing with cuDNN 8.6.0 not judged (unconfirmed"},
			want:   model.Pass, // from the driver floor; the row adds nothing
			mutate: trt86("8.5.2.2", sysCudnn("8.9.7"))},
		{name: "pip TensorRT 8.6 pairs with the pip cuDNN", id: "tensorrt", want: model.Warn, evidence: []string{"pip cuDNN 8.7.0 is older"},
			mutate: func(f *model.Facts) {
				trt86("8.6.1", sysCudnn("8.9.7"), model.CuDNNInstall{Header: "/site/nvidia/cudnn/include/cudnn_version.h", Origin: "pip", Version: "8.7.0", CUDAMajor: model.Some(12)})(f)
				f.Stack.TensorRT[0].Origin, f.Stack.TensorRT[0].Path = "pip", "/site/tensorrt-8.6.1.dist-info"
			}},
		{name: "TensorRT 10 with no cuDNN", id: "tensorrt", want: model.Pass,
			mutate: func(f *model.Facts) {
				trt86("10.3.0.26")(f)
			}},
	})
	for _, n := range []string{"TensorRT 10 with no cuDNN"} {
		f := healthyFacts()
		f.CuDNN = nil
		f.Stack.TensorRT = []model.LibraryInstall{{Origin: "pip", Path: "/site/tensorrt_cu13-10.14.1.dist-info", Version: "10.14.1", CUDAMajor: model.Some(13)}}
		r := tensorRTRule(&f)[0]
		if r.Status != model.Pass || strings.Contains(r.Evidence, "cuDNN") {
			t.Errorf("%s: %s %s", n, r.Status, r.Evidence)
		}
	}
	runRuleCases(t, ncclEnvRule, []ruleCase{
		{name: "none set", id: "nccl.env", want: model.Skip},
		{name: "debug only", id: "nccl.env", want: model.Pass, evidence: []string{`NCCL_DEBUG="INFO"`},
			mutate: withStack(func(s *model.StackFacts) { s.NCCLEnv = map[string]string{"NCCL_DEBUG": "INFO"} })},
		{name: "IB disabled", id: "nccl.env", want: model.Warn, evidence: []string{"falls back to TCP"},
			mutate: withStack(func(s *model.StackFacts) {
				s.NCCLEnv = map[string]string{"NCCL_IB_DISABLE": "1", "NCCL_SOCKET_IFNAME": "eth0"}
			})},
		{name: "NVLS switched off", id: "nccl.env", want: model.Warn, evidence: []string{"NVLink SHARP is off"},
			mutate: withStack(func(s *model.StackFacts) { s.NCCLEnv = map[string]string{"NCCL_NVLS_ENABLE": "0"} })},
	})
	runRuleCases(t, jaxRule, []ruleCase{
		{name: "absent", id: "jax", want: model.Skip},
		{name: "CPU only", id: "jax", want: model.Skip, evidence: []string{"CPU only"},
			mutate: withStack(func(s *model.StackFacts) { s.Wheels = []model.WheelInstall{{Name: "jaxlib", Version: "0.6.2"}} })},
		{name: "cuda13 plugin on a 575 driver", id: "jax", want: model.Fail, evidence: []string{"needs driver >= 580"},
			fix: []string{"CUDA 12 plugin"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "575.57.08"
				f.Stack.Wheels = []model.WheelInstall{{Name: "jaxlib", Version: "0.7.1"}, {Name: "jax_cuda13_plugin", Version: "0.7.1"}, {Name: "jax_cuda13_pjrt", Version: "0.7.1"}}
			}},
		{name: "matching cuda12 plugin", id: "jax", want: model.Pass,
			mutate: withStack(func(s *model.StackFacts) {
				s.Wheels = []model.WheelInstall{{Name: "jaxlib", Version: "0.6.2"}, {Name: "jax_cuda12_plugin", Version: "0.6.2"}}
			})},
	})
	runRuleCases(t, tensorflowRule, []ruleCase{
		{name: "absent", id: "tensorflow", want: model.Skip},
		{name: "2.18 on a CUDA 11 driver", id: "tensorflow", want: model.Fail, evidence: []string{"CUDA 12.5", "cuDNN 9.3"},
			mutate: func(f *model.Facts) {
				old(f)
				f.Stack.Wheels = []model.WheelInstall{{Name: "tensorflow", Version: "2.18.0"}}
			}},
		{name: "2.14 (CUDA 11.8) on a CUDA 11 driver", id: "tensorflow", want: model.Pass, evidence: []string{"CUDA 11.8", "cuDNN 8.7"},
			mutate: func(f *model.Facts) {
				old(f)
				f.Stack.Wheels = []model.WheelInstall{{Name: "tensorflow", Version: "2.14.1"}}
			}},
		{name: "2.18 on 580", id: "tensorflow", want: model.Pass,
			mutate: withStack(func(s *model.StackFacts) { s.Wheels = []model.WheelInstall{{Name: "tensorflow", Version: "2.18.0"}} })},
		{name: "2.11 has no row", id: "tensorflow", want: model.Skip, evidence: []string{"no build table row"},
			mutate: withStack(func(s *model.StackFacts) { s.Wheels = []model.WheelInstall{{Name: "tensorflow", Version: "2.11.1"}} })},
	})
	runRuleCases(t, extensionsRule, []ruleCase{
		{name: "none", id: "ext", want: model.Skip},
		{name: "flash-attn built for another CUDA major", id: "ext.flash_attn", want: model.Fail, evidence: []string{"built for CUDA 12 while torch runs CUDA 13.0"},
			mutate: withStack(func(s *model.StackFacts) {
				s.Wheels = []model.WheelInstall{{Name: "flash_attn", Version: "2.8.3", BuiltFor: "cu12torch2.11cxx11abiTRUE"}}
			})},
		{name: "no pin, no tag", id: "ext.bitsandbytes", want: model.Skip, evidence: []string{"names no torch version"},
			mutate: withStack(func(s *model.StackFacts) { s.Wheels = []model.WheelInstall{{Name: "bitsandbytes", Version: "0.48.0"}} })},
		{name: "vllm pinned to another torch", id: "ext.vllm", want: model.Fail, evidence: []string{"requires torch ==2.9.0", "undefined symbol"},
			fix: []string{"torch 2.11.0"},
			mutate: withStack(func(s *model.StackFacts) {
				s.Wheels = []model.WheelInstall{{Name: "vllm", Version: "0.11.0", RequiresTorch: "==2.9.0"}}
			})},
	})
	runRuleCases(t, imageCUDARule, []ruleCase{
		{name: "not an image", id: "image.cuda", want: model.Skip},
		{name: "13.2 image on a 13.0 driver", id: "image.cuda", want: model.Warn, evidence: []string{"CUDA_VERSION=13.2.0"},
			fix:    []string{"595.45.04 or newer", "nvidia/cuda:13.0.x"},
			mutate: withStack(func(s *model.StackFacts) { s.Image.CUDAVersion = "13.2.0" })},
		{name: "13.0 image on a 12.8 host driver, data-center GPU", id: "image.cuda", want: model.Fail, evidence: []string{"minimum for any CUDA 13.x"},
			fix: []string{"nvidia/cuda:12.8.x", "forward-compatibility"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "570.124.06", model.Some(12080)
				f.Stack.Image = model.ImageFacts{CUDAVersion: "13.0.1", RequireCUDA: "cuda>=13.0 brand=tesla,driver>=535,driver<536"}
			}},
		{name: "only NVIDIA_REQUIRE_CUDA", id: "image.cuda", want: model.Pass, evidence: []string{"NVIDIA_REQUIRE_CUDA"},
			mutate: withStack(func(s *model.StackFacts) { s.Image.RequireCUDA = "cuda>=12.4" })},
	})
}

// The H200's CUDA 13.0 image sets a 4 kB NVIDIA_REQUIRE_CUDA of 60 brand
// clauses; the evidence keeps the CUDA requirement and counts the rest.
func TestSummariseRequireCUDA(t *testing.T) {
	long := "cuda>=13.0" + strings.Repeat(" brand=tesla,driver>=535,driver<536", 60)
	if got, want := summariseRequireCUDA(long), `"cuda>=13.0" (+ 60 brand-specific driver ranges)`; got != want {
		t.Errorf("long = %s, want %s", got, want)
	}
	if got, want := summariseRequireCUDA("cuda>=12.4 driver>=550"), `"cuda>=12.4 driver>=550"`; got != want {
		t.Errorf("short = %s, want %s", got, want)
	}
}

// TestTensorRT8FixturePairing: a machine with TensorRT 8.6.1 and cuDNN 8.8
// headers in the system include directory; the pairing warns, and passes
// once the cuDNN header says 8.9.7.
func TestTensorRT8FixturePairing(t *testing.T) {
	for _, tt := range []struct {
		cudnnMinor string
		want       model.Status
		evidence   string
	}{
		{"8", model.Warn, "system cuDNN 8.8.0 is older than cuDNN 8.9.0"},
		{"9", model.Pass, "system cuDNN 8.9.0, not older than cuDNN 8.9.0"},
	} {
		root := copyFixture(t, "stack-trt8")
		h := filepath.Join(root, "usr/include/x86_64-linux-gnu/cudnn_version.h")
		b, err := os.ReadFile(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h, []byte(strings.Replace(string(b), "CUDNN_MINOR 8", "CUDNN_MINOR "+tt.cudnnMinor, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		fe := &fakeEnv{vars: map[string]string{"PATH": "/usr/bin"}}
		nv := healthyFacts().NVML
		nv.DriverVersion, nv.CUDADriverVersion = "535.104.05", model.Some(12020)
		f := Gather(context.Background(), fe.env(root), nv)
		if got := libLines(f.Stack.TensorRT); strings.Join(got, "|") != "header 8.6.1" {
			t.Fatalf("TensorRT = %v", got)
		}
		r := tensorRTRule(&f)[0]
		if r.Status != tt.want || !strings.Contains(r.Evidence, tt.evidence) {
			t.Errorf("cuDNN 8.%s: %s %q, want %s with %q", tt.cudnnMinor, r.Status, r.Evidence, tt.want, tt.evidence)
		}
		if r.Status == model.Warn && !strings.Contains(r.Fix, "cuDNN 8.9 or a newer 8.x") {
			t.Errorf("fix: %s", r.Fix)
		}
	}
}
