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

// TRTCudnn is the cuDNN a TensorRT 8 release was built and tested with:
// the "Supported cuDNN versions" line of its support matrix, Linux x86-64
// column. TensorRT 10 made cuDNN optional and has no such row.
type TRTCudnn struct {
	// Min and Max bound the TensorRT versions the row covers (inclusive).
	Min, Max string `json:"-"`
	Cudnn    string `json:"cudnn"` // "8.9.0"
	CUDA     string `json:"cuda"`  // the CUDA range the matrix lists, as text
	Provenance
}

// Range renders the covered TensorRT versions.
func (r TRTCudnn) Range() string {
	if r.Min == r.Max {
		return r.Min
	}
	return r.Min + " .. " + r.Max
}

func trtMatrix(dir, what string) string {
	return "https://docs.nvidia.com/deeplearning/tensorrt/archives/" + dir + "/support-matrix/index.html (" + what + ")"
}

var trtCudnnRows = []TRTCudnn{
	{Min: "8.0.0", Max: "8.0.0", Cudnn: "8.2.0", CUDA: "11.3 update 1",
		Provenance: verified(trtMatrix("tensorrt-800-ea", "8.0.0 EA, Linux x86-64: Supported cuDNN versions cuDNN 8.2.0"))},
	{Min: "8.0.1", Max: "8.0.99", Cudnn: "8.2.1", CUDA: "10.2, 11.0 update 1 - 11.3 update 1",
		Provenance: verified(trtMatrix("tensorrt-803", "8.0.x GA, Linux x86-64: Supported cuDNN versions cuDNN 8.2.1"))},
	{Min: "8.2.0", Max: "8.2.4", Cudnn: "8.2.1", CUDA: "10.2, 11.0 update 1 - 11.5 update 2",
		Provenance: unconfirmed(trtMatrix("tensorrt-825", "read for 8.2.5; the 8.2.0-8.2.4 matrices were not read"), "the 8.2.5 matrix heads its column 8.2.x; the same cuDNN 8.2.1 assumed for 8.2.0-8.2.4")},
	{Min: "8.2.5", Max: "8.2.99", Cudnn: "8.2.1", CUDA: "10.2, 11.0 update 1 - 11.5 update 2",
		Provenance: verified(trtMatrix("tensorrt-825", "8.2.x, Linux x86-64: Supported cuDNN versions cuDNN 8.2.1"))},
	{Min: "8.4.0", Max: "8.4.0", Cudnn: "8.4.1", CUDA: "10.2, 11.0 update 1 - 11.6",
		Provenance: unconfirmed(trtMatrix("tensorrt-841", "read for 8.4.1; the 8.4.0 EA matrix was not read"), "8.4.0 EA assumed like 8.4.1")},
	{Min: "8.4.1", Max: "8.4.99", Cudnn: "8.4.1", CUDA: "10.2, 11.0 update 1 - 11.7 update 1",
		Provenance: verified(trtMatrix("tensorrt-841", "8.4.x, Linux x86-64: Supported cuDNN versions cuDNN 8.4.1") + "; " + trtMatrix("tensorrt-843", "the same for 8.4.3"))},
	{Min: "8.5.0", Max: "8.5.2", Cudnn: "8.6.0", CUDA: "10.2, 11.0 update 1 - 11.8",
		Provenance: unconfirmed(trtMatrix("tensorrt-853", "read for 8.5.3; the 8.5.1 and 8.5.2 matrices were not read"), "the 8.5.3 matrix heads its column 8.5.x; the same cuDNN 8.6.0 assumed for 8.5.1-8.5.2")},
	{Min: "8.5.3", Max: "8.5.99", Cudnn: "8.6.0", CUDA: "10.2, 11.0 update 1 - 11.8",
		Provenance: verified(trtMatrix("tensorrt-853", "8.5.x, Linux x86-64: Supported cuDNN versions cuDNN 8.6.0"))},
	{Min: "8.6.0", Max: "8.6.0", Cudnn: "8.9.0", CUDA: "11.0 update 1 - 12.0 update 1",
		Provenance: unconfirmed(trtMatrix("tensorrt-861", "read for 8.6.1; the 8.6.0 EA matrix was not read"), "8.6.0 EA assumed like 8.6.1")},
	{Min: "8.6.1", Max: "8.6.99", Cudnn: "8.9.0", CUDA: "11.0 update 1 - 12.1 update 1",
		Provenance: verified(trtMatrix("tensorrt-861", "8.6.x, Linux x86-64: Supported cuDNN versions cuDNN 8.9.0"))},
}

// TensorRTCudnnRows returns every row.
func TensorRTCudnnRows() []TRTCudnn { return append([]TRTCudnn(nil), trtCudnnRows...) }

// TensorRTCudnn finds the cuDNN a TensorRT release was built with; ok is
// false for releases the table does not cover (TensorRT 10 and newer, 8.3,
// 7 and older).
func TensorRTCudnn(trt Version) (TRTCudnn, bool) {
	if trt.IsZero() {
		return TRTCudnn{}, false
	}
	// Major.minor.patch only: 8.2.4.2 is release 8.2.4.
	v := Version{parts: []int{trt.part(0), trt.part(1), trt.part(2)}}
	for _, r := range trtCudnnRows {
		if v.Compare(MustVersion(r.Min)) >= 0 && v.Compare(MustVersion(r.Max)) <= 0 {
			return r, true
		}
	}
	return TRTCudnn{}, false
}
