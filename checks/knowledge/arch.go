package knowledge

import "strconv"

// ModuleSupport says which kernel-module flavour drives an architecture.
type ModuleSupport string

const (
	ProprietaryOnly ModuleSupport = "proprietary-only" // pre-Turing: the open modules need the GSP
	EitherModule    ModuleSupport = "either"           // Turing and newer, before Blackwell
	OpenOnly        ModuleSupport = "open-only"        // Blackwell
)

// Arch is one compute capability and what it needs. Each group of facts
// carries its own provenance: the compute capability, the toolkit range,
// the driver branch range and the kernel module flavour are stated by
// different documents.
type Arch struct {
	CC     int    `json:"cc"`     // major*10+minor: 90 = 9.0
	Family string `json:"family"` // "Hopper"
	Name   string `json:"name"`   // "Hopper (H100/H200)"

	// FirstToolkit is the first CUDA toolkit that compiles for it ("" when
	// older than CUDA 11); RemovedIn the first that no longer does.
	FirstToolkit string     `json:"first_toolkit,omitempty"`
	ToolkitProv  Provenance `json:"toolkit_prov"`
	RemovedIn    string     `json:"removed_in,omitempty"`
	RemovedProv  Provenance `json:"removed_prov"`

	// MinBranch is the first driver branch that drives it (0 unknown or
	// older than the table); LastBranch the last (0 = still current).
	MinBranch  int        `json:"min_branch,omitempty"`
	LastBranch int        `json:"last_branch,omitempty"`
	BranchProv Provenance `json:"branch_prov"`

	Module     ModuleSupport `json:"module"`
	ModuleProv Provenance    `json:"module_prov"`
}

// CCString renders a compute capability code ("9.0", "12.0").
func CCString(cc int) string { return strconv.Itoa(cc/10) + "." + strconv.Itoa(cc%10) }

var (
	provCCTable = unconfirmed(SrcCCTable, "compute capability and first toolkit as transcribed from NVIDIA's table, not re-read from it")
	// NVIDIA's CUDA samples at the tag of one toolkit build every sample for
	// the SMS list of their Makefiles with that toolkit: a positive reading
	// that the toolkit compiles for those architectures.
	provSamples100  = verified("https://github.com/NVIDIA/cuda-samples/blob/v10.0/Samples/simpleCUFFT/Makefile (samples for CUDA Toolkit 10.0: SMS ?= 30 35 37 50 52 60 61 70 75, so a toolkit older than 11.0 compiles for them)")
	provSamples101  = verified("https://github.com/NVIDIA/cuda-samples/blob/v10.1/Samples/simpleCUFFT/Makefile (samples for CUDA Toolkit 10.1, armv7l/aarch64: SMS ?= 30 35 37 50 52 60 61 70 72 75)")
	provTuringFirst = unconfirmed(SrcCCTable+"; https://github.com/NVIDIA/cuda-samples/blob/v10.0/Samples/simpleCUFFT/Makefile",
		"NVIDIA's samples first build sm_75 at v10.0 (v9.2 stops at sm_70); that CUDA 9.2 cannot is inferred from that absence, not stated by NVIDIA")
	provGA10xFirst = unconfirmed(SrcCCTable+"; https://github.com/NVIDIA/cuda-samples/blob/v11.1/Samples/simpleCUFFT/Makefile",
		"NVIDIA's samples first build sm_86 at v11.1 (v11.0 stops at sm_80); that CUDA 11.0 cannot is inferred from that absence, not stated by NVIDIA")
	provOrinFirst = unconfirmed(SrcCCTable,
		"first toolkit as transcribed; NVIDIA's samples build sm_87 only from v11.6 (aarch64), so their Makefiles do not confirm 11.4")
	provCUDA13       = verified("https://docs.nvidia.com/cuda/cuda-features-archive/ (CUDA 13.0: supports all architectures from Turing through Grace Blackwell)")
	provHopperGuide  = verified("https://docs.nvidia.com/cuda/hopper-compatibility-guide (\"Building Applications Using CUDA Toolkit 11.7 or Earlier\" (PTX only) vs \"Using CUDA Toolkit 11.8\")")
	provBWGuide      = verified(SrcBlackwellGuide + " (\"Building Applications Using CUDA Toolkit 12.7 or Earlier\" (PTX only) vs \"Using CUDA Toolkit 12.8\")")
	provAmpereGuide  = verified("https://docs.nvidia.com/cuda/ampere-compatibility-guide (\"Building Applications Using CUDA Toolkit 10.x or Earlier\" (PTX only) vs \"Using CUDA Toolkit 11.0\")")
	provAdaGuide     = verified("https://docs.nvidia.com/cuda/ada-compatibility-guide (\"Building Applications Using CUDA Toolkit 11.0 through 11.7\" (Ampere cubins) vs \"Using CUDA Toolkit 11.8\")")
	provCUDA129      = verified("https://docs.nvidia.com/cuda/archive/12.9.1/cuda-features-archive/index.html (CUDA 12.9 adds sm_103 and sm_121)")
	provRemoved13    = verified(SrcCUDADeprecated + "; CUDA 13.0 supports Turing through Grace Blackwell")
	provKeplerGone   = verified("https://docs.nvidia.com/cuda/archive/12.6.3/cufft/deprecated-functionality.html (from CUDA 11.0 SM30 is no longer supported; from CUDA 12.0 SM35 and SM37 are no longer supported)")
	provProprietary  = verified(SrcKernelModules + " (proprietary flavour required for Maxwell, Pascal, Volta; open only for Turing and newer)")
	provEither       = verified(SrcKernelModules + " (open modules for Turing and newer; default from R560)")
	provBlackwellMod = unconfirmed(SrcKernelModules, "Blackwell needing the open modules comes from driver packaging notes, not from the page text read")
	provLastR580     = unconfirmed("https://forums.developer.nvidia.com/t/unix-graphics-feature-deprecation-schedule/60588 (as quoted by the press: \"the release 580 series will be the last to support GPUs based on the Maxwell, Pascal, and Volta architectures\")", "the sentence was read in press quotes of NVIDIA's post, not in the post itself")
	provLastR470     = verified("https://forums.developer.nvidia.com/t/current-graphics-driver-releases/28500 (legacy releases: 470.239.06 for GKxxx \"Kepler\" GPUs)")
	provBranchNew    = unconfirmed("NVIDIA driver release notes as summarised for this project", "no NVIDIA page read states the first driver branch for this architecture")
)

func arch(cc int, family, name, first string, removed string, removedProv Provenance, minBr, lastBr int, brProv Provenance, mod ModuleSupport, modProv Provenance, tkProv Provenance) Arch {
	return Arch{CC: cc, Family: family, Name: name, FirstToolkit: first, ToolkitProv: tkProv,
		RemovedIn: removed, RemovedProv: removedProv, MinBranch: minBr, LastBranch: lastBr, BranchProv: brProv,
		Module: mod, ModuleProv: modProv}
}

var none = Provenance{}

var archs = []Arch{
	arch(30, "Kepler", "Kepler (GK10x)", "", "11.0", provKeplerGone, 0, 470, provLastR470, ProprietaryOnly, provProprietary, provSamples100),
	arch(32, "Kepler", "Kepler (Tegra K1)", "", "11.0", provKeplerGone, 0, 470, provLastR470, ProprietaryOnly, provProprietary, provCCTable),
	arch(35, "Kepler", "Kepler (GK110)", "", "12.0", provKeplerGone, 0, 470, provLastR470, ProprietaryOnly, provProprietary, provSamples100),
	arch(37, "Kepler", "Kepler (GK210, K80)", "", "12.0", provKeplerGone, 0, 470, provLastR470, ProprietaryOnly, provProprietary, provSamples100),
	arch(50, "Maxwell", "Maxwell (GM10x)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provSamples100),
	arch(52, "Maxwell", "Maxwell (GM20x)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provSamples100),
	arch(53, "Maxwell", "Maxwell (Tegra X1)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(60, "Pascal", "Pascal (GP100)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provSamples100),
	arch(61, "Pascal", "Pascal (GP10x)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provSamples100),
	arch(62, "Pascal", "Pascal (Tegra X2)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(70, "Volta", "Volta (GV100)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provSamples100),
	arch(72, "Volta", "Volta (Xavier)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provSamples101),
	arch(75, "Turing", "Turing", "10.0", "", none, 0, 0, none, EitherModule, provEither, provTuringFirst),
	arch(80, "Ampere", "Ampere (GA100)", "11.0", "", none, 0, 0, none, EitherModule, provEither, provAmpereGuide),
	arch(86, "Ampere", "Ampere (GA10x)", "11.1", "", none, 0, 0, none, EitherModule, provEither, provGA10xFirst),
	arch(87, "Ampere", "Ampere (Orin)", "11.4", "", none, 0, 0, none, EitherModule, provEither, provOrinFirst),
	arch(89, "Ada", "Ada Lovelace", "11.8", "", none, 520, 0, provBranchNew, EitherModule, provEither, provAdaGuide),
	arch(90, "Hopper", "Hopper", "11.8", "", none, 520, 0, provBranchNew, EitherModule, provEither, provHopperGuide),
	arch(100, "Blackwell", "Blackwell (B200/GB200)", "12.8", "", none, 570, 0, provBranchNew, OpenOnly, provBlackwellMod, provBWGuide),
	arch(103, "Blackwell", "Blackwell Ultra (B300/GB300)", "12.9", "", none, 580, 0, provBranchNew, OpenOnly, provBlackwellMod, provCUDA129),
	arch(110, "Blackwell", "Blackwell (Thor)", "13.0", "", none, 580, 0, provBranchNew, OpenOnly, provBlackwellMod, provCUDA13),
	arch(120, "Blackwell", "Blackwell (RTX 50 / RTX PRO)", "12.8", "", none, 570, 0, provBranchNew, OpenOnly, provBlackwellMod, provBWGuide),
	arch(121, "Blackwell", "Blackwell (GB10)", "12.9", "", none, 580, 0, provBranchNew, OpenOnly, provBlackwellMod, provCUDA129),
}

// Archs returns every architecture row, by compute capability.
func Archs() []Arch { return append([]Arch(nil), archs...) }

// ArchOfCC finds the row of a compute capability (major*10+minor).
func ArchOfCC(cc int) (Arch, bool) {
	for _, a := range archs {
		if a.CC == cc {
			return a, true
		}
	}
	return Arch{}, false
}

// ToolkitSupport says whether a CUDA toolkit compiles for an architecture,
// with the provenance of that answer.
type ToolkitSupport struct {
	Supported bool
	Reason    string // "removed in CUDA 13.0", "needs CUDA 12.8 or newer"
	Provenance
}

// ToolkitSupports judges toolkit (major.minor) against an architecture.
func (a Arch) ToolkitSupports(toolkit Version) ToolkitSupport {
	v := toolkit.MajorMinor()
	if a.RemovedIn != "" && v.AtLeast(MustVersion(a.RemovedIn)) {
		return ToolkitSupport{Reason: a.Family + " (cc " + CCString(a.CC) + ") was removed in CUDA " + a.RemovedIn, Provenance: a.RemovedProv}
	}
	if a.FirstToolkit != "" && v.Less(MustVersion(a.FirstToolkit)) {
		// Code for an older compute capability of the same major runs on
		// it (cubin compatibility): 12.8's sm_100 runs on a B300 (10.3).
		for _, s := range archs {
			if s.CC/10 != a.CC/10 || s.CC >= a.CC || s.FirstToolkit == "" || v.Less(MustVersion(s.FirstToolkit)) {
				continue
			}
			p := s.ToolkitProv
			if !ProvCubinRule.Verified {
				p.Verified = false
			}
			return ToolkitSupport{Supported: true, Reason: "compiles for cc " + CCString(s.CC) + ", whose cubins run on cc " + CCString(a.CC) + " (native cc " + CCString(a.CC) + " code needs CUDA " + a.FirstToolkit + ")", Provenance: p}
		}
		reason := a.Name + " (cc " + CCString(a.CC) + ") needs CUDA " + a.MinToolkit() + " or newer"
		if a.MinToolkit() != a.FirstToolkit {
			reason += " (" + a.FirstToolkit + " for its own cc " + CCString(a.CC) + " targets)"
		}
		return ToolkitSupport{Reason: reason, Provenance: a.ToolkitProv}
	}
	// CUDA 13 states its range itself: Turing through Blackwell.
	if v.Major() == 13 && a.CC >= 75 {
		return ToolkitSupport{Supported: true, Reason: "supported (CUDA 13 compiles for Turing through Blackwell)", Provenance: provCUDA13}
	}
	if a.FirstToolkit != "" {
		return ToolkitSupport{Supported: true, Reason: "supported from CUDA " + a.FirstToolkit, Provenance: a.ToolkitProv}
	}
	if a.RemovedIn != "" {
		return ToolkitSupport{Supported: true, Reason: "supported until CUDA " + a.RemovedIn, Provenance: a.RemovedProv}
	}
	return ToolkitSupport{Supported: true, Provenance: a.ToolkitProv}
}

// MinToolkit is the oldest toolkit whose code runs on the architecture:
// its own first toolkit, or an older compute capability's of the same
// major (cubin compatibility).
func (a Arch) MinToolkit() string {
	best := a.FirstToolkit
	for _, s := range archs {
		if s.CC/10 == a.CC/10 && s.CC < a.CC && s.FirstToolkit != "" && (best == "" || MustVersion(s.FirstToolkit).Less(MustVersion(best))) {
			best = s.FirstToolkit
		}
	}
	return best
}

// CubinRuns reports whether a cubin built for compute capability built runs
// on a GPU of compute capability gpu: same major, equal or higher minor
// (Blackwell compatibility guide, section 1.2).
func CubinRuns(built, gpu int) bool { return built/10 == gpu/10 && gpu%10 >= built%10 }

// ProvCubinRule is the source of CubinRuns.
var ProvCubinRule = verified(SrcBlackwellGuide + " §1.2 (a cubin runs on the same major with equal or higher minor)")

// OpenModuleDefaultFrom is the first driver branch that installs the open
// kernel modules by default.
const OpenModuleDefaultFrom = 560

// ProvOpenModuleDefault is the source of OpenModuleDefaultFrom.
var ProvOpenModuleDefault = verified(SrcKernelModules + " (\"Starting in the 560 driver release series, the open kernel module flavor is the default\"); " + SrcDeprecation)
