package model

// StackFacts is the layer above the driver, the toolkit, cuDNN and PyTorch
// that deployments add: TensorRT, NCCL, other frameworks (JAX, TensorFlow),
// compiled extensions built against a given torch (vLLM, flash-attn,
// xformers, bitsandbytes), and the CUDA a container image declares.
type StackFacts struct {
	// Probed is false in recordings made before this probe existed: rules
	// then skip instead of reading "nothing installed".
	Probed   bool              `json:"probed"`
	TensorRT []LibraryInstall  `json:"tensorrt"`
	NCCL     []LibraryInstall  `json:"nccl"`
	Wheels   []WheelInstall    `json:"wheels"`   // Python distributions of interest
	NCCLEnv  map[string]string `json:"nccl_env"` // NCCL_* variables that are set
	Image    ImageFacts        `json:"image"`
}

// LibraryInstall is one install of a versioned NVIDIA library (TensorRT,
// NCCL), found by its header, its library file, a Debian package or a pip
// wheel.
type LibraryInstall struct {
	// Origin: "header", "library", "deb", "pip".
	Origin  string `json:"origin"`
	Path    string `json:"path"`              // the file or dist-info read
	Version string `json:"version,omitempty"` // "10.3.0"
	// CUDAMajor is the CUDA major the build is for, when the package name
	// or version says (tensorrt_cu12, libnccl2 2.21.5-1+cuda12.4).
	CUDAMajor Opt[int] `json:"cuda_major"`
	// CUDA is the full CUDA version a Debian package names ("12.4").
	CUDA  string `json:"cuda,omitempty"`
	Error string `json:"error,omitempty"`
}

// WheelInstall is one installed Python distribution, read from its
// dist-info (never imported).
type WheelInstall struct {
	Name    string `json:"name"`    // normalised: "flash_attn", "jax_cuda12_plugin"
	Version string `json:"version"` // "2.7.4.post1"
	Path    string `json:"path"`    // the .dist-info directory
	// RequiresTorch is the torch requirement in its METADATA ("==2.5.1"),
	// "" when it names none.
	RequiresTorch string `json:"requires_torch,omitempty"`
	// BuiltFor is the local version tag of the wheel file it was installed
	// from (direct_url.json: "cu12torch2.5cxx11abiFALSE"), "" when unknown.
	BuiltFor string `json:"built_for,omitempty"`
	Error    string `json:"error,omitempty"`
}

// ImageFacts is what an NVIDIA CUDA container image declares in its
// environment (nvidia/cuda and the images built on it).
type ImageFacts struct {
	CUDAVersion string `json:"cuda_version,omitempty"` // CUDA_VERSION "12.4.1"
	// RequireCUDA is NVIDIA_REQUIRE_CUDA ("cuda>=12.4 brand=tesla,driver>=470,driver<471 ..."),
	// the constraint the NVIDIA container toolkit enforces at start.
	RequireCUDA    string `json:"require_cuda,omitempty"`
	DisableRequire string `json:"disable_require,omitempty"` // NVIDIA_DISABLE_REQUIRE
}
