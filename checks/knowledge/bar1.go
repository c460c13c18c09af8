package knowledge

import (
	"regexp"
	"strings"
)

const (
	MiB = uint64(1) << 20
	GiB = uint64(1) << 30
)

// Bar1Model is the BAR1 aperture one GPU model has by design. A model
// matches by its exact NVML name (case and spacing aside) or by PCI device
// id, never by substring: "A100" must not match "A100X" or "A1000".
type Bar1Model struct {
	Name   string   `json:"name"`
	PCIIDs []uint16 `json:"pci_ids,omitempty"`
	BAR1   uint64   `json:"bar1"`
	// SmallByDesign: 256 MiB is what the card has, not a ReBAR fault.
	SmallByDesign bool `json:"small_by_design,omitempty"`
	// DisplayMode: the card ships in a 256 MiB display mode that NVIDIA's
	// Display Mode Selector switches to a large compute BAR.
	DisplayMode bool `json:"display_mode,omitempty"`
	// DataCenter: a data-center product (forward-compatibility package
	// applies; GeForce never).
	DataCenter bool `json:"data_center,omitempty"`
	Provenance
}

var bar1Models = []Bar1Model{
	{Name: "NVIDIA H100 80GB HBM3", PCIIDs: []uint16{0x2330}, BAR1: 128 * GiB, DataCenter: true, Provenance: verified(SrcMeasuredH100)},
	{Name: "NVIDIA H200", PCIIDs: []uint16{0x2335}, BAR1: 256 * GiB, DataCenter: true, Provenance: verified(SrcMeasuredH200)},
	{Name: "NVIDIA A100-SXM4-40GB", BAR1: 64 * GiB, DataCenter: true, Provenance: unconfirmed(SrcPublicDumps, "not measured here and not an NVIDIA statement")},
	{Name: "NVIDIA A100-PCIE-40GB", BAR1: 64 * GiB, DataCenter: true, Provenance: unconfirmed(SrcPublicDumps, "not measured here and not an NVIDIA statement")},
	{Name: "NVIDIA L40S", BAR1: 64 * GiB, DataCenter: true, Provenance: unconfirmed(SrcPublicDumps, "not measured here and not an NVIDIA statement")},
	{Name: "NVIDIA A40", BAR1: 64 * GiB, DataCenter: true, Provenance: unconfirmed(SrcPublicDumps, "not measured here and not an NVIDIA statement")},
	{Name: "NVIDIA A10", BAR1: 32 * GiB, DataCenter: true, Provenance: unconfirmed(SrcPublicDumps, "not measured here and not an NVIDIA statement")},
	{Name: "Tesla T4", BAR1: 256 * MiB, SmallByDesign: true, DataCenter: true, Provenance: unconfirmed(SrcPublicDumps, "not measured here and not an NVIDIA statement")},
	{Name: "NVIDIA RTX A6000", BAR1: 256 * MiB, DisplayMode: true, Provenance: unconfirmed(SrcHoloscan, "not re-read")},
	{Name: "NVIDIA L40", BAR1: 256 * MiB, DisplayMode: true, DataCenter: true, Provenance: unconfirmed(SrcHoloscan, "not re-read")},
}

// Bar1Models returns every row.
func Bar1Models() []Bar1Model { return append([]Bar1Model(nil), bar1Models...) }

func normName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// Bar1Of finds the model row for an NVML name and, when known (non-zero),
// the PCI device id.
func Bar1Of(name string, pciID uint16) (Bar1Model, bool) {
	n := normName(name)
	for _, m := range bar1Models {
		if n != "" && normName(m.Name) == n {
			return m, true
		}
		for _, id := range m.PCIIDs {
			if pciID != 0 && id == pciID {
				return m, true
			}
		}
	}
	return Bar1Model{}, false
}

var (
	geforceRTX  = regexp.MustCompile(`(?i)^(nvidia )?geforce rtx ([0-9]{2})[0-9]{2}`)
	geforceOld  = regexp.MustCompile(`(?i)^(nvidia )?geforce (gtx|gt|rtx 20|mx)`)
	titanName   = regexp.MustCompile(`(?i)^(nvidia )?titan`)
	provReBAR   = unconfirmed(SrcReBAR, "GeForce Resizable BAR from the RTX 30 series on, per NVIDIA's announcement as reported by the press")
	geforceName = regexp.MustCompile(`(?i)geforce|titan`)
)

// IsGeForce reports whether an NVML name is a consumer GeForce/TITAN card.
func IsGeForce(name string) bool { return geforceName.MatchString(name) }

// GeForceReBAR says whether a GeForce card supports Resizable BAR: RTX 30
// series and newer do, earlier GeForce cards do not (256 MiB BAR1 is then
// normal). known is false for names it cannot place.
func GeForceReBAR(name string) (capable, known bool, p Provenance) {
	n := strings.TrimSpace(name)
	if m := geforceRTX.FindStringSubmatch(n); m != nil {
		switch m[2] {
		case "20":
			return false, true, provReBAR
		case "30", "40", "50":
			return true, true, provReBAR
		}
		return false, false, provReBAR
	}
	if geforceOld.MatchString(n) || titanName.MatchString(n) {
		return false, true, provReBAR
	}
	return false, false, provReBAR
}
