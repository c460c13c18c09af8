package sim

import (
	"context"
	"strconv"
	"time"

	"github.com/gputop/gputop/model"
)

// The recurring Xid: a memory page fault from the image-generation server,
// 40 s after Start and then every 3 minutes.
const (
	xidFirst = 40 * time.Second
	xidEvery = 3 * time.Minute
	xidGPU   = 5 // or the last GPU of a smaller fleet
)

// Events delivers the fleet's Xid events as their (deterministic) times come
// round on the wall clock, stamped with the scheduled time. It returns nil
// when ctx is done or the fleet is closed.
func (f *Fleet) Events(ctx context.Context, emit func(model.Event)) error {
	from := time.Now()
	for {
		at, evs := f.nextEvents(from)
		if len(evs) == 0 {
			select {
			case <-ctx.Done():
			case <-f.closed:
			}
			return nil
		}
		timer := time.NewTimer(time.Until(at))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-f.closed:
			timer.Stop()
			return nil
		case <-timer.C:
		}
		for _, ev := range evs {
			emit(ev)
		}
		from = at.Add(time.Nanosecond)
	}
}

// EventsBetween lists the events scheduled in [from, to), oldest first.
func (f *Fleet) EventsBetween(from, to time.Time) []model.Event {
	var out []model.Event
	for {
		at, evs := f.nextEvents(from)
		if len(evs) == 0 || !at.Before(to) {
			return out
		}
		out = append(out, evs...)
		from = at.Add(time.Nanosecond)
	}
}

// nextEvents returns the events of the first scheduled instant at or after
// from (several when faults start together), in GPU order.
func (f *Fleet) nextEvents(from time.Time) (time.Time, []model.Event) {
	if len(f.gpus) == 0 {
		return time.Time{}, nil
	}
	off := from.UnixNano() - f.start
	// The recurring Xid 31.
	k := int64(0)
	if off > int64(xidFirst) {
		k = (off - int64(xidFirst) + int64(xidEvery) - 1) / int64(xidEvery)
	}
	next := int64(xidFirst) + k*int64(xidEvery)
	// Faults announce themselves with their Xid when they start.
	for _, g := range f.gpus {
		for _, fs := range g.faults {
			if at := int64(fs.At); fs.err != nil && at >= off && at < next {
				next = at
			}
		}
	}
	var evs []model.Event
	xidGPU := min(xidGPU, len(f.gpus)-1)
	for _, g := range f.gpus {
		for _, fs := range g.faults {
			if fs.err != nil && int64(fs.At) == next {
				evs = append(evs, faultXid(fs, f.start+next))
			}
		}
		if g.index == xidGPU && (next-int64(xidFirst))%int64(xidEvery) == 0 && next >= int64(xidFirst) {
			evs = append(evs, f.xid31(xidGPU, next))
		}
	}
	return time.Unix(0, f.start+next), evs
}

func (f *Fleet) xid31(gpu int, off int64) model.Event {
	g := f.gpus[gpu]
	culprit := "no process"
	if procs := g.processes(seconds(off)); len(procs) > 0 {
		culprit = "pid=" + strconv.FormatUint(uint64(procs[0].PID), 10) + ", name=" + procs[0].Name
	}
	return model.Event{
		Time:     model.Timestamp(f.start + off),
		GPU:      model.Some(gpu),
		Kind:     model.EventXid,
		Severity: model.SevWarn,
		Xid:      model.Some(31),
		Message: "Xid 31: GPU memory page fault (" + culprit +
			"): MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_0 faulted, FAULT_PDE ACCESS_TYPE_VIRT_READ",
		Action: "restart the application",
	}
}

func faultXid(fs *faultState, at int64) model.Event {
	ev := model.Event{
		Time:     model.Timestamp(at),
		GPU:      model.Some(fs.GPU),
		Kind:     model.EventXid,
		Severity: model.SevError,
	}
	if fs.Kind == FaultLost {
		ev.Xid = model.Some(79)
		ev.Message = "Xid 79: GPU has fallen off the bus"
		ev.Action = "reboot the node; check power and seating"
	} else {
		ev.Xid = model.Some(119)
		ev.Message = "Xid 119: GSP RPC timeout"
		ev.Action = "reset the GPU"
	}
	return ev
}
