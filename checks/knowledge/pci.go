package knowledge

// PCIRange classifies NVIDIA PCI device ids (vendor 0x10de) by GPU
// generation, for GPUs NVML cannot see. The ranges are per GPU die from the
// public PCI ID database, not from NVIDIA's driver README, so no row is
// verified: they can explain, never pass.
type PCIRange struct {
	Lo, Hi     uint16        `json:"-"`
	Family     string        `json:"family"`
	MinBranch  int           `json:"min_branch,omitempty"`
	LastBranch int           `json:"last_branch,omitempty"`
	Module     ModuleSupport `json:"module"`
	Provenance
}

func pciRange(lo, hi uint16, family string, minBr, lastBr int, mod ModuleSupport, dies string) PCIRange {
	return PCIRange{Lo: lo, Hi: hi, Family: family, MinBranch: minBr, LastBranch: lastBr, Module: mod,
		Provenance: unconfirmed(SrcPCIIDs, dies+"; every id in NVIDIA's open-module list falls in a Turing-or-newer range here, but ids outside that list are not confirmed")}
}

// pciRanges: ascending, non-overlapping.
var pciRanges = []PCIRange{
	pciRange(0x0000, 0x133f, "Kepler or older", 0, 470, ProprietaryOnly, "Fermi/Kepler dies (GF1xx, GK1xx)"),
	pciRange(0x1340, 0x15ef, "Maxwell", 0, 580, ProprietaryOnly, "GM107/GM108/GM204/GM206"),
	pciRange(0x15f0, 0x15ff, "Pascal", 0, 580, ProprietaryOnly, "GP100"),
	pciRange(0x1600, 0x17ff, "Maxwell", 0, 580, ProprietaryOnly, "GM200"),
	pciRange(0x1b00, 0x1d7f, "Pascal", 0, 580, ProprietaryOnly, "GP102/GP104/GP106/GP107/GP108"),
	pciRange(0x1d80, 0x1dff, "Volta", 0, 580, ProprietaryOnly, "GV100"),
	pciRange(0x1e00, 0x1fff, "Turing", 0, 0, EitherModule, "TU102/TU104/TU106/TU117"),
	pciRange(0x20b0, 0x20ff, "Ampere", 0, 0, EitherModule, "GA100"),
	pciRange(0x2180, 0x21ff, "Turing", 0, 0, EitherModule, "TU116"),
	pciRange(0x2200, 0x22ff, "Ampere", 0, 0, EitherModule, "GA102"),
	pciRange(0x2300, 0x23ff, "Hopper", 520, 0, EitherModule, "GH100 (H100 0x2330/0x2331, H200 0x2335, GH200 0x2342)"),
	pciRange(0x2400, 0x25ff, "Ampere", 0, 0, EitherModule, "GA103/GA104/GA106/GA107"),
	pciRange(0x2600, 0x28ff, "Ada", 520, 0, EitherModule, "AD102/AD103/AD104/AD106/AD107"),
	pciRange(0x2900, 0x29ff, "Blackwell", 570, 0, OpenOnly, "GB100/GB102 (B200 0x2901, GB200)"),
	pciRange(0x2b00, 0x2fff, "Blackwell", 570, 0, OpenOnly, "GB202/GB203/GB205/GB206/GB207 (RTX 50, RTX PRO)"),
	pciRange(0x3000, 0x31ff, "Blackwell", 580, 0, OpenOnly, "GB110 (B300 0x3182, GB300 0x31c2)"),
}

// PCIRanges returns every range, ascending.
func PCIRanges() []PCIRange { return append([]PCIRange(nil), pciRanges...) }

// ArchOfPCIID classifies an NVIDIA PCI device id.
func ArchOfPCIID(id uint16) (PCIRange, bool) {
	for _, r := range pciRanges {
		if id >= r.Lo && id <= r.Hi {
			return r, true
		}
	}
	return PCIRange{}, false
}
