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
	provCCTable      = unconfirmed(SrcCCTable, "compute capability and first toolkit from NVIDIA's table as transcribed in the project reference; not re-read in this session")
	provCUDA13       = verified("https://docs.nvidia.com/cuda/cuda-features-archive/ (CUDA 13.0: supports all architectures from Turing through Grace Blackwell)")
	provCUDA129      = verified("https://docs.nvidia.com/cuda/archive/12.9.1/cuda-features-archive/index.html (CUDA 12.9 adds sm_103 and sm_121)")
	provRemoved13    = verified(SrcCUDADeprecated + "; CUDA 13.0 supports Turing through Grace Blackwell")
	provKeplerGone   = unconfirmed(SrcCCTable, "Kepler removed from CUDA 12.0 per the project reference; not re-read")
	provProprietary  = verified(SrcKernelModules + " (proprietary flavour required for Maxwell, Pascal, Volta; open only for Turing and newer)")
	provEither       = verified(SrcKernelModules + " (open modules for Turing and newer; default from R560)")
	provBlackwellMod = unconfirmed(SrcKernelModules, "Blackwell needing the open modules is stated in the project reference and driver packaging notes, not in the page text read")
	provLastR580     = unconfirmed("NVIDIA legacy GPU list as repackaged by distributions (legacy580 branch)", "R580 as the last branch for Maxwell/Pascal/Volta is not from an NVIDIA page read in this session")
	provLastR470     = unconfirmed("https://www.nvidia.com/en-us/drivers/unix/legacy-gpu/", "R470 as Kepler's last branch not re-read")
	provBranchNew    = unconfirmed(SrcProjectRef, "first branch for the architecture per the project reference")
)

func arch(cc int, family, name, first string, removed string, removedProv Provenance, minBr, lastBr int, brProv Provenance, mod ModuleSupport, modProv Provenance, tkProv Provenance) Arch {
	return Arch{CC: cc, Family: family, Name: name, FirstToolkit: first, ToolkitProv: tkProv,
		RemovedIn: removed, RemovedProv: removedProv, MinBranch: minBr, LastBranch: lastBr, BranchProv: brProv,
		Module: mod, ModuleProv: modProv}
}

var none = Provenance{}

var archs = []Arch{
	arch(30, "Kepler", "Kepler (GK10x)", "", "11.0", provKeplerGone, 0, 470, provLastR470, ProprietaryOnly, provProprietary, provCCTable),
	arch(32, "Kepler", "Kepler (Tegra K1)", "", "11.0", provKeplerGone, 0, 470, provLastR470, ProprietaryOnly, provProprietary, provCCTable),
	arch(35, "Kepler", "Kepler (GK110)", "", "12.0", provKeplerGone, 0, 470, provLastR470, ProprietaryOnly, provProprietary, provCCTable),
	arch(37, "Kepler", "Kepler (GK210, K80)", "", "12.0", provKeplerGone, 0, 470, provLastR470, ProprietaryOnly, provProprietary, provCCTable),
	arch(50, "Maxwell", "Maxwell (GM10x)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(52, "Maxwell", "Maxwell (GM20x)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(53, "Maxwell", "Maxwell (Tegra X1)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(60, "Pascal", "Pascal (GP100)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(61, "Pascal", "Pascal (GP10x)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(62, "Pascal", "Pascal (Tegra X2)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(70, "Volta", "Volta (GV100)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(72, "Volta", "Volta (Xavier)", "", "13.0", provRemoved13, 0, 580, provLastR580, ProprietaryOnly, provProprietary, provCCTable),
	arch(75, "Turing", "Turing", "10.0", "", none, 0, 0, none, EitherModule, provEither, provCCTable),
	arch(80, "Ampere", "Ampere (GA100)", "11.0", "", none, 0, 0, none, EitherModule, provEither, provCCTable),
	arch(86, "Ampere", "Ampere (GA10x)", "11.1", "", none, 0, 0, none, EitherModule, provEither, provCCTable),
	arch(87, "Ampere", "Ampere (Orin)", "11.4", "", none, 0, 0, none, EitherModule, provEither, provCCTable),
	arch(89, "Ada", "Ada Lovelace", "11.8", "", none, 520, 0, provBranchNew, EitherModule, provEither, provCCTable),
	arch(90, "Hopper", "Hopper", "11.8", "", none, 520, 0, provBranchNew, EitherModule, provEither, provCCTable),
	arch(100, "Blackwell", "Blackwell (B200/GB200)", "12.8", "", none, 570, 0, provBranchNew, OpenOnly, provBlackwellMod, provCCTable),
	arch(103, "Blackwell", "Blackwell Ultra (B300/GB300)", "12.9", "", none, 580, 0, provBranchNew, OpenOnly, provBlackwellMod, provCUDA129),
	arch(110, "Blackwell", "Blackwell (Thor)", "13.0", "", none, 580, 0, provBranchNew, OpenOnly, provBlackwellMod, provCUDA13),
	arch(120, "Blackwell", "Blackwell (RTX 50 / RTX PRO)", "12.8", "", none, 570, 0, provBranchNew, OpenOnly, provBlackwellMod, provCCTable),
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
		return ToolkitSupport{Reason: a.Name + " (cc " + CCString(a.CC) + ") needs CUDA " + a.FirstToolkit + " or newer", Provenance: a.ToolkitProv}
	}
	// CUDA 13 states its range itself: Turing through Blackwell.
	if v.Major() == 13 && a.CC >= 75 {
		return ToolkitSupport{Supported: true, Reason: "CUDA 13 supports Turing through Blackwell", Provenance: provCUDA13}
	}
	if a.FirstToolkit != "" {
		return ToolkitSupport{Supported: true, Reason: "supported from CUDA " + a.FirstToolkit, Provenance: a.ToolkitProv}
	}
	if a.RemovedIn != "" {
		return ToolkitSupport{Supported: true, Reason: "supported until CUDA " + a.RemovedIn, Provenance: a.RemovedProv}
	}
	return ToolkitSupport{Supported: true, Provenance: a.ToolkitProv}
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
