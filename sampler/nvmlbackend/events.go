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

	timeoutMS := uint32(max(b.opts.EventTimeout.Milliseconds(), 1))
	failures := 0
	for ctx.Err() == nil && !b.closing.Load() {
		data, ret := set.Wait(timeoutMS)
		switch ret {
		case nvml.ERROR_TIMEOUT:
			failures = 0
			continue
		case nvml.SUCCESS:
			failures = 0
			if data.EventType&nvml.EventTypeXidCriticalError == 0 {
				continue
			}
			xid := int(data.EventData)
			ev := model.Event{
				Time:     model.Now(),
				Kind:     model.EventXid,
				Severity: model.SevError,
				Message:  "Xid " + strconv.Itoa(xid),
				Xid:      model.Some(xid),
			}
			if gpu, ok := b.gpuOf(data.Device); ok {
				ev.GPU.Set(gpu)
			}
			emit(ev)
			continue
		}
		failures++
		b.log.Warn("nvml events: Wait failed", "code", codeName(ret), "in_a_row", failures)
		if failures >= maxWaitFailures {
			return fmt.Errorf("nvml events: EventSet.Wait failed %d times in a row: %w", failures, ret)
		}
		// Do not spin on an error that answers at once.
		select {
		case <-ctx.Done():
		case <-time.After(b.opts.EventTimeout):
		}
	}
	return nil
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
