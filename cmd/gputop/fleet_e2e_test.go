package main

// The fleet end to end: Debian's prometheus scrapes two `gputop serve --demo`
// nodes and two recorded dcgm-exporter pages (both label spellings), and
// `gputop --prometheus` shows them in tmux. Everything listens on loopback.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gputop/gputop/sampler/promapi"
	"github.com/gputop/gputop/ui/cluster"
)

func requirePrometheus(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("GPUTOP_REQUIRE_PROMETHEUS") != "" {
				t.Fatalf("%s is required (GPUTOP_REQUIRE_PROMETHEUS is set) but is not installed: apt-get install prometheus", bin)
			}
			t.Skipf("%s not installed; apt-get install prometheus to run the fleet tests", bin)
		}
	}
}

// startServe runs `gputop serve --demo` on a free loopback port and returns
// its address (read from the line serve prints) and the process.
func startServe(t *testing.T, bin, host string, seed int) (string, *exec.Cmd) {
	t.Helper()
	return startServeArgs(t, bin, "serve", "--demo", "--seed", fmt.Sprint(seed), "--hostname", host, "--listen", "127.0.0.1:0")
}

func startServeArgs(t *testing.T, bin string, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`(?:://| at )(127\.0\.0\.1:\d+)/metrics`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case a := <-addr:
		return a, cmd
	case <-time.After(30 * time.Second):
		t.Fatalf("gputop %v did not say where it listens", args)
	}
	return "", nil
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startPrometheus runs Debian's prometheus with a 1 s scrape interval in a
// temporary directory and waits until it is ready.
func startPrometheus(t testing.TB, jobs map[string][]string) string {
	t.Helper()
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n")
	for job, targets := range jobs {
		fmt.Fprintf(&cfg, "  - job_name: %s\n    static_configs:\n      - targets: ['%s']\n", job, strings.Join(targets, "', '"))
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	cmd := exec.Command("prometheus", "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
	t.Fatalf("prometheus not ready within 30 s:\n%s", out)
	return ""
}

// promValue runs an instant query whose answer is one number.
func promValue(base, q string) (float64, bool) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) != 1 {
		return 0, false
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	var v float64
	_, err = fmt.Sscan(s, &v)
	return v, err == nil
}

func waitProm(t testing.TB, base, q string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if v, ok := promValue(base, q); ok && v == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	v, _ := promValue(base, q)
	t.Fatalf("%s = %v, want %v within 30 s", q, v, want)
}

// promtoolLint are the lint messages the dcgm-exporter-compatible names and
// labels cause on purpose (no _total suffix, modelName); anything else is a
// finding.
var promtoolLint = []*regexp.Regexp{
	regexp.MustCompile(`^DCGM_FI_\w+ counter metrics should have "_total" suffix$`),
	regexp.MustCompile(`^\w+ label names should be written in 'snake_case' not 'camelCase'$`),
	regexp.MustCompile(`^DCGM_FI_DEV_PCIE_REPLAY_COUNTER metric name should not include type 'counter'$`),
}

func checkExposition(t *testing.T, addr string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("/metrics Content-Type %q: want the classic text format (OpenMetrics would rename the dcgm counters)", ct)
	}
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(string(body))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() != 3 || err != nil && !ok {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		allowed := false
		for _, re := range promtoolLint {
			allowed = allowed || re.MatchString(line)
		}
		if !allowed {
			t.Errorf("promtool: %s", line)
		}
	}
	for _, want := range []string{`DCGM_FI_DEV_GPU_UTIL{`, `gputop_check_status{`, `gputop_gpu_verdict{`, `DCGM_FI_DEV_XID_ERRORS{`, `err_code="31"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics of %s lacks %s", addr, want)
		}
	}
}

// serveFile serves a recorded exposition; drop(gpu) then leaves that GPU's
// series out, as an exporter does when a GPU falls off the bus.
func serveFile(t testing.TB, path string) (addr string, drop func(gpu string)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	page := data
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		p := page
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write(p)
	}))
	t.Cleanup(srv.Close)
	drop = func(gpu string) {
		var keep []string
		for _, l := range strings.Split(string(data), "\n") {
			if !strings.Contains(l, `{gpu="`+gpu+`",`) {
				keep = append(keep, l)
			}
		}
		mu.Lock()
		page = []byte(strings.Join(keep, "\n"))
		mu.Unlock()
	}
	return strings.TrimPrefix(srv.URL, "http://"), drop
}

func TestE2EFleetPrometheus(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	requirePrometheus(t)
	requireTmux(t)
	if testing.Short() {
		t.Skip("starts prometheus and three processes")
	}
	bin := gputopBinary(t)
	a, _ := startServe(t, bin, "node-a", 1)
	b, serveB := startServe(t, bin, "node-b", 2)
	dcgmA, _ := serveFile(t, "testdata/dcgm/Hostname-UUID.prom")
	dcgmB, dropB := serveFile(t, "testdata/dcgm/hostname-uuid.prom")
	base := startPrometheus(t, map[string][]string{"gputop": {a, b}, "dcgm": {dcgmA, dcgmB}})

	checkExposition(t, a)
	waitProm(t, base, `count(DCGM_FI_DEV_FB_USED{job="gputop"})`, 16)
	// GPUs 3 and 7 of each demo node are in MIG mode: like dcgm-exporter,
	// no whole-GPU utilisation for them; the cluster view still counts
	// them (16 GPUs below).
	waitProm(t, base, `count(DCGM_FI_DEV_GPU_UTIL{job="gputop"})`, 12)
	waitProm(t, base, `count(DCGM_FI_DEV_GPU_UTIL{job="dcgm"})`, 12)
	waitProm(t, base, `count(count by (Hostname) (gputop_check_status{status="fail"} == 1))`, 2)

	t.Run("gputop serve", func(t *testing.T) {
		s := newTmux(t, 200, 50)
		s.typeLine(fmt.Sprintf(`%s --prometheus %s --prometheus-match 'job="gputop"' --prometheus-refresh 1s`, bin, base))
		scr := s.waitFor("2 nodes · 16 GPUs", 20*time.Second)
		for _, want := range []string{"node-a (8)", "node-b (8)", "Failing checks (2): node-a: ", "torch.arch.gpu5", "Xid 31",
			"Resolution: the exporters' scrapes, about every 1s"} {
			if !strings.Contains(scr, want) {
				t.Errorf("cluster view lacks %q:\n%s", want, scr)
			}
		}
		// Enter on a node: its GPUs as cards and its checklist.
		s.send("Enter")
		scr = s.waitFor("Checklist", 5*time.Second)
		for _, want := range []string{"node-a · 8 GPUs · gputop", "gpu 5 NVIDIA GeForce RTX", "FAIL", "torch.arch.gpu5 (gpu 5)"} {
			if !strings.Contains(scr, want) {
				t.Errorf("node view lacks %q:\n%s", want, scr)
			}
		}
		s.send("Escape")
		s.waitFor("node-b (8)", 5*time.Second)
		// Filter to one node.
		s.send("/")
		s.send("-l", "node:node-b")
		s.send("Enter")
		s.waitForNo("node-a (8)", 5*time.Second)
		s.waitFor("node-b (8)", 5*time.Second)
		s.send("Escape")
		s.waitFor("node-a (8)", 5*time.Second)
		// An exporter that stops answering is reported down.
		_ = serveB.Process.Kill()
		scr = s.waitFor("Exporters down:", 20*time.Second)
		if !strings.Contains(scr, "EXPORTER DOWN") || !strings.Contains(scr, "node-b ("+b) {
			t.Errorf("node-b is not shown down:\n%s", scr)
		}
		s.send("q")
		s.waitFor("e2e$", 10*time.Second)
	})

	t.Run("dcgm-exporter", func(t *testing.T) {
		s := newTmux(t, 200, 40)
		s.typeLine(fmt.Sprintf(`%s --prometheus %s --prometheus-match 'job="dcgm"' --prometheus-refresh 1s`, bin, base))
		scr := s.waitFor("2 nodes · 12 GPUs", 20*time.Second)
		for _, want := range []string{"dgx-a (8)", "dgx-b (4)", "ml/trainer-0", "ml/llm-serve-7f9c", "dgx-b gpu 2 Xid 48",
			"Version skew (2):", "driver 550.90.07", "driver 570.133.20", "H100 80GB HBM3", "A100-SXM4-80GB"} {
			if !strings.Contains(scr, want) {
				t.Errorf("cluster view lacks %q:\n%s", want, scr)
			}
		}
		s.send("Enter")
		scr = s.waitFor("Checklist", 5*time.Second)
		if !strings.Contains(scr, "no checks: this node runs dcgm-exporter") {
			t.Errorf("dcgm node view:\n%s", scr)
		}
		s.send("Escape")
		// A GPU that leaves the exporter's page is reported vanished.
		dropB("3")
		scr = s.waitFor("Vanished GPUs: dgx-b gpu 3", 20*time.Second)
		if !strings.Contains(scr, "dgx-b (3)") {
			t.Errorf("dgx-b still counts 4 GPUs:\n%s", scr)
		}
		s.send("q")
		s.waitFor("e2e$", 10*time.Second)
	})
}

// The bad-input rules hold for the fleet flags too.
func TestFleetBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--prometheus", "ftp://x"}, "want http:// or https://"},
		{[]string{"--prometheus", "http://127.0.0.1:1", "--demo"}, "cannot be used with --demo"},
		{[]string{"--prometheus-match", `job="x"`}, "need --prometheus URL"},
		{[]string{"--prometheus", "http://127.0.0.1:1", "--prometheus-match", `{job="x"}`}, "without braces"},
		{[]string{"--prometheus", "http://127.0.0.1:1", "--prometheus-refresh", "10ms"}, "want 1s to 10m"},
		{[]string{"serve", "--listen", "nonsense"}, "want HOST:PORT"},
		{[]string{"serve", "--checks-every", "1s"}, "minimum is 10s"},
		{[]string{"serve", "--web-config-file", "/nonexistent/web.yml"}, "--web-config-file"},
	}
	for _, c := range cases {
		code, _, stderr := runArgs(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// serve answers /metrics, /healthz and /snapshot, and stops on its context.
func TestServeEndpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve for a few seconds")
	}
	bin := gputopBinary(t)
	addr, _ := startServe(t, bin, "node-x", 3)
	get := func(path string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || !strings.HasPrefix(body, "ok: 8 GPU(s), 8 ok") {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, body := get("/snapshot")
	if code != 200 || !strings.Contains(body, `"schema"`) && !strings.Contains(body, `"gpus"`) {
		t.Errorf("/snapshot: %d %.200q", code, body)
	}
	if code, _ := get("/nope"); code != 404 {
		t.Errorf("/nope: %d, want 404", code)
	}
	if _, body := get("/metrics"); !strings.Contains(body, `Hostname="node-x"`) || !strings.Contains(body, "gputop_build_info{") {
		t.Errorf("/metrics lacks the host label or build info")
	}
}

// Without a terminal the cluster view refuses with one line, like the
// dashboard (run as a child process: the test's own stdout may be a tty).
func TestClusterNeedsTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	out, err := exec.Command(gputopBinary(t), "--prometheus", "http://127.0.0.1:1").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "needs a terminal") {
		t.Errorf("exit %v, output %q", err, out)
	}
}

// dcgmPage is a dcgm-exporter page of nodes x 8 GPUs on one target (the
// Hostname label tells the nodes apart), for the 1,000-GPU benchmark.
func dcgmPage(nodes int) []byte {
	var b strings.Builder
	for _, m := range []string{"DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_FB_RESERVED",
		"DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_XID_ERRORS"} {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", m)
		for n := range nodes {
			for i := range 8 {
				fmt.Fprintf(&b, "%s{gpu=\"%d\",UUID=\"GPU-%04d-%d\",pci_bus_id=\"00000000:%02X:00.0\",device=\"nvidia%d\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"node-%03d\",DCGM_FI_DRIVER_VERSION=\"550.90.07\"} %d\n",
					m, i, n, i, 0x18+i, i, n, (n*8+i)%101)
			}
		}
	}
	return []byte(b.String())
}

// BenchmarkClusterRealPrometheus1000: one refresh of the cluster view
// against Debian's prometheus holding 1,000 GPUs (125 nodes): the 18
// requests, decoding, the fleet model, and drawing a 200x60 screen.
func BenchmarkClusterRealPrometheus1000(b *testing.B) {
	requirePrometheus(b)
	page := dcgmPage(125)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write(page)
	}))
	defer srv.Close()
	base := startPrometheus(b, map[string][]string{"dcgm": {strings.TrimPrefix(srv.URL, "http://")}})
	waitProm(b, base, `count(DCGM_FI_DEV_GPU_UTIL)`, 1000)
	c, err := promapi.NewClient(promapi.Config{URL: base})
	if err != nil {
		b.Fatal(err)
	}
	m := cluster.New(cluster.Config{Source: base, Theme: "mono"})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	var last *promapi.Fleet
	for b.Loop() {
		f, err := promapi.Fetch(context.Background(), c, promapi.Options{})
		if err != nil || f.GPUCount() != 1000 {
			b.Fatalf("%v, %d GPUs", err, f.GPUCount())
		}
		m.SetFleet(f)
		_ = m.View()
		last = f
	}
	b.Logf("last refresh: %v; slowest query %v: %s", last.Took, last.Slowest, last.SlowestQuery)
}
