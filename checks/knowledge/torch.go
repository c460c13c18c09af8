package knowledge

import (
	"strconv"
	"strings"
)

// TorchWheel is one PyTorch release line built for one CUDA tag: the GPU
// architectures it carries kernels for (TORCH_CUDA_ARCH_LIST of
// .ci/manywheel/build_cuda.sh at the release) and the cuDNN it installs.
type TorchWheel struct {
	Torch   string `json:"torch"`    // major.minor, "2.8"
	CUDATag string `json:"cuda_tag"` // "cu128"
	Archs   []int  `json:"archs"`    // compute capabilities with cubins
	PTX     int    `json:"ptx,omitempty"`
	Provenance
	// Cudnn is the cuDNN the wheel installs ("9.10.2"), "" when unknown.
	Cudnn     string     `json:"cudnn,omitempty"`
	CudnnProv Provenance `json:"cudnn_prov"`
}

// CUDA is the wheel's CUDA major.minor ("12.8").
func (w TorchWheel) CUDA() Version { v, _ := CUDAOfTag(w.CUDATag); return v }

// Index is the wheel index users install it from.
func (w TorchWheel) Index() string { return "https://download.pytorch.org/whl/" + w.CUDATag }

// ArchList renders the architectures ("sm_75, sm_80, ..., compute_120").
func (w TorchWheel) ArchList() string {
	var s []string
	for _, a := range w.Archs {
		s = append(s, "sm_"+strconv.Itoa(a))
	}
	if w.PTX != 0 {
		s = append(s, "compute_"+strconv.Itoa(w.PTX))
	}
	return strings.Join(s, ", ")
}

// Runs reports whether the wheel has code for a GPU of compute capability
// cc: a cubin of the same major and lower-or-equal minor, or PTX of an
// older compute capability the driver can compile.
func (w TorchWheel) Runs(cc int) (ok bool, viaPTX bool) {
	for _, a := range w.Archs {
		if CubinRuns(a, cc) {
			return true, false
		}
	}
	if w.PTX != 0 && cc >= w.PTX {
		return true, true
	}
	return false, false
}

// CUDATag turns a CUDA version into PyTorch's tag (12.8 -> "cu128").
func CUDATag(cuda Version) string {
	return "cu" + strconv.Itoa(cuda.Major()) + strconv.Itoa(cuda.Minor())
}

// CUDAOfTag turns "cu128" into 12.8.
func CUDAOfTag(tag string) (Version, bool) {
	t := strings.TrimPrefix(tag, "cu")
	if len(t) != 3 || t == tag {
		return Version{}, false
	}
	v, err := ParseVersion(t[:2] + "." + t[2:])
	return v, err == nil
}

var (
	a117   = []int{37, 50, 60, 70, 75, 80, 86}
	a118   = []int{37, 50, 60, 70, 75, 80, 86, 90}
	a12    = []int{50, 60, 70, 75, 80, 86, 90}
	a128v  = []int{70, 75, 80, 86, 90, 100, 120}
	a128   = []int{75, 80, 86, 90, 100, 120}
	srcTag = func(v string) string {
		return SrcTorchBuild + " at v" + v + ".0"
	}
	notRead = "arch list from PyTorch's build script history and release discussions, not read at the release tag"
)

func tw(torch, tag string, archs []int, ptx int, p Provenance, cudnn string) TorchWheel {
	return TorchWheel{Torch: torch, CUDATag: tag, Archs: archs, PTX: ptx, Provenance: p, Cudnn: cudnn,
		CudnnProv: unconfirmed("PyTorch wheel metadata (nvidia-cudnn-cu* pin)", "bundled cuDNN recalled, not read from the wheel metadata")}
}

func twu(torch, tag string, archs []int, ptx int, cudnn string) TorchWheel {
	return tw(torch, tag, archs, ptx, unconfirmed(srcTag(torch), notRead), cudnn)
}

var (
	prov28 = Provenance{Source: SrcTorch158700 + " (get_arch_list of the CUDA 12.8/12.9 build: sm_70..sm_120, compute_120); " + SrcTorch157517 + "; " + SrcTorchBuild + " on the 2.8 branch (12.6: 5.0;6.0;7.0;7.5;8.0;8.6;9.0, 12.8: 7.0;...;12.0, 12.9: ...;12.0+PTX)",
		Read: ReadOn, Verified: true, Note: "the 2.8.0 release notes word the removal as \"sm50 - sm70\"; the maintainers' build output and script keep sm_70"}
	prov29  = verified(SrcTorch164471 + ": RELEASE.md for 2.9: 12.6.3 Maxwell(5.0)..Hopper(9.0); 12.8.1 Volta(7.0)..Blackwell(10.0, 12.0); 13.0.0 Turing(7.5)..Blackwell(10.0, 12.0+PTX)")
	prov210 = verified(SrcTorch175253 + ": RELEASE.md \"For Release 2.9 and 2.10\" (same matrix as 2.9)")
	prov212 = verified(SrcTorch182849 + ": RELEASE.md for 2.12: 12.6.3 Maxwell..Hopper; 13.0.2 and 13.2.1 Turing(7.5)..Blackwell(10.0, 12.0+PTX); 12.8 removed")
	prov211 = verified(SrcTorch175253 + " and " + SrcTorch172352 + ": 12.6.3 Maxwell(5.0)..Hopper(9.0); 12.8.1 Turing(7.5)..Blackwell(10.0, 12.0); 13.0.2 Turing..Blackwell(10.0, 12.0+PTX)")
)

// Releases 2.0 to 2.5 were built by PyTorch's builder repository at the
// release branch of the same name (RELEASE.md: "A release branches should
// also be created in pytorch/builder and pinned in pytorch/pytorch"); the
// manywheel scripts moved into pytorch/pytorch only after 2.5.0
// (https://github.com/pytorch/pytorch/pull/138103, 2024-10-18).
func builderArchs(torch string) string {
	return "https://github.com/pytorch/builder/blob/release/" + torch + "/manywheel/build_cuda.sh (TORCH_CUDA_ARCH_LIST per CUDA version)"
}

func builderCudnn(torch, what string) Provenance {
	return verified("https://github.com/pytorch/builder/blob/release/" + torch + "/common/install_cuda.sh (" + what + ")")
}

// twb is a wheel built from pytorch/builder's release branch, its arch list
// read there; cudnn, when confirmed, is read from the same branch.
func twb(torch, tag string, archs []int, cudnn string, cp Provenance) TorchWheel {
	w := tw(torch, tag, archs, 0, verified(builderArchs(torch)), cudnn)
	if cp.Source != "" {
		w.CudnnProv = cp
	}
	return w
}

const (
	cudnn117 = "install_117: cudnn-linux-x86_64-8.5.0.96_cuda11"
	cudnn118 = "install_118: cudnn-linux-x86_64-8.7.0.84_cuda11"
	cudnn121 = "install_121: cudnn-linux-x86_64-8.9.2.26_cuda12"
	cudnn9   = "CUDNN_VERSION=9.1.0.70 for install_118, install_121 and install_124"
	// SrcTorch114758 adds 2.2 to RELEASE.md's Release Compatibility Matrix.
	srcTorch114758 = "https://github.com/pytorch/pytorch/pull/114758 (RELEASE.md: 2.2: CUDA 11.8, CUDNN 8.7.0.84; CUDA 12.1, CUDNN 8.9.2.26)"
	// The CUDA support RFCs of 2.6 and 2.7 state the CUDA 11.8 build of the
	// release before them.
	srcTorch138609 = "https://github.com/pytorch/pytorch/issues/138609 ([RFC] Cuda support matrix for Release 2.6: \"CUDA 11.8, CUDNN 9.1.0.70 - Same as Previous Release 2.5\")"
	srcTorch145544 = "https://github.com/pytorch/pytorch/issues/145544 ([RFC] Cuda support matrix for Release 2.7: \"CUDA 11.8, CUDNN 9.1.0.70 - Same as Previous Release 2.6\")"
	// SrcTorch143538 adds 2.6 to RELEASE.md's Release Compatibility Matrix.
	srcTorch143538 = "https://github.com/pytorch/pytorch/pull/143538 (RELEASE.md: 2.6: CUDA 12.4 (CUDNN 9.1.0.70), CUDA 12.6 (CUDNN 9.5.1.17))"
)

// srcNoPTX: PyTorch strips +PTX from release wheels; only nightlies carry
// it. RELEASE.md's "12.0+PTX (linux builds only)" for 2.9 .. 2.12 describes
// the build script, not the released wheels.
const srcNoPTX = "https://github.com/pytorch/pytorch/pull/188914 (\"Restore the pre-2.13 behavior where release/RC CUDA wheels ship without +PTX\"; 2.12.1 cu130 had none), " +
	"https://github.com/pytorch/pytorch/pull/175567 ([release-only] Remove +ptx from cuda 13.0 builds, 2.11), https://github.com/pytorch/pytorch/pull/145616 ([Release-Only] Remove ptx from Linux CUDA 12.6 binary builds, 2.6)"

// cudnn210: RELEASE.md first gave 2.10 cuDNN 9.10.2.21 (12.6, 12.8) and
// 9.13.0.50 (13.0), then changed 2.10's cuDNN to 9.15.1.9 without naming the
// builds in the PR text: the bundled cuDNN stays unconfirmed.
func cudnn210(w TorchWheel) TorchWheel {
	w.CudnnProv = unconfirmed("https://github.com/pytorch/pytorch/pull/170603 (RELEASE.md 2.10: CUDA 12.6 (CUDNN 9.10.2.21), CUDA 12.8 (CUDNN 9.10.2.21), CUDA 13.0 (CUDNN 9.13.0.50)); https://github.com/pytorch/pytorch/pull/173677 (Update release 2.10 CUDNN version to 9.15.1.9)",
		"RELEASE.md later changed 2.10's cuDNN to 9.15.1.9 without saying for which CUDA builds; which one each wheel pins was not read")
	return w
}

// releaseNoPTX marks a row whose build script adds +PTX for nightlies: the
// released wheel carries cubins only.
func releaseNoPTX(p Provenance) Provenance {
	p.Source += "; no PTX in release wheels: " + srcNoPTX
	note := "the build script's +PTX is stripped from release wheels (PyTorch's release-only changes), so no PTX is assumed"
	if p.Note != "" {
		note = p.Note + "; " + note
	}
	p.Note = note
	return p
}

var torchWheels = []TorchWheel{
	twb("2.0", "cu117", a117, "8.5.0", builderCudnn("2.0", cudnn117)),
	twb("2.0", "cu118", a118, "8.7.0", builderCudnn("2.0", cudnn118)),
	twb("2.1", "cu118", a118, "8.7.0", builderCudnn("2.1", cudnn118)),
	twb("2.1", "cu121", a12, "8.9.2", builderCudnn("2.1", cudnn121)),
	twb("2.2", "cu118", a118, "8.7.0", verified(srcTorch114758)),
	twb("2.2", "cu121", a12, "8.9.2", verified(srcTorch114758)),
	twb("2.3", "cu118", a118, "8.7.0", builderCudnn("2.3", cudnn118)),
	twb("2.3", "cu121", a12, "8.9.2", builderCudnn("2.3", cudnn121)),
	twb("2.4", "cu118", a118, "9.1.0", builderCudnn("2.4", cudnn9)),
	twb("2.4", "cu121", a12, "9.1.0", builderCudnn("2.4", cudnn9)),
	twb("2.4", "cu124", a12, "9.1.0", builderCudnn("2.4", cudnn9)),
	// release/2.5 of pytorch/builder no longer installs cuDNN itself; the
	// CUDA 11.8 builds of 2.5 and 2.6 are named by the next release's RFC.
	twb("2.5", "cu118", a118, "9.1.0", verified(srcTorch138609)), twb("2.5", "cu121", a12, "9.1.0", Provenance{}), twb("2.5", "cu124", a12, "9.1.0", Provenance{}),
	func() TorchWheel {
		w := twu("2.6", "cu118", a118, 0, "9.1.0")
		w.CudnnProv = verified(srcTorch145544)
		return w
	}(),
	func() TorchWheel {
		w := twu("2.6", "cu124", a12, 0, "9.1.0")
		w.CudnnProv = verified(srcTorch143538)
		return w
	}(),
	func() TorchWheel {
		w := twu("2.6", "cu126", a12, 0, "9.5.1")
		w.CudnnProv = verified(srcTorch143538)
		return w
	}(),
	twu("2.7", "cu118", a118, 0, "9.1.0"), twu("2.7", "cu126", a12, 0, "9.5.1"),
	tw("2.7", "cu128", a128, 0, unconfirmed(SrcTorch146265+"; "+srcTag("2.7"), "sm_50/60/70 removed from the CUDA 12.8 builds before 2.7 per the PR discussion; not read at the tag"), "9.7.1"),
	tw("2.8", "cu126", a12, 0, prov28, "9.10.2"), tw("2.8", "cu128", a128v, 0, prov28, "9.10.2"), tw("2.8", "cu129", a128v, 0, releaseNoPTX(prov28), "9.10.2"),
	tw("2.9", "cu126", a12, 0, prov29, "9.10.2"), tw("2.9", "cu128", a128v, 0, prov29, "9.10.2"), tw("2.9", "cu130", a128, 0, releaseNoPTX(prov29), "9.13.0"),
	cudnn210(tw("2.10", "cu126", a12, 0, prov210, "9.10.2")), cudnn210(tw("2.10", "cu128", a128v, 0, prov210, "9.10.2")), tw("2.10", "cu130", a128, 0, releaseNoPTX(prov210), ""),
	func() TorchWheel {
		w := tw("2.11", "cu126", a12, 0, prov211, "9.10.2")
		w.CudnnProv = verified("https://github.com/pytorch/pytorch/issues/172663 (2.11 legacy CUDA 12.6: CUDNN 9.10.2.21)")
		return w
	}(),
	tw("2.11", "cu128", a128, 0, prov211, ""),
	func() TorchWheel {
		w := tw("2.11", "cu130", a128, 0, releaseNoPTX(prov211), "9.19.0")
		w.CudnnProv = verified(SrcMeasuredH200)
		return w
	}(),
	tw("2.12", "cu126", a12, 0, prov212, ""), tw("2.12", "cu130", a128, 0, releaseNoPTX(prov212), ""), tw("2.12", "cu132", a128, 0, releaseNoPTX(prov212), ""),
}

// TorchWheels returns every row.
func TorchWheels() []TorchWheel { return append([]TorchWheel(nil), torchWheels...) }

// TorchWheelFor finds the wheel of a torch version ("2.8.0", "2.8.0+cu128")
// and CUDA tag ("cu128").
func TorchWheelFor(torch Version, cudaTag string) (TorchWheel, bool) {
	mm := torch.MajorMinor()
	for _, w := range torchWheels {
		if MustVersion(w.Torch).Compare(mm) == 0 && w.CUDATag == cudaTag {
			return w, true
		}
	}
	return TorchWheel{}, false
}

// TorchTags lists the CUDA tags a torch major.minor was built for.
func TorchTags(torch Version) []TorchWheel {
	return sameMinor(torchWheels, torch, func(w TorchWheel) string { return w.Torch })
}

// NewestTorch is the newest torch major.minor in the table.
func NewestTorch() string { return torchWheels[len(torchWheels)-1].Torch }

// WheelDriverFloor is the minimum driver of a wheel's CUDA tag: the CUDA
// major's minor-version floor (PyTorch wheels bundle their CUDA runtime).
func WheelDriverFloor(cudaTag string) (MinorFloor, bool) {
	v, ok := CUDAOfTag(cudaTag)
	if !ok {
		return MinorFloor{}, false
	}
	return Floor(v.Major())
}
