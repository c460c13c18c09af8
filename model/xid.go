package model

import "strconv"

// XidEntry is what gputop knows about one Xid: what it means and what to do
// first, as NVIDIA's Xid catalog says.
type XidEntry struct {
	Xid      int      `json:"xid"`
	Meaning  string   `json:"meaning"`
	Action   string   `json:"action"` // NVIDIA's first action
	Severity Severity `json:"severity"`
	Known    bool     `json:"known"` // false: a generic entry for an Xid not in the catalog
	Source   string   `json:"source"`
}

// XidCatalogSource is where the catalog rows come from.
const XidCatalogSource = "https://docs.nvidia.com/deploy/xid-errors/ (NVIDIA Xid catalog)"

// xidCatalog holds the Xids of NVIDIA's Xid catalog (XidCatalogSource) that gputop acts on. Severity
// is gputop's own reading: an Xid an application can cause and recover from
// by restarting is a warning; one that needs a GPU reset, a reboot or points
// at hardware is an error.
var xidCatalog = []XidEntry{
	{Xid: 13, Meaning: "graphics engine exception", Action: "restart the application", Severity: SevWarn},
	{Xid: 31, Meaning: "GPU memory page fault", Action: "restart the application", Severity: SevWarn},
	{Xid: 43, Meaning: "channel reset after an application fault", Action: "none", Severity: SevWarn},
	{Xid: 45, Meaning: "preemptive cleanup after earlier errors", Action: "follow the other Xid (alone: restart Fabric Manager)", Severity: SevWarn},
	{Xid: 48, Meaning: "double-bit ECC error", Action: "reset the GPU", Severity: SevError},
	{Xid: 63, Meaning: "row remap / page retirement recorded", Action: "none now; reset later to apply", Severity: SevWarn},
	{Xid: 64, Meaning: "row remap / page retirement failed", Action: "reset the GPU", Severity: SevError},
	{Xid: 74, Meaning: "NVLink error", Action: "NVLink diagnosis", Severity: SevError},
	{Xid: 79, Meaning: "GPU fell off the bus", Action: "reboot the node; check power and seating", Severity: SevError},
	{Xid: 92, Meaning: "high single-bit ECC rate", Action: "watch the trend", Severity: SevWarn},
	{Xid: 94, Meaning: "contained uncorrectable ECC error", Action: "restart the application", Severity: SevError},
	{Xid: 95, Meaning: "uncontained ECC error", Action: "reset the GPU", Severity: SevError},
	{Xid: 119, Meaning: "GSP error", Action: "reset the GPU", Severity: SevError},
	{Xid: 120, Meaning: "GSP error", Action: "reset the GPU", Severity: SevError},
}

// XidCatalog returns a copy of every known entry, in Xid order.
func XidCatalog() []XidEntry {
	out := make([]XidEntry, len(xidCatalog))
	for i, e := range xidCatalog {
		e.Known, e.Source = true, XidCatalogSource
		out[i] = e
	}
	return out
}

// XidInfo looks an Xid up. For an Xid not in the catalog it returns a generic
// entry that points to NVIDIA's catalog, and false.
func XidInfo(n int) (XidEntry, bool) {
	for _, e := range xidCatalog {
		if e.Xid == n {
			e.Known, e.Source = true, XidCatalogSource
			return e, true
		}
	}
	return XidEntry{
		Xid:      n,
		Meaning:  "Xid " + strconv.Itoa(n) + " is not in gputop's catalog",
		Action:   "look it up in NVIDIA's Xid catalog (https://docs.nvidia.com/deploy/xid-errors/) and check the kernel log (dmesg) around this time",
		Severity: SevWarn,
		Source:   XidCatalogSource,
	}, false
}

// XidEvent builds the timeline entry for an Xid reported on a GPU, with the
// catalog's meaning, severity and first action.
func XidEvent(t Timestamp, gpu, xid int) Event {
	e, _ := XidInfo(xid)
	return Event{
		Time:     t,
		GPU:      Some(gpu),
		Kind:     EventXid,
		Severity: e.Severity,
		Message:  "GPU " + strconv.Itoa(gpu) + " Xid " + strconv.Itoa(xid) + ": " + e.Meaning,
		Xid:      Some(xid),
		Action:   e.Action,
	}
}
