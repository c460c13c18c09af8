package model

import (
	"strings"
	"testing"
)

func TestXidInfo(t *testing.T) {
	tests := []struct {
		xid      int
		known    bool
		severity Severity
		action   string // substring of the first action
	}{
		{13, true, SevWarn, "restart the application"},
		{48, true, SevError, "reset the GPU"},
		{63, true, SevWarn, "reset later"},
		{79, true, SevError, "reboot"},
		{119, true, SevError, "reset the GPU"},
		{120, true, SevError, "reset the GPU"},
		{12345, false, SevWarn, "docs.nvidia.com/deploy/xid-errors"},
		{0, false, SevWarn, "Xid catalog"},
	}
	for _, tt := range tests {
		e, ok := XidInfo(tt.xid)
		if ok != tt.known || e.Known != tt.known {
			t.Errorf("XidInfo(%d) known = %v/%v, want %v", tt.xid, ok, e.Known, tt.known)
		}
		if e.Xid != tt.xid {
			t.Errorf("XidInfo(%d).Xid = %d", tt.xid, e.Xid)
		}
		if e.Severity != tt.severity {
			t.Errorf("XidInfo(%d).Severity = %q, want %q", tt.xid, e.Severity, tt.severity)
		}
		if !strings.Contains(e.Action, tt.action) {
			t.Errorf("XidInfo(%d).Action = %q, want it to contain %q", tt.xid, e.Action, tt.action)
		}
		if e.Meaning == "" || e.Source == "" {
			t.Errorf("XidInfo(%d) lacks meaning or source: %+v", tt.xid, e)
		}
	}
}

func TestXidCatalogIsOrderedAndComplete(t *testing.T) {
	cat := XidCatalog()
	if len(cat) == 0 {
		t.Fatal("empty catalog")
	}
	for i, e := range cat {
		if i > 0 && cat[i-1].Xid >= e.Xid {
			t.Errorf("catalog not in strictly increasing Xid order at %d: %d after %d", i, e.Xid, cat[i-1].Xid)
		}
		if e.Meaning == "" || e.Action == "" || !e.Known || e.Source == "" {
			t.Errorf("incomplete entry %+v", e)
		}
		if e.Severity != SevWarn && e.Severity != SevError {
			t.Errorf("Xid %d: severity %q", e.Xid, e.Severity)
		}
	}
	// The copy must not alias the catalog.
	cat[0].Meaning = "changed"
	if e, _ := XidInfo(cat[0].Xid); e.Meaning == "changed" {
		t.Error("XidCatalog returned the catalog itself, not a copy")
	}
}

func TestXidEvent(t *testing.T) {
	ev := XidEvent(42, 3, 79)
	if ev.Time != 42 || ev.GPU != Some(3) || ev.Kind != EventXid || ev.Xid != Some(79) || ev.Severity != SevError ||
		ev.Message != "GPU 3 Xid 79: GPU fell off the bus" || !strings.Contains(ev.Action, "reboot") {
		t.Errorf("XidEvent = %+v", ev)
	}
	if ev := XidEvent(1, 0, 999); !strings.Contains(ev.Message, "not in gputop's catalog") || !strings.Contains(ev.Action, "xid-errors") {
		t.Errorf("unknown XidEvent = %+v", ev)
	}
}
