package sampler_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// fakeBackend is a scriptable Backend: each GPU can be made to hang or to
// fail, and it leaves the fields a real passive card lacks unavailable.
type fakeBackend struct {
	gpus []*fakeGPU
}

type fakeGPU struct {
	mu   sync.Mutex
	hang chan struct{} // when non-nil, reads block until it is closed
	err  error         // when non-nil, reads fail with it

	slowErr   error         // when non-nil, only slow reads fail with it
	blocked   chan struct{} // receives (without blocking) when a read starts to hang
	fastCalls atomic.Int64
	slowCalls atomic.Int64
}

func newFake(n int) *fakeBackend {
	b := &fakeBackend{}
	for range n {
		b.gpus = append(b.gpus, &fakeGPU{blocked: make(chan struct{}, 1)})
	}
	return b
}

// Hang makes the GPU's next reads block until the returned func is called.
func (g *fakeGPU) Hang() (release func()) {
	ch := make(chan struct{})
	g.mu.Lock()
	g.hang = ch
	g.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			if g.hang == ch {
				g.hang = nil
			}
			g.mu.Unlock()
			close(ch)
		})
	}
}

// Fail makes the GPU's reads fail with err (nil: answer again).
func (g *fakeGPU) Fail(err error) {
	g.mu.Lock()
	g.err = err
	g.mu.Unlock()
}

// enter blocks while the GPU hangs and returns the error it fails with.
func (g *fakeGPU) enter() error {
	g.mu.Lock()
	hang, err := g.hang, g.err
	g.mu.Unlock()
	if hang != nil {
		select {
		case g.blocked <- struct{}{}:
		default:
		}
		<-hang
	}
	return err
}

func (b *fakeBackend) Open(context.Context) (model.System, []model.GPUInfo, error) {
	infos := make([]model.GPUInfo, len(b.gpus))
	for i := range infos {
		infos[i] = model.GPUInfo{Index: i, Name: "Fake GPU"}
	}
	return model.System{Host: "test", Source: "fake"}, infos, nil
}

func (b *fakeBackend) ReadFast(gpu int, s *model.Sample) error {
	g := b.gpus[gpu]
	n := g.fastCalls.Add(1)
	if err := g.enter(); err != nil {
		return err
	}
	s.MemUsed.Set(uint64(n))
	s.UtilGPU.Set(uint32(10 * gpu))
	s.PowerDraw.Set(100_000)
	if n == 1 {
		// Answered once, NOT_SUPPORTED afterwards: a later sample must not
		// inherit the first value.
		s.ClockMem.Set(1215)
	}
	// FanPercent and TempMem: NOT_SUPPORTED (a passive GDDR card), never set.
	return nil
}

func (b *fakeBackend) ReadSlow(gpu int, s *model.SlowSample) error {
	g := b.gpus[gpu]
	g.slowCalls.Add(1)
	if err := g.enter(); err != nil {
		return err
	}
	g.mu.Lock()
	slowErr := g.slowErr
	g.mu.Unlock()
	if slowErr != nil {
		return slowErr
	}
	s.PCIeGen.Set(4)
	s.EnergyMilliJ.Set(uint64(g.slowCalls.Load()) * 1000)
	// PCIeReplays: NOT_SUPPORTED, never set.
	s.Processes = []model.Process{{PID: uint32(1000 + gpu), GPUIndex: gpu, Kind: "compute"}}
	return nil
}

func (b *fakeBackend) Close() error { return nil }

// fakeWithEvents adds an event source that emits the given events, then
// fails with err (or waits for ctx when err is nil).
type fakeWithEvents struct {
	*fakeBackend
	events []model.Event
	err    error
}

func (f *fakeWithEvents) Events(ctx context.Context, emit func(model.Event)) error {
	for _, ev := range f.events {
		emit(ev)
	}
	if f.err != nil {
		return f.err
	}
	<-ctx.Done()
	return nil
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (the machine running the tests may be heavily loaded).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// running is a Sampler polling under a test-owned context.
type running struct {
	*sampler.Sampler
	cancel context.CancelFunc
	done   chan error
}

func startSampler(t *testing.T, b sampler.Backend, opts sampler.Options) *running {
	t.Helper()
	s, err := sampler.Open(context.Background(), b, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Sampler: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run and waits for it to return (idempotent).
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run: %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func health(g *sampler.GPU) model.Health {
	_, _, _, h := g.Latest()
	return h
}

// eventsFor lists the timeline events of one GPU and kind.
func eventsFor(s *sampler.Sampler, gpu int, kind model.EventKind) []model.Event {
	var out []model.Event
	for _, ev := range s.Events(nil, 1<<20) {
		if ev.GPU == model.Some(gpu) && ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}
