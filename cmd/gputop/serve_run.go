//go:build !nofleet

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler/promexport"
	"github.com/gputop/gputop/sampler/sim"
)

// serveCmd checks serve's flags and serves. The dashboard-only build
// (-tags nofleet, fleet_exec.go) hands serve to gputop-fleet instead.
func serveCmd(ctx context.Context, o *options, so *serveOptions, stderr io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	if so.checksEvery < 10*time.Second {
		return usageError("--checks-every %v is too short: the minimum is 10s", so.checksEvery)
	}
	if _, _, err := net.SplitHostPort(so.listen); err != nil {
		return usageError("--listen %q: want HOST:PORT (%v)", so.listen, err)
	}
	if so.webConfig != "" {
		if err := web.Validate(so.webConfig); err != nil {
			return usageError("--web-config-file: %v", oneLineErr(err))
		}
	}
	if so.hostname != "" && promexport.CleanLabel(so.hostname) != so.hostname {
		return usageError("--hostname %q has control characters or is too long", so.hostname)
	}
	return runServe(ctx, o, so, stderr)
}

func oneLineErr(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func runServe(parent context.Context, o *options, so *serveOptions, stderr io.Writer) error {
	log, closeLog, err := o.logger()
	if err != nil {
		return err
	}
	defer closeLog()
	ctx, cancel := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer cancel()

	s, err := openSession(ctx, o, log)
	if err != nil {
		return err
	}
	defer s.close()
	if s.openErr != nil {
		return &exitError{code: 2, err: fmt.Errorf("no GPU to serve: %s: %s\n  %s", s.openErr.Code, s.openErr.Message, s.openErr.Hint)}
	}
	if fleet, ok := s.backend.(*sim.Fleet); ok {
		// The demo starts with a minute of simulated past: its scheduled
		// events (an Xid 31 at +40 s) belong to that past too.
		for _, ev := range fleet.EventsBetween(fleet.Start(), time.Now()) {
			s.sampler.Emit(ev)
		}
	}
	host := so.hostname
	if host == "" && !o.demo {
		host = os.Getenv("NODE_NAME")
	}
	if host == "" && !o.demo {
		host, _ = os.Hostname()
	}
	if host == "" {
		host = s.sampler.System().Host
	}
	host = promexport.CleanLabel(host)

	var results atomic.Pointer[[]model.CheckResult]
	coll := promexport.New(s.sampler, promexport.Options{
		Hostname: host,
		Version:  gputopVersion(),
		Checks: func() []model.CheckResult {
			if p := results.Load(); p != nil {
				return *p
			}
			return nil
		},
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(coll, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	runCtx, stopSampler := context.WithCancel(ctx)
	defer stopSampler()
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		if err := s.sampler.Run(runCtx); err != nil {
			log.Error("sampler stopped", "err", err)
		}
	}()
	go serveChecks(runCtx, s, so.checksEvery, &results, log)

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		counts := map[model.HealthState]int{}
		for _, g := range s.sampler.GPUs() {
			_, _, _, h := g.Latest()
			counts[h.State]++
		}
		fmt.Fprintf(w, "ok: %d GPU(s), %d ok, %d stale, %d lost, %d error\n", len(s.sampler.GPUs()),
			counts[model.Healthy], counts[model.Stale], counts[model.Lost], counts[model.Failed])
	})
	snapBusy := make(chan struct{}, 1) // one snapshot at a time: each holds two minutes of history
	mux.HandleFunc("/snapshot", func(w http.ResponseWriter, r *http.Request) {
		select {
		case snapBusy <- struct{}{}:
			defer func() { <-snapBusy }()
		default:
			http.Error(w, "a snapshot is being written; try again", http.StatusTooManyRequests)
			return
		}
		sctx, scancel := context.WithTimeout(r.Context(), 15*time.Second)
		defer scancel()
		snap, err := s.buildSnapshot(sctx)
		if err != nil {
			http.Error(w, "snapshot: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+model.DefaultSnapshotName(host, snap.Created.Time(), model.FormatJSON)+`"`)
		if err := snap.WriteJSON(w); err != nil {
			log.Warn("writing /snapshot", "err", err)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "gputop %s serve on %s: /metrics /healthz /snapshot\n", gputopVersion(), host)
	})

	l, err := net.Listen("tcp", so.listen)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--listen %s: %w", so.listen, err)}
	}
	where := "http://" + l.Addr().String() + "/metrics"
	if so.webConfig != "" {
		where = l.Addr().String() + "/metrics (TLS and auth per " + so.webConfig + ")"
	}
	fmt.Fprintf(stderr, "gputop serve: %d GPU(s) of %s at %s\n", len(s.sampler.GPUs()), host, where)
	if ip := listenIP(l.Addr()); ip != nil && !ip.IsLoopback() && so.webConfig == "" {
		fmt.Fprintln(stderr, "gputop serve: warning: listening beyond loopback without TLS or auth (--web-config-file)")
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	webFlags := &web.FlagConfig{WebConfigFile: &so.webConfig}
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.Serve(l, srv, webFlags, log) }()

	var result error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			result = &exitError{code: 2, err: fmt.Errorf("serving: %w", err)}
		}
	}
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer shutCancel()
	_ = srv.Shutdown(shutCtx)
	stopSampler()
	<-samplerDone
	logStats(s, log)
	return result
}

func listenIP(a net.Addr) net.IP {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP
	}
	return nil
}

// serveChecks runs the full checklist at start and every `every`, and
// re-judges the live rules (throttling, PCIe, memory errors) on the newest
// readings every few seconds; scrapes read the newest results.
func serveChecks(ctx context.Context, s *session, every time.Duration, out *atomic.Pointer[[]model.CheckResult], log *slog.Logger) {
	full := func() {
		cctx, cancel := context.WithTimeout(ctx, checkBudget)
		defer cancel()
		rs, _, err := s.runChecks(cctx)
		if err != nil {
			log.Warn("checks", "err", err)
			return
		}
		out.Store(&rs)
	}
	full()
	fullT := time.NewTicker(every)
	defer fullT.Stop()
	live := time.NewTicker(serveLiveEvery)
	defer live.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-fullT.C:
			full()
		case <-live.C:
			s.mu.Lock()
			f, checked := s.facts, s.checked
			s.mu.Unlock()
			if s.opts.demo {
				full() // synthesised host facts: a full run costs no probes
				continue
			}
			if !checked {
				continue
			}
			rs := s.evaluateLive(s.refreshFacts(f))
			out.Store(&rs)
		}
	}
}

// serveLiveEvery is how often serve re-judges the live rules.
const serveLiveEvery = 5 * time.Second
