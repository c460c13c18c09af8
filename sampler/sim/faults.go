package sim

import (
	"errors"
	"sync"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// FaultKind is a failure the fleet can inject.
type FaultKind int

const (
	// FaultHang: from At on, reads of the GPU block (as a driver call stuck
	// on a wedged GPU does) until Release, Close, or For of wall time after
	// the first blocked read. Reads after that answer normally.
	FaultHang FaultKind = iota + 1
	// FaultLost: reads stamped in [At, At+For) fail with GPU_IS_LOST
	// (For 0: for good), and Events reports Xid 79 at At.
	FaultLost
	// FaultResetRequired: reads stamped in [At, At+For) fail with
	// RESET_REQUIRED, and Events reports Xid 119 at At.
	FaultResetRequired
)

// Fault injects a failure into one GPU. At is sample time after Start, so a
// lost window is deterministic; a hang's For is wall time, since a blocked
// read sees no new sample times.
type Fault struct {
	GPU  int
	Kind FaultKind
	At   time.Duration
	For  time.Duration
}

var (
	errLost          = errors.New("the GPU has fallen off the bus (simulated)")
	errResetRequired = errors.New("the GPU requires a reset (simulated)")
)

type faultState struct {
	Fault
	err *sampler.DeviceError // prebuilt so a failing read does not allocate

	release     chan struct{}
	releaseOnce sync.Once
	timerOnce   sync.Once
}

func newFaultState(f Fault) *faultState {
	fs := &faultState{Fault: f, release: make(chan struct{})}
	switch f.Kind {
	case FaultLost:
		fs.err = &sampler.DeviceError{GPU: f.GPU, Code: "GPU_IS_LOST", State: model.Lost, Err: errLost}
	case FaultResetRequired:
		fs.err = &sampler.DeviceError{GPU: f.GPU, Code: "RESET_REQUIRED", State: model.Failed, Err: errResetRequired}
	}
	return fs
}

func (fs *faultState) unblock() { fs.releaseOnce.Do(func() { close(fs.release) }) }

// active reports whether a read stamped off nanoseconds after Start falls in
// the fault's window.
func (fs *faultState) active(off int64) bool {
	if off < int64(fs.At) {
		return false
	}
	return fs.For == 0 || off < int64(fs.At+fs.For)
}

// checkFaults blocks or fails a read as the GPU's faults say.
func (g *gpuSim) checkFaults(off int64, closed <-chan struct{}) error {
	for _, fs := range g.faults {
		switch fs.Kind {
		case FaultHang:
			if off < int64(fs.At) {
				continue
			}
			if fs.For > 0 {
				fs.timerOnce.Do(func() { time.AfterFunc(fs.For, fs.unblock) })
			}
			select {
			case <-fs.release:
			case <-closed:
			}
		case FaultLost, FaultResetRequired:
			if fs.active(off) {
				return fs.err
			}
		}
	}
	return nil
}

// Release ends the hangs of a GPU: blocked reads return, later reads answer.
func (f *Fleet) Release(gpu int) {
	if gpu < 0 || gpu >= len(f.gpus) {
		return
	}
	for _, fs := range f.gpus[gpu].faults {
		if fs.Kind == FaultHang {
			fs.unblock()
		}
	}
}
