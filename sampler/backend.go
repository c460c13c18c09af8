// Package sampler is the hardware side of gputop. A Backend (NVML, the
// simulated fleet, or a snapshot being replayed) answers readings; the
// Sampler turns it into tiered polling with per-GPU isolation, history rings
// and latest-wins notifications. Nothing else in the program talks to NVML.
package sampler

import (
	"context"
	"errors"
	"fmt"

	"github.com/gputop/gputop/model"
)

// Backend is the narrow interface every source of GPU data implements.
//
// Open is called once. ReadFast is called from the sampler's clock, one GPU
// after another; ReadSlow from a goroutine per GPU: the slow tier (20 ms
// PCIe throughput) must never delay the fast tier, so ReadFast and ReadSlow
// of the same GPU may run at the same time, slow readings of different GPUs
// run concurrently, and so may fast readings of different GPUs once the
// watchdog has replaced a clock stuck in one; a method is never concurrent
// with itself for one GPU. They fill the sample in place, leaving
// fields the device does not support unavailable; a backend remembers
// NOT_SUPPORTED answers and does not ask again. They return an error only
// when the whole reading of that GPU failed; a *DeviceError says how.
type Backend interface {
	Open(ctx context.Context) (model.System, []model.GPUInfo, error)
	ReadFast(gpu int, s *model.Sample) error
	ReadSlow(gpu int, s *model.SlowSample) error
	Close() error
}

// EventSource is implemented by backends that deliver asynchronous events
// (Xid errors). Events blocks until ctx is done, calling emit for each event.
type EventSource interface {
	Events(ctx context.Context, emit func(model.Event)) error
}

// CallStat is the cost of one kind of driver call, for the overhead view.
type CallStat = model.CallStat // defined in model so the UI needs only model

// CallStatter is implemented by backends that time their driver calls.
type CallStatter interface {
	CallStats() []CallStat
}

// DeviceError is a failed reading of one GPU, classified so the UI can say
// "lost" rather than "error".
type DeviceError struct {
	GPU   int
	Code  string // NVML return name, e.g. "GPU_IS_LOST"
	State model.HealthState
	Err   error
}

func (e *DeviceError) Error() string {
	return fmt.Sprintf("GPU %d: %s: %v", e.GPU, e.Code, e.Err)
}

func (e *DeviceError) Unwrap() error { return e.Err }

// OpenError explains why a backend could not start (no library, no kernel
// module, no permission...). Hint is the next step for the user.
type OpenError struct {
	Code    string // "LIBRARY_NOT_FOUND", "DRIVER_NOT_LOADED", "NO_PERMISSION", "NO_DEVICES", ...
	Message string
	Hint    string
	Err     error
}

func (e *OpenError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *OpenError) Unwrap() error { return e.Err }

// AsOpenError extracts an *OpenError from err.
func AsOpenError(err error) (*OpenError, bool) {
	var oe *OpenError
	ok := errors.As(err, &oe)
	return oe, ok
}
