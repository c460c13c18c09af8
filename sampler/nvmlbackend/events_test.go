package nvmlbackend

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"

	"github.com/gputop/gputop/model"
)

const testEventTimeout = 5 * time.Millisecond

// eventScript is a mock event set: Wait hands out the queued answers, then
// blocks for its timeout and answers TIMEOUT, as NVML does when nothing
// happens.
type eventScript struct {
	set     *mock.EventSet
	answers chan waitAnswer
	freed   atomic.Int32
	waits   atomic.Int32
	// timedOut receives one value per TIMEOUT answer (dropped when full),
	// so a test can wait for the loop to have gone quiet.
	timedOut chan struct{}
}

type waitAnswer struct {
	data nvml.EventData
	ret  nvml.Return
}

func newEventScript() *eventScript {
	es := &eventScript{answers: make(chan waitAnswer, 64), timedOut: make(chan struct{}, 16)}
	es.set = &mock.EventSet{
		WaitFunc: func(ms uint32) (nvml.EventData, nvml.Return) {
			es.waits.Add(1)
			// As NVML: an event that is ready is returned at once,
			// whatever the timeout (gputop asks with 0).
			select {
			case a := <-es.answers:
				return a.data, a.ret
			default:
			}
			select {
			case a := <-es.answers:
				return a.data, a.ret
			case <-time.After(time.Duration(ms) * time.Millisecond):
				select {
				case es.timedOut <- struct{}{}:
				default:
				}
				return nvml.EventData{}, nvml.ERROR_TIMEOUT
			}
		},
		FreeFunc: func() nvml.Return { es.freed.Add(1); return nvml.SUCCESS },
	}
	return es
}

func TestEventsDeliversXid(t *testing.T) {
	srv, devs := newFleet(t)
	es := newEventScript()
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return es.set, nvml.SUCCESS }
	b := New(srv, Options{EventTimeout: testEventTimeout})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan model.Event, 4)
	done := make(chan error, 1)
	go func() { done <- b.Events(ctx, func(ev model.Event) { got <- ev }) }()

	es.answers <- waitAnswer{nvml.EventData{Device: devs[3], EventType: nvml.EventTypeXidCriticalError, EventData: 79}, nvml.SUCCESS}
	ev := <-got
	if ev.Kind != model.EventXid || ev.Xid != model.Some(79) || ev.GPU != model.Some(3) ||
		ev.Severity != model.SevError || ev.Message != "Xid 79" || ev.Time == 0 {
		t.Errorf("event = %+v", ev)
	}
	// Quiet periods are TIMEOUT answers; the loop keeps waiting.
	for range 3 {
		<-es.timedOut
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Events after cancel: %v", err)
	}
	if es.freed.Load() != 1 {
		t.Errorf("event set freed %d times", es.freed.Load())
	}
	select {
	case ev := <-got:
		t.Errorf("unexpected event %+v", ev)
	default:
	}
	for i, d := range devs {
		calls := d.RegisterEventsCalls()
		if len(calls) != 1 || calls[0].V != nvml.EventTypeXidCriticalError {
			t.Errorf("GPU %d registrations: %+v", i, calls)
		}
	}
}

// The library may hand an event a device value that is not the handle Open
// got; the UUID still names the GPU. An event for no known device has no GPU.
func TestEventsMapsDeviceByUUID(t *testing.T) {
	srv, devs := newFleet(t)
	es := newEventScript()
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return es.set, nvml.SUCCESS }
	b := New(srv, Options{EventTimeout: testEventTimeout})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	alias := &mock.Device{GetUUIDFunc: func() (string, nvml.Return) { return devs[5].UUID, nvml.SUCCESS }}
	stranger := &mock.Device{GetUUIDFunc: func() (string, nvml.Return) { return "GPU-unknown", nvml.SUCCESS }}
	es.answers <- waitAnswer{nvml.EventData{Device: alias, EventType: nvml.EventTypeXidCriticalError, EventData: 48}, nvml.SUCCESS}
	es.answers <- waitAnswer{nvml.EventData{Device: stranger, EventType: nvml.EventTypeXidCriticalError, EventData: 13}, nvml.SUCCESS}
	es.answers <- waitAnswer{nvml.EventData{Device: nil, EventType: nvml.EventTypeXidCriticalError, EventData: 31}, nvml.SUCCESS}

	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan model.Event, 4)
	done := make(chan error, 1)
	go func() { done <- b.Events(ctx, func(ev model.Event) { got <- ev }) }()
	want := []struct {
		xid int
		gpu model.Opt[int]
	}{{48, model.Some(5)}, {13, model.None[int]()}, {31, model.None[int]()}}
	for _, w := range want {
		ev := <-got
		if ev.Xid != model.Some(w.xid) || ev.GPU != w.gpu {
			t.Errorf("event %+v, want Xid %d on %v", ev, w.xid, w.gpu)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestEventsRegistrationUnsupported(t *testing.T) {
	srv, devs := newFleet(t)
	es := newEventScript()
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return es.set, nvml.SUCCESS }
	for _, d := range devs {
		d.RegisterEventsFunc = func(uint64, nvml.EventSet) nvml.Return { return nvml.ERROR_NOT_SUPPORTED }
	}
	b := openServer(t, srv)
	err := b.Events(t.Context(), func(model.Event) { t.Error("event emitted") })
	if err == nil || !strings.Contains(err.Error(), "Xid") || !strings.Contains(err.Error(), "NOT_SUPPORTED") {
		t.Errorf("err = %v", err)
	}
	if es.freed.Load() != 1 || es.waits.Load() != 0 {
		t.Errorf("freed %d, waits %d", es.freed.Load(), es.waits.Load())
	}
}

// Some GPUs refusing is fine: the others are watched.
func TestEventsPartialRegistration(t *testing.T) {
	srv, devs := newFleet(t)
	es := newEventScript()
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return es.set, nvml.SUCCESS }
	devs[0].RegisterEventsFunc = func(uint64, nvml.EventSet) nvml.Return { return nvml.ERROR_NOT_SUPPORTED }
	b := New(srv, Options{EventTimeout: testEventTimeout})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Events(ctx, func(model.Event) {}) }()
	<-es.timedOut
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestEventsSetCreateFails(t *testing.T) {
	srv, _ := newFleet(t)
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return nil, nvml.ERROR_NOT_SUPPORTED }
	b := openServer(t, srv)
	if err := b.Events(t.Context(), func(model.Event) {}); !errors.Is(err, nvml.ERROR_NOT_SUPPORTED) {
		t.Errorf("err = %v", err)
	}
}

func TestEventsBeforeOpen(t *testing.T) {
	srv, _ := newFleet(t)
	if err := New(srv, Options{}).Events(t.Context(), func(model.Event) {}); err == nil {
		t.Error("Events before Open succeeded")
	}
	if len(srv.EventSetCreateCalls()) != 0 {
		t.Error("event set created before Open")
	}
}

// A Wait that keeps failing ends Events with the error instead of
// spinning; the sampler shows it once.
func TestEventsPersistentWaitFailure(t *testing.T) {
	srv, _ := newFleet(t)
	es := newEventScript()
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return es.set, nvml.SUCCESS }
	for range maxWaitFailures {
		es.answers <- waitAnswer{ret: nvml.ERROR_UNKNOWN}
	}
	b := New(srv, Options{EventTimeout: time.Millisecond})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err := b.Events(t.Context(), func(model.Event) {})
	if !errors.Is(err, nvml.ERROR_UNKNOWN) {
		t.Errorf("err = %v", err)
	}
	if es.freed.Load() != 1 {
		t.Errorf("freed %d", es.freed.Load())
	}
}

func TestEventsIgnoresOtherEventTypes(t *testing.T) {
	srv, devs := newFleet(t)
	es := newEventScript()
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return es.set, nvml.SUCCESS }
	b := New(srv, Options{EventTimeout: testEventTimeout})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	es.answers <- waitAnswer{nvml.EventData{Device: devs[0], EventType: nvml.EventTypeSingleBitEccError}, nvml.SUCCESS}
	es.answers <- waitAnswer{nvml.EventData{Device: devs[1], EventType: nvml.EventTypeXidCriticalError, EventData: 94}, nvml.SUCCESS}
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan model.Event, 4)
	done := make(chan error, 1)
	go func() { done <- b.Events(ctx, func(ev model.Event) { got <- ev }) }()
	if ev := <-got; ev.Xid != model.Some(94) {
		t.Errorf("first event %+v, want the Xid", ev)
	}
	cancel()
	<-done
}

// Close ends a running Events and frees the event set before NVML shuts
// down, even when the caller forgot to cancel Events' context.
func TestCloseStopsEventsBeforeShutdown(t *testing.T) {
	srv, _ := newFleet(t)
	es := newEventScript()
	var order []string
	var mu sync.Mutex
	record := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	es.set.FreeFunc = func() nvml.Return { record("free"); return nvml.SUCCESS }
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return es.set, nvml.SUCCESS }
	srv.ShutdownFunc = func() nvml.Return { record("shutdown"); return nvml.SUCCESS }
	b := New(srv, Options{EventTimeout: testEventTimeout})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Events(t.Context(), func(model.Event) {}) }()
	<-es.timedOut // running
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Events: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(order, []string{"free", "shutdown"}) {
		t.Errorf("order = %v", order)
	}
	if err := b.Events(t.Context(), func(model.Event) {}); err == nil {
		t.Error("Events after Close succeeded")
	}
}

// The watcher never blocks inside the driver: it asks with a zero timeout
// and sleeps on a Go timer between asks, one ask per EventTimeout when
// nothing happens.
func TestEventsAskWithoutBlocking(t *testing.T) {
	srv, _ := newFleet(t)
	var asks atomic.Int64
	var blocking atomic.Int64
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) {
		return &mock.EventSet{
			WaitFunc: func(ms uint32) (nvml.EventData, nvml.Return) {
				asks.Add(1)
				if ms != 0 {
					blocking.Add(1)
				}
				return nvml.EventData{}, nvml.ERROR_TIMEOUT
			},
			FreeFunc: func() nvml.Return { return nvml.SUCCESS },
		}, nvml.SUCCESS
	}
	b := New(srv, Options{EventTimeout: 20 * time.Millisecond})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := b.Events(ctx, func(model.Event) {}); err != nil {
		t.Fatal(err)
	}
	if since := time.Since(start); since > 400*time.Millisecond {
		t.Errorf("Events took %v to notice its context ended", since)
	}
	if n := blocking.Load(); n != 0 {
		t.Errorf("%d Waits with a timeout: the watcher blocked in the driver", n)
	}
	// 300 ms at one ask per 20 ms: about 15 (a loaded machine makes fewer).
	if n := asks.Load(); n < 2 || n > 17 {
		t.Errorf("%d asks in 300 ms, want at most one per 20 ms", n)
	}
}
