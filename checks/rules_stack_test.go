package checks

import (
	"testing"

	"github.com/gputop/gputop/model"
)

func pipCuDNN(version string, major int) model.CuDNNInstall {
	return model.CuDNNInstall{Header: "/usr/lib/python3/dist-packages/nvidia/cudnn/include/cudnn_version.h", Origin: "pip", Version: version, CUDAMajor: model.Some(major)}
}

func TestCuDNNInstallsRule(t *testing.T) {
	runRuleCases(t, cudnnInstallsRule, []ruleCase{
		{name: "one", id: "cudnn.installs", want: model.Pass, evidence: []string{"system 9.14.0", "cudnn_version_v9.h", "for CUDA 13"}},
		{name: "same minor twice", id: "cudnn.installs", want: model.Pass,
			mutate: func(f *model.Facts) { f.CuDNN = append(f.CuDNN, pipCuDNN("9.14.1", 13)) }},
		{name: "several differ", id: "cudnn.installs", want: model.Warn, evidence: []string{"system 9.14.0", "pip 9.19.0"},
			mutate: func(f *model.Facts) { f.CuDNN = append(f.CuDNN, pipCuDNN("9.19.0", 13)) }},
		{name: "conda location is unverified", id: "cudnn.installs", want: model.Pass, evidence: []string{"conda 9.14.0", "not confirmed"},
			mutate: func(f *model.Facts) {
				f.CuDNN[0].Origin, f.CuDNN[0].Header = "conda", "/opt/conda/include/cudnn_version.h"
			}},
		{name: "none", id: "cudnn.installs", want: model.Skip,
			mutate: func(f *model.Facts) { f.CuDNN = nil }},
	})
}

func TestCuDNNCompatRule(t *testing.T) {
	v100 := func(f *model.Facts) { f.NVML.GPUs[0].Info = gpuInfo(0, "Tesla V100-SXM2-32GB", 7, 0, 32*gib, 32*gib) }
	runRuleCases(t, cudnnCompatRule, []ruleCase{
		// 9.14's matrix was not read: the row can explain, not pass.
		{name: "9.14 for CUDA 13 on 580 is unconfirmed", id: "cudnn.system", want: model.Skip, evidence: []string{"needs driver >= 580.65.06", "not confirmed by a primary source"}},
		{name: "9.17 for CUDA 13 on 580", id: "cudnn.system", want: model.Pass, evidence: []string{"cuDNN 9.17.0 .. 9.17.99 needs driver >= 580.65.06"},
			mutate: func(f *model.Facts) { f.CuDNN[0].Version = "9.17.0" }},
		{name: "9.17 CUDA 13 build on a 575 driver", id: "cudnn.system", want: model.Fail, evidence: []string{"driver 575.57.08 (NVML) is older"},
			fix:    []string{"580.65.06 or newer", "CUDA 12 build of cuDNN 9.17"},
			mutate: func(f *model.Facts) { f.CuDNN[0].Version = "9.17.0"; f.NVML.DriverVersion = "575.57.08" }},
		{name: "unconfirmed CUDA 13 build on a 575 driver warns", id: "cudnn.system", want: model.Warn, evidence: []string{"driver 575.57.08 (NVML) is older", "not confirmed"},
			mutate: func(f *model.Facts) { f.NVML.DriverVersion = "575.57.08" }},
		{name: "CUDA 12 build beside a CUDA 13 toolkit", id: "cudnn.system", want: model.Warn, evidence: []string{"built for CUDA 12 but the CUDA toolkit beside it is CUDA 13"},
			fix:    []string{"cuDNN build for CUDA 13"},
			mutate: func(f *model.Facts) { f.CuDNN[0].CUDAMajor = model.Some(12) }},
		{name: "pip build for another CUDA than torch", id: "cudnn.pip", want: model.Warn, evidence: []string{"PyTorch's CUDA runtime"},
			mutate: func(f *model.Facts) { f.CuDNN = append(f.CuDNN, pipCuDNN("9.17.0", 12)) }},
		{name: "second pip install gets its own id", id: "cudnn.pip.2", want: model.Pass,
			mutate: func(f *model.Facts) { f.CuDNN = append(f.CuDNN, pipCuDNN("9.17.1", 13), pipCuDNN("9.17.1", 13)) }},
		{name: "9.1 on Blackwell", id: "cudnn.pip", want: model.Fail, evidence: []string{"no kernels for GPU 1 (NVIDIA B200) cc 10.0"},
			fix: []string{"a build compiled with CUDA 12.8 or newer"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs = append(f.NVML.GPUs, blackwell(1))
				f.Torch[0].CUDA = "12.4"
				f.CuDNN = append(f.CuDNN, pipCuDNN("9.1.0", 12))
			}},
		{name: "9.10 CUDA 12 on Blackwell depends on the build's CUDA minor", id: "cudnn.pip", want: model.Skip, evidence: []string{"compiled with CUDA 12.8 or newer"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs = append(f.NVML.GPUs, blackwell(1))
				f.Torch[0].CUDA = "12.8"
				f.CuDNN = append(f.CuDNN, pipCuDNN("9.10.2", 12))
			}},
		{name: "9.17 CUDA 13 build on Volta", id: "cudnn.system", want: model.Fail, evidence: []string{"no kernels for GPU 0 (Tesla V100-SXM2-32GB) cc 7.0"},
			fix:    []string{"Newer cuDNN dropped this GPU", "cuDNN 9.10 built for CUDA 12", "the last line"},
			mutate: func(f *model.Facts) { v100(f); f.CuDNN[0].Version = "9.17.0" }},
		{name: "9.10 CUDA 12 build on Volta", id: "cudnn.pip", want: model.Pass,
			mutate: func(f *model.Facts) {
				v100(f)
				f.Torch[0].CUDA = "12.8"
				f.CuDNN = []model.CuDNNInstall{pipCuDNN("9.10.2", 12)}
			}},
		{name: "unknown CUDA build of a two-major version", id: "cudnn.system", want: model.Skip, evidence: []string{"CUDA build unknown", "[12 13]"},
			mutate: func(f *model.Facts) { f.CuDNN[0].CUDAMajor = model.None[int]() }},
		{name: "unknown CUDA build of a one-major version", id: "cudnn.system", want: model.Warn, evidence: []string{"builds for CUDA 11 only", "beside it is CUDA 13"},
			mutate: func(f *model.Facts) { f.CuDNN[0].CUDAMajor, f.CuDNN[0].Version = model.None[int](), "8.6.0" }},
		{name: "cuDNN 7 not in the table", id: "cudnn.system", want: model.Skip, evidence: []string{"no support data for cuDNN 7.6.5"},
			mutate: func(f *model.Facts) {
				f.CuDNN[0] = model.CuDNNInstall{Header: "/usr/include/cudnn.h", Origin: "system", Version: "7.6.5", CUDAMajor: model.Some(10)}
			}},
		{name: "unreadable header", id: "cudnn.system", want: model.Warn, evidence: []string{"version unreadable"},
			mutate: func(f *model.Facts) { f.CuDNN[0].Version, f.CuDNN[0].Error = "", "no CUDNN_MAJOR" }},
	})
}

func TestTorchInstallRule(t *testing.T) {
	runRuleCases(t, torchInstallRule, []ruleCase{
		{name: "cu130 on 580", id: "torch.install", want: model.Pass, evidence: []string{"torch 2.11.0+cu130", "version.py", ">= 580", "cuda.driver.torch"}},
		{name: "cu130 on 575", id: "torch.install", want: model.Fail, evidence: []string{"driver 575.57.08"},
			fix:    []string{"580 or newer", "R580", "CUDA 12.8 build of PyTorch 2.11.0."},
			mutate: func(f *model.Facts) { f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "575.57.08", model.Some(12090) }},
		{name: "cu118 on 450.80.02", id: "torch.install", want: model.Pass,
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "450.80.02"
				f.Torch[0].CUDA = "11.8"
				f.Torch[0].Version = "2.3.1+cu118"
			}},
		{name: "cu118 on 450.80.01", id: "torch.install", want: model.Fail,
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "450.80.01"
				f.Torch[0].CUDA = "11.8"
				f.Torch[0].Version = "2.3.1+cu118"
			}},
		{name: "CPU-only build with GPUs gets the wheel for this driver", id: "torch.install", want: model.Warn, evidence: []string{"CPU-only"},
			fix:    []string{"CUDA 13.0 build of PyTorch 2.11.0"},
			mutate: func(f *model.Facts) { f.Torch[0].CUDA, f.Torch[0].Version = "", "2.11.0+cpu" }},
		{name: "CPU-only build without GPUs", id: "torch.install", want: model.Pass,
			mutate: func(f *model.Facts) { f.Torch[0].CUDA, f.Torch[0].Version = "", "2.11.0+cpu"; f.NVML.GPUs = nil }},
		{name: "several installs listed", id: "torch.install", want: model.Pass, evidence: []string{"also installed: 2.5.1+cu124"},
			mutate: func(f *model.Facts) {
				f.Torch = append(f.Torch, model.TorchInstall{Path: "/home/u/.local/lib/python3.12/site-packages/torch/version.py", Version: "2.5.1+cu124", CUDA: "12.4"})
			}},
		{name: "unknown wheel CUDA", id: "torch.install", want: model.Skip,
			mutate: func(f *model.Facts) { f.Torch[0].CUDA = "10.2" }},
		{name: "driver unknown", id: "torch.install", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.DriverVersion = ""; f.KernelModule = model.KernelModuleFacts{} }},
		{name: "not installed", id: "torch.install", want: model.Skip,
			mutate: func(f *model.Facts) { f.Torch = nil }},
	})
}

func TestTorchArchRule(t *testing.T) {
	setTorch := func(version, cuda string) func(*model.Facts) {
		return func(f *model.Facts) { f.Torch[0].Version, f.Torch[0].CUDA = version, cuda }
	}
	setGPU := func(name string, cc1, cc2 int) func(*model.Facts) {
		return func(f *model.Facts) { f.NVML.GPUs[0].Info = gpuInfo(0, name, cc1, cc2, 32*gib, 32*gib) }
	}
	rtx5090 := setGPU("NVIDIA GeForce RTX 5090", 12, 0)
	v100 := setGPU("Tesla V100-SXM2-32GB", 7, 0)
	runRuleCases(t, torchArchRule, []ruleCase{
		{name: "cu130 on Hopper", id: "torch.arch.gpu0", want: model.Pass, evidence: []string{"sm_75, sm_80, sm_86, sm_90, sm_100, sm_120; GPU cc 9.0"}},
		{name: "cu124 torch 2.6 on RTX 5090 (unconfirmed list: warn)", id: "torch.arch.gpu0", want: model.Warn, evidence: []string{"no kernel image is available", "not confirmed"},
			fix:    []string{"PyTorch 2.12 built for CUDA 13.0"},
			mutate: func(f *model.Facts) { setTorch("2.6.0+cu124", "12.4")(f); rtx5090(f) }},
		{name: "cu124 torch 2.5 on RTX 5090 (list read at pytorch/builder release/2.5)", id: "torch.arch.gpu0", want: model.Fail, evidence: []string{"no kernel image is available", "sm_90"},
			fix:    []string{"PyTorch 2.12 built for CUDA 13.0"},
			mutate: func(f *model.Facts) { setTorch("2.5.1+cu124", "12.4")(f); rtx5090(f) }},
		{name: "cu124 torch 2.5 on Ada (sm_86 cubin runs on cc 8.9)", id: "torch.arch.gpu0", want: model.Pass,
			mutate: func(f *model.Facts) { setTorch("2.5.1+cu124", "12.4")(f); setGPU("NVIDIA L40S", 8, 9)(f) }},
		{name: "cu121 torch 2.1 on a Kepler K80 (no sm_37 in the 12.1 builds)", id: "torch.arch.gpu0", want: model.Fail, evidence: []string{"cc 3.7 is not covered"},
			mutate: func(f *model.Facts) { setTorch("2.1.2+cu121", "12.1")(f); setGPU("Tesla K80", 3, 7)(f) }},
		{name: "cu126 torch 2.11 on RTX 5090", id: "torch.arch.gpu0", want: model.Fail, evidence: []string{"no kernel image is available"},
			fix:    []string{"PyTorch 2.11 built for CUDA 13.0"},
			mutate: func(f *model.Facts) { setTorch("2.11.0+cu126", "12.6")(f); rtx5090(f) }},
		{name: "cu128 wheel for a 12.8 driver", id: "torch.arch.gpu0", want: model.Fail,
			fix: []string{"PyTorch 2.11 built for CUDA 12.8"},
			mutate: func(f *model.Facts) {
				setTorch("2.11.0+cu126", "12.6")(f)
				rtx5090(f)
				f.NVML.CUDADriverVersion = model.Some(12080)
			}},
		{name: "cu128 torch 2.8 on RTX 5090", id: "torch.arch.gpu0", want: model.Pass, evidence: []string{"sm_120"},
			mutate: func(f *model.Facts) { setTorch("2.8.0+cu128", "12.8")(f); rtx5090(f) }},
		{name: "cu128 torch 2.8 on V100 (Volta re-added)", id: "torch.arch.gpu0", want: model.Pass,
			mutate: func(f *model.Facts) { setTorch("2.8.0+cu128", "12.8")(f); v100(f) }},
		{name: "cu128 torch 2.11 on V100 (dropped again)", id: "torch.arch.gpu0", want: model.Fail, evidence: []string{"cc 7.0 is not covered"},
			fix:    []string{"PyTorch 2.11 built for CUDA 12.6"},
			mutate: func(f *model.Facts) { setTorch("2.11.0+cu128", "12.8")(f); v100(f) }},
		{name: "cu128 torch 2.7 is unconfirmed", id: "torch.arch.gpu0", want: model.Skip, evidence: []string{"not confirmed"},
			mutate: setTorch("2.7.1+cu128", "12.8")},
		{name: "cu126 on Ada (binary compatible within a major), unconfirmed list", id: "torch.arch.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { setTorch("2.6.0+cu126", "12.6")(f); setGPU("NVIDIA L40S", 8, 9)(f) }},
		{name: "cu126 torch 2.8 on Ada (binary compatible within a major)", id: "torch.arch.gpu0", want: model.Pass,
			mutate: func(f *model.Facts) { setTorch("2.8.0+cu126", "12.6")(f); setGPU("NVIDIA L40S", 8, 9)(f) }},
		{name: "cu129 release wheel has no PTX for a newer GPU", id: "torch.arch.gpu0", want: model.Fail, evidence: []string{"cc 13.0 is not covered"},
			mutate: func(f *model.Facts) { setTorch("2.8.0+cu129", "12.9")(f); setGPU("Future", 13, 0)(f) }},
		{name: "CPU-only build", id: "torch.arch.gpu0", want: model.Skip, mutate: setTorch("2.11.0+cpu", "")},
		{name: "no arch list for the build", id: "torch.arch.gpu0", want: model.Skip, mutate: setTorch("1.13.1+cu117", "10.2")},
		{name: "no torch", id: "torch.arch.gpu0", want: model.Skip, mutate: func(f *model.Facts) { f.Torch = nil }},
		{name: "cc unknown", id: "torch.arch.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Info.CCMajor = model.None[int]() }},
	})
}

func TestCCToolkitRule(t *testing.T) {
	setGPU := func(name string, cc1, cc2 int) func(*model.Facts) {
		return func(f *model.Facts) { f.NVML.GPUs[0].Info = gpuInfo(0, name, cc1, cc2, 32*gib, 32*gib) }
	}
	setToolkit := func(v string) func(*model.Facts) {
		return func(f *model.Facts) { f.NVCC.Version, f.CUDALink.Version = v, v }
	}
	runRuleCases(t, ccToolkitRule, []ruleCase{
		{name: "Hopper with 13.0", id: "cc.gpu0", want: model.Pass, evidence: []string{"Hopper", "nvcc 13.0", "supported"}},
		{name: "Hopper with 12.4", id: "cc.gpu0", want: model.Pass, evidence: []string{"supported from CUDA 11.8"},
			mutate: setToolkit("12.4")},
		{name: "Ada with 12.4", id: "cc.gpu0", want: model.Pass,
			mutate: func(f *model.Facts) { setGPU("NVIDIA L40S", 8, 9)(f); setToolkit("12.4")(f) }},
		{name: "Ada with 11.7 runs Ampere code", id: "cc.gpu0", want: model.Pass, evidence: []string{"compiles for cc 8.0, whose cubins run on cc 8.9"},
			mutate: func(f *model.Facts) { setGPU("NVIDIA L40S", 8, 9)(f); setToolkit("11.7")(f) }},
		{name: "Turing with 12.4 (first toolkit unconfirmed)", id: "cc.gpu0", want: model.Skip, evidence: []string{"not confirmed"},
			mutate: func(f *model.Facts) { setGPU("Tesla T4", 7, 5)(f); setToolkit("12.4")(f) }},
		{name: "Hopper with 11.7", id: "cc.gpu0", want: model.Fail, evidence: []string{"needs CUDA 11.8"},
			mutate: setToolkit("11.7")},
		{name: "Volta with 13.0", id: "cc.gpu0", want: model.Fail, evidence: []string{"removed in CUDA 13.0"}, fix: []string{"CUDA 12.9 toolkit"},
			mutate: setGPU("Tesla V100", 7, 0)},
		{name: "Volta with 12.9", id: "cc.gpu0", want: model.Pass, mutate: func(f *model.Facts) { setGPU("Tesla V100", 7, 0)(f); setToolkit("12.9")(f) }},
		{name: "Turing with 13.0", id: "cc.gpu0", want: model.Pass, mutate: setGPU("Tesla T4", 7, 5)},
		{name: "RTX 5090 with 12.6", id: "cc.gpu0", want: model.Fail, evidence: []string{"needs CUDA 12.8"},
			mutate: func(f *model.Facts) { setGPU("NVIDIA GeForce RTX 5090", 12, 0)(f); setToolkit("12.6")(f) }},
		{name: "B300 with 12.8 runs sm_100 code", id: "cc.gpu0", want: model.Pass, evidence: []string{"native cc 10.3 code needs CUDA 12.9"},
			mutate: func(f *model.Facts) { setGPU("NVIDIA B300", 10, 3)(f); setToolkit("12.8")(f) }},
		{name: "B300 with 12.6", id: "cc.gpu0", want: model.Fail, evidence: []string{"needs CUDA 12.8 or newer (12.9 for its own cc 10.3 targets)"}, fix: []string{"Install CUDA 12.8"},
			mutate: func(f *model.Facts) { setGPU("NVIDIA B300", 10, 3)(f); setToolkit("12.6")(f) }},
		{name: "Kepler with 12.0", id: "cc.gpu0", want: model.Fail, evidence: []string{"removed in CUDA 12.0"}, fix: []string{"CUDA 11.8 toolkit"},
			mutate: func(f *model.Facts) { setGPU("Tesla K80", 3, 7)(f); setToolkit("12.0")(f) }},
		{name: "two toolkits, one too old", id: "cc.gpu0", want: model.Fail, evidence: []string{"/usr/local/cuda 12.4"},
			mutate: func(f *model.Facts) {
				setGPU("NVIDIA GeForce RTX 5090", 12, 0)(f)
				f.NVCC.Version, f.CUDALink.Version = "12.8", "12.4"
			}},
		{name: "no toolkit", id: "cc.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVCC = model.NVCCFacts{}; f.CUDALink = model.CUDAInstall{} }},
		{name: "cc not in table", id: "cc.gpu0", want: model.Skip, mutate: setGPU("Future", 15, 0)},
		{name: "cc unknown", id: "cc.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Info.CCMinor = model.None[int]() }},
	})
}
