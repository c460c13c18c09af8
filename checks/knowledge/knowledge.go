// Package knowledge is the compatibility knowledge the checklist judges
// with, kept as data: CUDA toolkits and the drivers they need, GPU
// architectures and PCI device ids, driver branches and their lifecycle,
// cuDNN builds, PyTorch wheels and BAR1 apertures.
//
// Every row carries its Provenance: where it was read, when, and whether a
// primary source (NVIDIA's or PyTorch's own documents, or a measurement on a
// real machine) confirms it. A rule may only pass on rows whose Verified is
// true; an unconfirmed row can at most warn or skip, and says so.
//
// Lookups are typed and never match by substring: versions compare
// component by component, model names match exactly.
package knowledge

// ReadOn is the date the rows of this package were read from their sources.
const ReadOn = "2026-11-30"

// Provenance says where a row comes from.
type Provenance struct {
	// Source names the document (URL or title) the row was read from.
	Source string `json:"source"`
	// Read is the date the source was read (YYYY-MM-DD).
	Read string `json:"read"`
	// Verified: a primary source read on Read confirms the row. False rows
	// come from secondary material or inference and must never yield a pass.
	Verified bool `json:"verified"`
	// Note says what is uncertain or inferred, when anything is.
	Note string `json:"note,omitempty"`
}

// Confirmed reports whether the row may support a pass.
func (p Provenance) Confirmed() bool { return p.Verified && p.Source != "" }

func verified(src string) Provenance { return Provenance{Source: src, Read: ReadOn, Verified: true} }

func unconfirmed(src, note string) Provenance {
	return Provenance{Source: src, Read: ReadOn, Note: note}
}

// Sources, named once so that a result can cite each one once.
const (
	SrcCUDANotes      = "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/ (CUDA Toolkit and Corresponding Driver Versions)"
	SrcCUDA134Notes   = "https://docs.nvidia.com/cuda/archive/13.4.1/cuda-toolkit-release-notes/index.html"
	SrcMinorCompat    = "https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html"
	SrcForwardCompat  = "https://docs.nvidia.com/deploy/cuda-compatibility/forward-compatibility.html"
	SrcProjectRef     = "CUDA release notes, CUDA Toolkit and Corresponding Driver Versions (as transcribed)"
	SrcKernelModules  = "https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/kernel-modules.html"
	SrcDeprecation    = "https://forums.developer.nvidia.com/t/unix-graphics-feature-deprecation-schedule/60588"
	SrcCUDADeprecated = "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html#deprecated-architectures (quoted in https://github.com/pytorch/pytorch/issues/157517)"
	SrcCCTable        = "https://developer.nvidia.com/cuda-gpus (compute capability table)"
	SrcBlackwellGuide = "https://docs.nvidia.com/cuda/blackwell-compatibility-guide"
	SrcLifecycle620   = "https://docs.nvidia.com/datacenter/tesla/drivers/620/supported-drivers-and-cuda-toolkit-versions.html"
	SrcLifecycle615   = "https://docs.nvidia.com/datacenter/tesla/drivers/615/supported-drivers-and-cuda-toolkit-versions.html"
	SrcLifecycle580   = "https://docs.nvidia.com/datacenter/tesla/drivers/supported-drivers-and-cuda-toolkit-versions.html (R580 edition)"
	SrcLifecycle2021  = "https://docs.nvidia.com/datacenter/tesla/pdf/NVIDIA_CUDA_Drivers_Support.pdf (March 2021)"
	SrcPCIIDs         = "third-party PCI ID ranges per GPU die (pci-ids.ucw.cz), not the driver README"
	SrcTorch157517    = "https://github.com/pytorch/pytorch/issues/157517"
	SrcTorch158700    = "https://github.com/pytorch/pytorch/pull/158700"
	SrcTorch172352    = "https://github.com/pytorch/pytorch/issues/172352 (PyTorch 2.11 CUDA support matrix)"
	SrcTorch146265    = "https://github.com/pytorch/pytorch/pull/146265"
	SrcTorch164471    = "https://github.com/pytorch/pytorch/pull/164471"
	SrcTorch175253    = "https://github.com/pytorch/pytorch/pull/175253"
	SrcTorch182849    = "https://github.com/pytorch/pytorch/pull/182849"
	SrcTorchBuild     = "PyTorch .ci/manywheel/build_cuda.sh"
	SrcMeasuredH100   = "measured on an H100 80GB HBM3 VM (nvidia-smi -q / NVML)"
	SrcMeasuredH200   = "measured on an H200 VM (nvidia-smi -q / NVML; pip nvidia-cudnn 9.19.0 loaded by torch 2.11.0+cu130)"
	SrcPublicDumps    = "public nvidia-smi -q dumps (secondary)"
	SrcReBAR          = "https://www.nvidia.com/en-us/geforce/news/geforce-rtx-30-series-resizable-bar-support/"
	SrcHoloscan       = "NVIDIA Holoscan SDK performance tuning (Display Mode Selector)"
)
