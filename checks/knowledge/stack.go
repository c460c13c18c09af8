package knowledge

// Sources for the stack above PyTorch: TensorRT, NCCL, JAX, TensorFlow.
const (
	SrcTensorRTMatrix = "https://docs.nvidia.com/deeplearning/tensorrt/latest/getting-started/support-matrix.html (\"Driver Requirements: Refer to the NVIDIA CUDA Release Notes\"; one build per CUDA major, e.g. 10.14: CUDA 13.0 update 2 and 12.6 update 3)"
	SrcNCCLEnv        = "https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html"
	SrcTorchRPATH     = SrcTorchBuild + " (wheels built against pip NVIDIA libraries set RPATH $ORIGIN/../../nvidia/nccl/lib, .../cudnn/lib)"
	SrcJAXInstall     = "https://docs.jax.dev/en/latest/installation.html"
	SrcTFTested       = "https://www.tensorflow.org/install/source#gpu (tested build configurations)"
	SrcPipMetadata    = "the package's own METADATA (Requires-Dist) and the wheel file name it was installed from (direct_url.json)"
)

// ProvTensorRTDriver: TensorRT defers its driver requirement to the CUDA
// release notes of the CUDA major it was built for.
var ProvTensorRTDriver = verified(SrcTensorRTMatrix)

// ProvNCCLEnv is the source of the NCCL variable list.
var ProvNCCLEnv = verified(SrcNCCLEnv)

// ProvTorchRPATH: which NCCL and cuDNN a PyTorch wheel loads.
var ProvTorchRPATH = verified(SrcTorchRPATH)

// ProvPipMetadata: a package's own requirements.
var ProvPipMetadata = verified(SrcPipMetadata)

// TFBuild is the CUDA and cuDNN a TensorFlow release was built and tested
// with (its pip wheel installs the matching nvidia-* packages).
type TFBuild struct {
	TF    string `json:"tf"` // major.minor
	CUDA  string `json:"cuda"`
	Cudnn string `json:"cudnn"`
	Provenance
}

// srcTFDocs is the source of the page SrcTFTested publishes, at the commit
// read: its "Linux > GPU" table lists cuDNN and CUDA per tensorflow-X.Y.Z.
const srcTFDocs = "https://github.com/tensorflow/docs/blob/7c3650212740204359d4ceae481abc79345541be/site/en/install/source.md (Linux GPU tested build configurations, published at " + SrcTFTested + ")"

func tf(v, cuda, cudnn string) TFBuild {
	return TFBuild{TF: v, CUDA: cuda, Cudnn: cudnn, Provenance: verified(srcTFDocs)}
}

var tfBuilds = []TFBuild{
	tf("2.12", "11.8", "8.6"), tf("2.13", "11.8", "8.6"), tf("2.14", "11.8", "8.7"),
	tf("2.15", "12.2", "8.9"), tf("2.16", "12.3", "8.9"), tf("2.17", "12.3", "8.9"),
	tf("2.18", "12.5", "9.3"), tf("2.19", "12.5", "9.3"), tf("2.20", "12.5", "9.3"), tf("2.21", "12.5", "9.3"),
}

// TFBuilds returns every row.
func TFBuilds() []TFBuild { return append([]TFBuild(nil), tfBuilds...) }

// TensorFlowBuild finds the CUDA a TensorFlow version was built with.
func TensorFlowBuild(v Version) (TFBuild, bool) {
	mm := v.MajorMinor()
	for _, r := range tfBuilds {
		if MustVersion(r.TF).Compare(mm) == 0 {
			return r, true
		}
	}
	return TFBuild{}, false
}

// TensorRTMinCC is the lowest compute capability a TensorRT build runs on:
// TensorRT 10 is "compiled to support all NVIDIA hardware with capability
// SM 7.0 or higher" (10.1.0 support matrix); a build for CUDA 13 cannot go
// below Turing, the oldest architecture CUDA 13 compiles for. ok is false
// for releases the table does not cover (TensorRT 8 and older).
func TensorRTMinCC(trt Version, cudaMajor int) (cc int, p Provenance, ok bool) {
	if trt.Major() < 10 {
		return 0, Provenance{}, false
	}
	if cudaMajor >= 13 {
		return 75, provCUDA13, true
	}
	return 70, verified("https://docs.nvidia.com/deeplearning/tensorrt/archives/tensorrt-1010/support-matrix/index.html (\"compiled to support all NVIDIA hardware with capability SM 7.0 or higher\")"), true
}
