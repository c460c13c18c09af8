package nvmlbackend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// maxWaitFailures is how many unexpected EventSet.Wait answers in a row end
// Events: enough to ride out a transient error, few enough not to spin.
const maxWaitFailures = 20

// Events delivers Xid errors until ctx is done. It registers every GPU that
// accepts Xid events; if none does, it returns an error saying so (the
// sampler shows it once). Wait timing out is the normal, quiet answer.
// Close also ends it.
func (b *Backend) Events(ctx context.Context, emit func(model.Event)) error {
	b.mu.Lock()
	if !b.initialized || b.closing.Load() {
		b.mu.Unlock()
		return errors.New("nvml events: backend is not open")
	}
	b.events.Add(1)
	b.mu.Unlock()
	defer b.events.Done()

	set, ret := b.lib.EventSetCreate()
	if ret != nvml.SUCCESS {
		return fmt.Errorf("nvml events: EventSetCreate: %w", ret)
	}
	defer func() {
		if ret := set.Free(); ret != nvml.SUCCESS {
			b.log.Warn("nvml events: EventSetFree failed", "code", codeName(ret))
		}
	}()

	registered := 0
	var refused []string
	for _, d := range b.devices {
		if d.broken != nil {
			continue
		}
		ret := d.handle.RegisterEvents(nvml.EventTypeXidCriticalError, set)
		if ret != nvml.SUCCESS {
			refused = append(refused, "GPU "+strconv.Itoa(d.index)+": "+codeName(ret))
			continue
		}
		registered++
	}
	if registered == 0 {
		return fmt.Errorf("no GPU accepts Xid event registration (%s)", strings.Join(refused, ", "))
	}
	if len(refused) > 0 {
		b.log.Info("nvml events: some GPUs refused Xid registration", "refused", refused)
	}

	// Wait is asked with a zero timeout (NVML: it returns at once when no
	// event is ready) and the watcher sleeps on a Go timer between asks,
	// every EventTimeout. A thread blocked inside a driver call keeps the
	// Go runtime's monitor thread awake and polling for the whole call; a
	// watcher that blocked in Wait did that all the time, so even a paused
	// dashboard woke dozens of times a second. Xid events wait in the
	// driver's queue meanwhile: nothing is lost, they arrive up to one
	// EventTimeout later.
	const timeoutMS = 0
	failures := 0
	pace := newWaitPacer(b.opts.EventTimeout)
	for ctx.Err() == nil && !b.closing.Load() {
		// An answer that carries no Xid is no reason to ask again at once:
		// a loop that asked again after every answer would spin a core in
		// the driver. The pacer allows one quiet answer per EventTimeout
		// and a bounded burst of Xid events (a queue being drained); past
		// that it sleeps.
		t := b.beginWait()
		data, ret := set.Wait(timeoutMS)
		b.endWait(t)
		xid := ret == nvml.SUCCESS && data.EventType&nvml.EventTypeXidCriticalError != 0
		switch {
		case xid:
			failures = 0
			ev := model.Event{
				Time:     model.Now(),
				Kind:     model.EventXid,
				Severity: model.SevError,
				Message:  "Xid " + strconv.Itoa(int(data.EventData)),
				Xid:      model.Some(int(data.EventData)),
			}
			if gpu, ok := b.gpuOf(data.Device); ok {
				ev.GPU.Set(gpu)
			}
			emit(ev)
		case ret == nvml.SUCCESS || ret == nvml.ERROR_TIMEOUT:
			failures = 0
		default:
			failures++
			b.log.Warn("nvml events: Wait failed", "code", codeName(ret), "in_a_row", failures)
			if failures >= maxWaitFailures {
				return fmt.Errorf("nvml events: EventSet.Wait failed %d times in a row: %w", failures, ret)
			}
		}
		if d := pace.next(time.Now(), xid); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
	}
	return nil
}

// maxXidBurst is how many Xid events in a row Events delivers without
// pausing; an Xid storm (a GPU repeating the same error) then costs one Wait
// per maxXidBurst events per timeout instead of a core.
const maxXidBurst = 16

// waitPacer bounds how often Events calls EventSet.Wait, whatever Wait
// answers: a quiet answer (timeout, an event that is no Xid, an error) that
// came back before the timeout is followed by a sleep for the rest of it;
// Xid events pass at once, up to maxXidBurst per timeout.
type waitPacer struct {
	timeout time.Duration
	start   time.Time // when the current Wait began
	window  time.Time // start of the current Xid burst window
	burst   int
}

func newWaitPacer(timeout time.Duration) *waitPacer {
	now := time.Now()
	return &waitPacer{timeout: timeout, start: now, window: now}
}

// next is how long to sleep after a Wait that returned at now; it also
// starts the clock for the next Wait.
func (p *waitPacer) next(now time.Time, xid bool) time.Duration {
	var d time.Duration
	if xid {
		if now.Sub(p.window) >= p.timeout {
			p.window, p.burst = now, 0
		}
		p.burst++
		if p.burst > maxXidBurst {
			d = p.timeout - now.Sub(p.window)
			p.window, p.burst = now.Add(d), 0
		}
	} else {
		d = p.timeout - now.Sub(p.start)
	}
	d = max(d, 0)
	p.start = now.Add(d)
	return d
}

// gpuOf maps an event's device handle to a GPU index: by handle identity,
// else by UUID (the library may hand out a different value for the same
// device).
func (b *Backend) gpuOf(h nvml.Device) (int, bool) {
	if h == nil {
		return 0, false
	}
	for _, d := range b.devices {
		if d.handle != nil && d.handle == h {
			return d.index, true
		}
	}
	uuid, ret := h.GetUUID()
	if ret != nvml.SUCCESS || uuid == "" {
		return 0, false
	}
	for _, d := range b.devices {
		if d.uuid == uuid {
			return d.index, true
		}
	}
	return 0, false
}

// beginWait and endWait account one EventSet.Wait (always, not only with
// CallStats: two clock reads per Wait are nothing next to the Wait).
func (b *Backend) beginWait() time.Time { return time.Now() }

func (b *Backend) endWait(t time.Time) {
	b.waits.count.Add(1)
	b.waits.nanos.Add(uint64(time.Since(t)))
}
