package detect

import (
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// signalState is the previous reading of the hardware signals the
// timeline reports: NVLink link states, the recovery action, InfoROM
// validity and the NVLink error totals.
type signalState struct {
	seen     bool
	links    map[int]string
	recovery model.Opt[int]
	inforom  model.Opt[bool]
	totals   [4]model.Opt[uint64]
}

// signals turns changes of the hardware signals into events: a link going
// down or up, a recovery action appearing or clearing, a corrupted InfoROM,
// NVLink replay/recovery errors.
func (d *Detector) signals(e *eventer, st *signalState, s *model.Signals) {
	if s == nil {
		return
	}
	first := !st.seen
	st.seen = true
	if st.links == nil {
		st.links = map[int]string{}
	}
	var down, up []string
	for _, l := range s.NVLinks {
		prev, known := st.links[l.Link]
		st.links[l.Link] = l.State
		if first || !known || prev == l.State {
			continue
		}
		if l.State == "active" {
			up = append(up, strconv.Itoa(l.Link))
		} else {
			down = append(down, strconv.Itoa(l.Link))
		}
	}
	if len(down) > 0 {
		e.add(model.EventHealth, model.SevError, "NVLink link(s) "+strings.Join(down, ", ")+" went down",
			"check nvidia-smi nvlink -s -i "+strconv.Itoa(e.gpu)+"; reset the GPU or reboot if it stays down")
	}
	if len(up) > 0 {
		e.add(model.EventHealth, model.SevInfo, "NVLink link(s) "+strings.Join(up, ", ")+" up again", "")
	}
	if s.RecoveryAction.OK {
		prev := st.recovery
		st.recovery = s.RecoveryAction
		if !first && (!prev.OK || prev.V != s.RecoveryAction.V) {
			if s.RecoveryAction.V == model.RecoveryNone {
				if prev.OK {
					e.add(model.EventHealth, model.SevInfo, "recovery action cleared", "")
				}
			} else {
				e.add(model.EventHealth, model.SevError, "the driver asks for a recovery: "+model.RecoveryActionName(s.RecoveryAction.V), "see the hw.recovery check")
			}
		}
	}
	if s.InfoROMValid.OK {
		if on, changed := flip(&st.inforom, s.InfoROMValid); changed && !on {
			e.add(model.EventHealth, model.SevError, "InfoROM reported corrupted", "see the hw.inforom check")
		}
	}
	names := [4]string{"CRC", "CRC", "replay", "recovery"}
	for i, t := range s.NVLinkErrorTotals {
		n := rise(&st.totals[i], t)
		if n == 0 || first || i < 2 {
			continue // CRC errors matter only as a rate (hw.nvlink judges it)
		}
		e.add(model.EventHealth, model.SevWarn, count(n, "NVLink "+names[i]+" error", "NVLink "+names[i]+" errors"), "")
	}
}
