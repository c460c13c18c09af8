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
		{name: "conda location is unverified", id: "cudnn.installs", want: model.Pass, evidence: []string{"conda 9.14.0", "UNVERIFIED"},
			mutate: func(f *model.Facts) {
				f.CuDNN[0].Origin, f.CuDNN[0].Header = "conda", "/opt/conda/include/cudnn_version.h"
			}},
		{name: "none", id: "cudnn.installs", want: model.Skip,
			mutate: func(f *model.Facts) { f.CuDNN = nil }},
	})
}

func TestCuDNNCompatRule(t *testing.T) {
	runRuleCases(t, cudnnCompatRule, []ruleCase{
		{name: "9.14 for CUDA 13 on 580", id: "cudnn.system", want: model.Pass, evidence: []string{"needs driver >= 580.65.06", "support-matrix"}},
		{name: "CUDA 13 build on a 575 driver", id: "cudnn.system", want: model.Fail, evidence: []string{"driver 575.57.08 (NVML) is older"},
			mutate: func(f *model.Facts) { f.NVML.DriverVersion = "575.57.08" }},
		{name: "CUDA 12 build beside a CUDA 13 toolkit", id: "cudnn.system", want: model.Warn, evidence: []string{"built for CUDA 12 but the CUDA toolkit beside it is CUDA 13"},
			mutate: func(f *model.Facts) { f.CuDNN[0].CUDAMajor = model.Some(12) }},
		{name: "pip build for another CUDA than torch", id: "cudnn.pip", want: model.Warn, evidence: []string{"PyTorch's CUDA runtime"},
			mutate: func(f *model.Facts) { f.CuDNN = append(f.CuDNN, pipCuDNN("9.19.0", 12)) }},
		{name: "second pip install gets its own id", id: "cudnn.pip.2", want: model.Pass,
			mutate: func(f *model.Facts) { f.CuDNN = append(f.CuDNN, pipCuDNN("9.19.0", 13), pipCuDNN("9.19.0", 13)) }},
		{name: "9.1 on Blackwell", id: "cudnn.pip", want: model.Fail, evidence: []string{"no Blackwell kernels"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs = append(f.NVML.GPUs, blackwell(1))
				f.Torch[0].CUDA = "12.4"
				f.CuDNN = append(f.CuDNN, pipCuDNN("9.1.0", 12))
			}},
		{name: "9.10 CUDA 12 on Blackwell", id: "cudnn.pip", want: model.Pass,
			mutate: func(f *model.Facts) {
				f.NVML.GPUs = append(f.NVML.GPUs, blackwell(1))
				f.Torch[0].CUDA = "12.8"
				f.CuDNN = append(f.CuDNN, pipCuDNN("9.10.2", 12))
			}},
		{name: "CUDA 13 build below cc 7.5", id: "cudnn.system", want: model.Fail, evidence: []string{"below 7.5"},
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Info = gpuInfo(0, "Tesla V100-SXM2-32GB", 7, 0, 32*gib, 32*gib) }},
		{name: "unknown CUDA build judged by the easiest row", id: "cudnn.system", want: model.Pass, evidence: []string{"CUDA build unknown", "525.60.13"},
			mutate: func(f *model.Facts) { f.CuDNN[0].CUDAMajor = model.None[int]() }},
		{name: "cuDNN 7 not in the table", id: "cudnn.system", want: model.Warn, evidence: []string{"no row"},
			mutate: func(f *model.Facts) {
				f.CuDNN[0] = model.CuDNNInstall{Header: "/usr/include/cudnn.h", Origin: "system", Version: "7.6.5", CUDAMajor: model.Some(10)}
			}},
		{name: "unreadable header", id: "cudnn.system", want: model.Warn, evidence: []string{"version unreadable"},
			mutate: func(f *model.Facts) { f.CuDNN[0].Version, f.CuDNN[0].Error = "", "no CUDNN_MAJOR" }},
	})
}

func TestTorchInstallRule(t *testing.T) {
	runRuleCases(t, torchInstallRule, []ruleCase{
		{name: "cu130 on 580", id: "torch.install", want: model.Pass, evidence: []string{"torch 2.11.0+cu130", "version.py", ">= 580.65.06", "RELEASE.md"}},
		{name: "cu130 on 575", id: "torch.install", want: model.Fail, evidence: []string{"driver 575.57.08"},
			mutate: func(f *model.Facts) { f.NVML.DriverVersion = "575.57.08" }},
		{name: "cu118 on 450.80.02", id: "torch.install", want: model.Pass,
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "450.80.02"
				f.Torch[0].CUDA = "11.8"
				f.Torch[0].Version = "2.3.1+cu118"
			}},
		{name: "cu124 with a Blackwell GPU", id: "torch.install", want: model.Fail, evidence: []string{"need a cu128+ wheel"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs = append(f.NVML.GPUs, blackwell(1))
				f.Torch[0].CUDA, f.Torch[0].Version = "12.4", "2.5.1+cu124"
			}},
		{name: "cu128 with a Blackwell GPU on 565", id: "torch.install", want: model.Fail, evidence: []string{"need driver R570+"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "565.57.01"
				f.NVML.GPUs = append(f.NVML.GPUs, blackwell(1))
				f.Torch[0].CUDA, f.Torch[0].Version = "12.8", "2.8.0+cu128"
			}},
		{name: "CPU-only build with GPUs", id: "torch.install", want: model.Warn, evidence: []string{"CPU-only"},
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
	runRuleCases(t, torchArchRule, []ruleCase{
		{name: "cu130 on Hopper", id: "torch.arch.gpu0", want: model.Pass, evidence: []string{"sm_75..sm_121", "UNVERIFIED", "cc 9.0"}},
		{name: "cu124 on RTX 5090", id: "torch.arch.gpu0", want: model.Fail, evidence: []string{"no kernel image is available"},
			mutate: func(f *model.Facts) {
				setTorch("2.5.1+cu124", "12.4")(f)
				f.NVML.GPUs[0].Info = gpuInfo(0, "NVIDIA GeForce RTX 5090", 12, 0, 32*gib, 32*gib)
			}},
		{name: "cu128 torch 2.8 on RTX 5090", id: "torch.arch.gpu0", want: model.Pass, evidence: []string{"sm_75..sm_120", "RELEASE.md"},
			mutate: func(f *model.Facts) {
				setTorch("2.8.0+cu128", "12.8")(f)
				f.NVML.GPUs[0].Info = gpuInfo(0, "NVIDIA GeForce RTX 5090", 12, 0, 32*gib, 32*gib)
			}},
		{name: "cu128 torch 2.8 on V100", id: "torch.arch.gpu0", want: model.Fail, evidence: []string{"cc 7.0 is not covered"},
			mutate: func(f *model.Facts) {
				setTorch("2.8.0+cu128", "12.8")(f)
				f.NVML.GPUs[0].Info = gpuInfo(0, "Tesla V100-SXM2-32GB", 7, 0, 32*gib, 32*gib)
			}},
		{name: "cu128 torch 2.7 is unverified", id: "torch.arch.gpu0", want: model.Pass, evidence: []string{"UNVERIFIED"},
			mutate: setTorch("2.7.1+cu128", "12.8")},
		{name: "cu126 on Ada (binary compatible within a major)", id: "torch.arch.gpu0", want: model.Pass,
			mutate: func(f *model.Facts) {
				setTorch("2.6.0+cu126", "12.6")(f)
				f.NVML.GPUs[0].Info = gpuInfo(0, "NVIDIA L40S", 8, 9, 48*gib, 64*gib)
			}},
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
		{name: "Volta with 13.0", id: "cc.gpu0", want: model.Fail, evidence: []string{"removed in CUDA 13.0"}, mutate: setGPU("Tesla V100", 7, 0)},
		{name: "Volta with 12.9", id: "cc.gpu0", want: model.Pass, mutate: func(f *model.Facts) { setGPU("Tesla V100", 7, 0)(f); setToolkit("12.9")(f) }},
		{name: "Turing with 13.0", id: "cc.gpu0", want: model.Pass, mutate: setGPU("Tesla T4", 7, 5)},
		{name: "RTX 5090 with 12.6", id: "cc.gpu0", want: model.Fail, evidence: []string{"needs CUDA 12.8"},
			mutate: func(f *model.Facts) { setGPU("NVIDIA GeForce RTX 5090", 12, 0)(f); setToolkit("12.6")(f) }},
		{name: "B300 with 12.8", id: "cc.gpu0", want: model.Fail, evidence: []string{"needs CUDA 12.9"},
			mutate: func(f *model.Facts) { setGPU("NVIDIA B300", 10, 3)(f); setToolkit("12.8")(f) }},
		{name: "Kepler with 12.0", id: "cc.gpu0", want: model.Fail, evidence: []string{"removed in CUDA 12.0"},
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
