package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

func linksWith(n, down int) []model.NVLink {
	ls := make([]model.NVLink, n)
	for i := range ls {
		ls[i] = model.NVLink{Link: i, State: "active"}
	}
	if down >= 0 {
		ls[down].State = "inactive"
	}
	return ls
}

func TestSignalEvents(t *testing.T) {
	steps := []*model.Signals{
		// Baseline: a link already down and a reset already pending are
		// the state at start, not events.
		{NVLinks: linksWith(4, 1), RecoveryAction: model.Some(model.RecoveryGPUReset), InfoROMValid: model.Some(true),
			NVLinkErrorTotals: [4]model.Opt[uint64]{model.Some(uint64(0)), model.Some(uint64(0)), model.Some(uint64(0)), model.Some(uint64(0))}},
		{NVLinks: linksWith(4, 2), RecoveryAction: model.Some(model.RecoveryNone), InfoROMValid: model.Some(true),
			NVLinkErrorTotals: [4]model.Opt[uint64]{model.Some(uint64(500)), model.Some(uint64(0)), model.Some(uint64(0)), model.Some(uint64(2))}},
		{NVLinks: linksWith(4, 2), RecoveryAction: model.Some(model.RecoveryNodeReboot), InfoROMValid: model.Some(false)},
		nil, // a reading without signals changes nothing
	}
	d := New(Options{})
	r := &recorder{}
	for i, sg := range steps {
		s := model.SlowSample{Time: at(time.Duration(i) * time.Second), Signals: sg}
		d.Slow(0, &s, r.emit)
	}
	var msgs []string
	for _, e := range r.events {
		msgs = append(msgs, string(e.Severity)+" "+e.Message)
	}
	got := strings.Join(msgs, "\n")
	want := []string{
		"error GPU 0: NVLink link(s) 2 went down",
		"info GPU 0: NVLink link(s) 1 up again",
		"info GPU 0: recovery action cleared",
		"warn GPU 0: 2 NVLink recovery errors",
		"error GPU 0: the driver asks for a recovery: node reboot",
		"error GPU 0: InfoROM reported corrupted",
	}
	if len(msgs) != len(want) {
		t.Fatalf("events:\n%s\nwant %d", got, len(want))
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
	if strings.Contains(got, "CRC") {
		t.Errorf("CRC errors are a rate, not events:\n%s", got)
	}
}
