package knowledge

import (
	"sort"
	"strings"
)

type openModuleID struct {
	id     uint16
	name   string
	firsts string // the first release of each branch that lists the id
}

// SrcOpenModuleREADME is the source of the open-module card list.
const SrcOpenModuleREADME = "README.md \"Compatible GPUs\" of github.com/NVIDIA/open-gpu-kernel-modules at every release tag 515.43.04 .. " + OpenModuleNewestTag

// OpenModuleCard is one PCI device id in NVIDIA's list of GPUs the open
// kernel modules drive, with the first release of each branch that lists
// it. A card missing from a release's list may still be driven by the
// proprietary module (data-center Turing joined the open list late), so
// only a listing is evidence; an absence is not.
type OpenModuleCard struct {
	ID    uint16
	Name  string
	first map[int]Version // branch -> first release listing the id
	Provenance
}

// OpenModuleCardOf finds a PCI device id in the list.
func OpenModuleCardOf(id uint16) (OpenModuleCard, bool) {
	i := sort.Search(len(openModuleIDs), func(i int) bool { return openModuleIDs[i].id >= id })
	if i == len(openModuleIDs) || openModuleIDs[i].id != id {
		return OpenModuleCard{}, false
	}
	row := openModuleIDs[i]
	c := OpenModuleCard{ID: row.id, Name: row.name, first: map[int]Version{}, Provenance: verified(SrcOpenModuleREADME)}
	for _, f := range strings.Fields(row.firsts) {
		v := MustVersion(f)
		c.first[v.Major()] = v
	}
	return c, true
}

// First is the earliest release that lists the card.
func (c OpenModuleCard) First() Version {
	var best Version
	for _, v := range c.first {
		if best.IsZero() || v.Less(best) {
			best = v
		}
	}
	return best
}

// FirstInBranch is the first release of a branch that lists the card.
func (c OpenModuleCard) FirstInBranch(branch int) (Version, bool) {
	v, ok := c.first[branch]
	return v, ok
}

// ListedBy reports whether driver drv's release lists the card: its
// branch lists it from a release at or before drv. Branches newer than the
// newest README read are unknown (known = false).
func (c OpenModuleCard) ListedBy(drv Version) (listed, known bool) {
	if drv.Major() > MustVersion(OpenModuleNewestTag).Major() {
		return false, false
	}
	v, ok := c.first[drv.Major()]
	if !ok {
		return false, true
	}
	return !drv.Less(v), true
}

// OpenModuleCards counts the ids in the list.
func OpenModuleCards() int { return len(openModuleIDs) }
