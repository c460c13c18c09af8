package nvmlbackend

import (
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// blockedPower makes GPU 0's power call block until released, recording
// the order of events against Shutdown.
type blockedPower struct {
	inside  chan struct{}
	release chan struct{}
	mu      sync.Mutex
	order   []string
}

func newBlockedPower(t *testing.T) (*Backend, *blockedPower) {
	srv, devs := newFleet(t)
	bp := &blockedPower{inside: make(chan struct{}), release: make(chan struct{})}
	devs[0].GetPowerUsageFunc = func() (uint32, nvml.Return) {
		close(bp.inside)
		<-bp.release
		bp.record("power returned")
		return 1, nvml.SUCCESS
	}
	devs[0].GetFanSpeedFunc = func() (uint32, nvml.Return) { bp.record("last call"); return 0, nvml.ERROR_NOT_SUPPORTED }
	devs[0].GetNumFansFunc = func() (int, nvml.Return) { return 1, nvml.SUCCESS }
	srv.ShutdownFunc = func() nvml.Return { bp.record("shutdown"); return nvml.SUCCESS }
	b := New(srv, Options{EventTimeout: 1})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	return b, bp
}

func (bp *blockedPower) record(s string) {
	bp.mu.Lock()
	bp.order = append(bp.order, s)
	bp.mu.Unlock()
}

func (bp *blockedPower) events() []string {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	return slices.Clone(bp.order)
}

// Close waits for a reading in progress: go-nvml's Shutdown unloads the
// library, and a call after that would crash the process.
func TestCloseWaitsForReadingInProgress(t *testing.T) {
	b, bp := newBlockedPower(t)
	readDone := make(chan error, 1)
	go func() {
		var s model.Sample
		readDone <- b.ReadFast(0, &s)
	}()
	<-bp.inside
	closeDone := make(chan error, 1)
	go func() { closeDone <- b.Close() }()
	for !b.closing.Load() { // Close has begun and must now wait for the reading
		runtime.Gosched()
	}
	close(bp.release)
	if err := <-readDone; err != nil {
		t.Errorf("reading: %v", err)
	}
	if err := <-closeDone; err != nil {
		t.Errorf("Close: %v", err)
	}
	if got := bp.events(); !slices.Equal(got, []string{"power returned", "last call", "shutdown"}) {
		t.Errorf("order = %v", got)
	}
	var s model.Sample
	if err := b.ReadFast(1, &s); !errors.Is(err, errClosed) {
		t.Errorf("reading after Close: %v", err)
	}
	var slow model.SlowSample
	if err := b.ReadSlow(1, &slow); !errors.Is(err, errClosed) {
		t.Errorf("slow reading after Close: %v", err)
	}
}

// A call that hangs past the grace period is not shut down under: Close
// reports it and leaves NVML initialised.
func TestCloseWithHungReading(t *testing.T) {
	b, bp := newBlockedPower(t)
	readDone := make(chan error, 1)
	go func() {
		var s model.Sample
		readDone <- b.ReadFast(0, &s)
	}()
	<-bp.inside
	if err := b.Close(); err == nil {
		t.Error("Close with a hung call reported success")
	}
	close(bp.release)
	<-readDone
	if got := bp.events(); slices.Contains(got, "shutdown") {
		t.Errorf("shut down under a running call: %v", got)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
