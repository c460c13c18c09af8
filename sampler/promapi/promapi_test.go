package promapi

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

// series is one fake time series: labels and a value.
type series struct {
	labels map[string]string
	value  float64
}

// fakeProm answers the API from canned series per query. The key is the
// first metric or function name that appears in the query text.
type fakeProm struct {
	mu       sync.Mutex
	now      time.Time
	byQuery  map[string][]series // query substring -> result
	labels   []string
	targets  []map[string]any
	auth     string // the Authorization header every request must carry
	noLabels bool   // the labels endpoint fails, as behind some proxies
	queries  []string
}

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.auth != "" && r.Header.Get("Authorization") != f.auth {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "Unauthorized")
		return
	}
	ok := func(data any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data})
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/api/v1/labels"):
		if f.noLabels {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		ok(f.labels)
	case strings.HasSuffix(r.URL.Path, "/api/v1/targets"):
		ok(map[string]any{"activeTargets": f.targets})
	case strings.HasSuffix(r.URL.Path, "/api/v1/query"):
		q := r.URL.Query().Get("query")
		f.queries = append(f.queries, q)
		var result []map[string]any
		for _, s := range f.match(q) {
			result = append(result, map[string]any{"metric": s.labels, "value": []any{float64(f.now.Unix()), fmt.Sprint(s.value)}})
		}
		ok(map[string]any{"resultType": "vector", "result": orEmpty(result)})
	case strings.HasSuffix(r.URL.Path, "/api/v1/query_range"):
		q := r.URL.Query().Get("query")
		f.queries = append(f.queries, "range:"+q)
		var result []map[string]any
		for _, s := range f.match("range:" + q) {
			var vals []any
			for i := 10; i >= 0; i-- {
				vals = append(vals, []any{float64(f.now.Add(-time.Duration(i) * 30 * time.Second).Unix()), fmt.Sprint(s.value)})
			}
			result = append(result, map[string]any{"metric": s.labels, "values": vals})
		}
		ok(map[string]any{"resultType": "matrix", "result": orEmpty(result)})
	default:
		http.NotFound(w, r)
	}
}

func orEmpty(r []map[string]any) []map[string]any {
	if r == nil {
		return []map[string]any{}
	}
	return r
}

func (f *fakeProm) match(q string) []series {
	best, bestLen := "", -1
	for k := range f.byQuery {
		if strings.Contains(q, k) && len(k) > bestLen {
			best, bestLen = k, len(k)
		}
	}
	if bestLen < 0 {
		return nil
	}
	return f.byQuery[best]
}

func gpuLabels(host, hostLabel, uuidLabel string, i int, extra ...string) map[string]string {
	l := map[string]string{"gpu": fmt.Sprint(i), uuidLabel: fmt.Sprintf("GPU-%s-%d", host, i), "modelName": "NVIDIA H100 80GB HBM3",
		"pci_bus_id": fmt.Sprintf("00000000:%02X:00.0", 0x18+i), "device": fmt.Sprintf("nvidia%d", i), hostLabel: host,
		"DCGM_FI_DRIVER_VERSION": "550.90.07", "instance": host + ":9400", "job": "gpu"}
	for k := 0; k+1 < len(extra); k += 2 {
		l[extra[k]] = extra[k+1]
	}
	return l
}

// mixedFleet: node-a runs gputop serve (Hostname/UUID), node-b an older
// dcgm-exporter spelling hostname/uuid with pods, node-c's exporter is down.
func mixedFleet(now time.Time) *fakeProm {
	f := &fakeProm{now: now, byQuery: map[string][]series{},
		labels: []string{"DCGM_FI_DRIVER_VERSION", "Hostname", "UUID", "__name__", "device", "gpu", "hostname", "instance",
			"job", "modelName", "namespace", "pci_bus_id", "pod", "uuid"}}
	var util, seen []series
	for i := range 2 {
		util = append(util, series{gpuLabels("node-a", "Hostname", "UUID", i), 50 + float64(i)})
	}
	for i := range 2 {
		pod := []string{"namespace", "ml", "pod", "trainer-0"}
		if i == 1 {
			pod = []string{"namespace", "", "pod", ""}
		}
		util = append(util, series{gpuLabels("node-b", "hostname", "uuid", i, pod...), 90})
	}
	seen = append(seen, util...)
	seen = append(seen, series{gpuLabels("node-a", "Hostname", "UUID", 2), 0}) // vanished from node-a
	seen = append(seen, series{gpuLabels("node-c", "Hostname", "UUID", 0), 0}) // its exporter is down
	seen[len(seen)-1].labels["instance"] = "node-c:9400"
	f.byQuery["DCGM_FI_DEV_GPU_UTIL"] = util
	f.byQuery["range:DCGM_FI_DEV_GPU_UTIL"] = util
	f.byQuery["last_over_time(DCGM_FI_DEV_GPU_UTIL"] = seen
	var fb, ts []series
	for _, s := range util {
		fb = append(fb, series{s.labels, 40960})
		ts = append(ts, series{s.labels, float64(now.Add(-2*time.Second).UnixMilli()) / 1000})
	}
	ts[0].value = float64(now.Add(-5*time.Minute).UnixMilli()) / 1000 // node-a's newest sample is old
	f.byQuery["DCGM_FI_DEV_FB_USED"] = fb
	f.byQuery["DCGM_FI_DEV_GPU_TEMP"] = []series{{util[2].labels, 9223372036854775794}, {util[3].labels, 61}} // a DCGM blank
	f.byQuery["DCGM_FI_DEV_FB_FREE"] = fb
	f.byQuery["timestamp(DCGM_FI_DEV_GPU_UTIL"] = ts
	f.byQuery["DCGM_FI_DEV_XID_ERRORS"] = []series{{util[3].labels, 48}}
	f.byQuery["gputop_gpu_verdict"] = []series{{withLabel(util[0].labels, "verdict", "fail"), 1}, {withLabel(util[1].labels, "verdict", "ok"), 1}}
	f.byQuery["gputop_gpu_verdict_reason"] = []series{{withLabel(util[0].labels, "reason", "PyTorch arch"), 1}}
	f.byQuery["gputop_check_status"] = []series{{map[string]string{"Hostname": "node-a", "check": "torch.arch.gpu0", "gpu": "0", "status": "fail"}, 1}}
	f.byQuery["gputop_host_info"] = []series{{map[string]string{"Hostname": "node-a", "driver_version": "580.159.04", "cuda_version": "13.0"}, 1}}
	f.byQuery["gputop_gpu_health"] = []series{{withLabel(util[1].labels, "state", "stale"), 1}}
	f.targets = []map[string]any{
		{"labels": map[string]string{"job": "gpu", "instance": "node-a:9400"}, "health": "up", "scrapeInterval": "15s"},
		{"labels": map[string]string{"job": "gpu", "instance": "node-b:9400"}, "health": "up", "scrapeInterval": "15s"},
		{"labels": map[string]string{"job": "gpu", "instance": "node-c:9400"}, "health": "down", "scrapeInterval": "30s",
			"lastError": "Get \"http://node-c:9400/metrics\": dial tcp: connection refused"},
	}
	return f
}

func withLabel(l map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range l {
		out[a] = b
	}
	return out
}

func TestFetchMixedFleet(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	fp := mixedFleet(now)
	f := fetchAt(t, fp, now)
	if len(f.Errors) != 0 {
		t.Errorf("errors: %v", f.Errors)
	}
	if got := len(f.Nodes); got != 3 {
		t.Fatalf("%d nodes, want 3", got)
	}
	a, b, cn := f.Nodes[0], f.Nodes[1], f.Nodes[2]
	if a.Name != "node-a" || b.Name != "node-b" || cn.Name != "node-c" {
		t.Fatalf("nodes %s %s %s", a.Name, b.Name, cn.Name)
	}
	if len(a.GPUs) != 2 || len(b.GPUs) != 2 {
		t.Errorf("GPUs: a %d b %d", len(a.GPUs), len(b.GPUs))
	}
	if a.Exporter != "gputop" || b.Exporter != "dcgm-exporter" {
		t.Errorf("exporters %q %q", a.Exporter, b.Exporter)
	}
	if len(a.Vanished) != 1 || a.Vanished[0].Index != "2" {
		t.Errorf("node-a vanished: %+v", a.Vanished)
	}
	if !cn.Down || !strings.Contains(cn.DownReason, "connection refused") || len(cn.GPUs) != 1 || len(cn.Vanished) != 0 {
		t.Errorf("node-c: down %v %q, %d GPUs, %d vanished", cn.Down, cn.DownReason, len(cn.GPUs), len(cn.Vanished))
	}
	if !a.Stale || b.Stale {
		t.Errorf("stale: a %v b %v (stale after %v)", a.Stale, b.Stale, f.StaleAfter)
	}
	if f.Resolution != 15*time.Second {
		t.Errorf("resolution %v, want the targets' median 15s", f.Resolution)
	}
	if a.GPUs[0].Verdict != model.VerdictFail || a.GPUs[0].Reason != "PyTorch arch" || a.GPUs[1].Verdict != model.VerdictOK ||
		a.Verdict != model.VerdictFail || b.Verdict != "" {
		t.Errorf("verdicts %q (%q) %q, nodes %q %q", a.GPUs[0].Verdict, a.GPUs[0].Reason, a.GPUs[1].Verdict, a.Verdict, b.Verdict)
	}
	if a.GPUs[1].Health != "stale" {
		t.Errorf("health %q", a.GPUs[1].Health)
	}
	if len(a.Checks) != 1 || a.Checks[0].ID != "torch.arch.gpu0" {
		t.Errorf("checks %+v", a.Checks)
	}
	if !math.IsNaN(b.GPUs[0].Temp) || b.GPUs[1].Temp != 61 {
		t.Errorf("temperatures %v %v: a DCGM blank must read as no value", b.GPUs[0].Temp, b.GPUs[1].Temp)
	}
	if b.GPUs[0].Pod != "ml/trainer-0" || b.GPUs[1].Pod != "" || b.GPUs[1].Xid != 48 {
		t.Errorf("node-b GPUs: %+v %+v", b.GPUs[0], b.GPUs[1])
	}
	if g := a.GPUs[0]; g.MemUsed != 40960 || g.MemTotal != 81920 || !math.IsNaN(g.Temp) || len(g.Spark) != 30 {
		t.Errorf("gpu: mem %v/%v temp %v spark %d", g.MemUsed, g.MemTotal, g.Temp, len(g.Spark))
	}
	if len(f.Skew) != 2 || f.Skew[0].What != "driver" {
		t.Errorf("skew %+v", f.Skew)
	}
	// One query per metric, never one per GPU.
	if n := len(fp.queries); n != 17 || f.Queries != 19 {
		t.Errorf("%d queries (%d counted); want 17 + labels + targets", n, f.Queries)
	}
}

// A server whose labels endpoint fails is still read: every known spelling
// is tried per series, and the view says discovery failed.
func TestFetchWithoutLabelsEndpoint(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	fp := mixedFleet(now)
	fp.noLabels = true
	srv := httptest.NewServer(fp)
	defer srv.Close()
	c, _ := NewClient(Config{URL: srv.URL})
	f, err := Fetch(context.Background(), c, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Nodes) != 3 || f.Nodes[1].GPUs[0].Pod != "ml/trainer-0" || len(f.Errors) != 1 || !strings.Contains(f.Errors[0], "label discovery") {
		t.Errorf("nodes %d, errors %v", len(f.Nodes), f.Errors)
	}
}

func TestFetchMatch(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	fp := mixedFleet(now)
	srv := httptest.NewServer(fp)
	defer srv.Close()
	c, _ := NewClient(Config{URL: srv.URL})
	if _, err := Fetch(context.Background(), c, Options{Match: `job="gpu"`, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	for _, q := range fp.queries {
		if !strings.Contains(q, `{job="gpu"`) {
			t.Errorf("query without the match: %s", q)
		}
	}
}

func TestDiscover(t *testing.T) {
	l := Discover([]string{"hostname", "uuid", "pod", "exported_pod", "namespace", "exported_namespace", "hpc_job"})
	if strings.Join(l.Host, ",") != "hostname,instance" || strings.Join(l.UUID, ",") != "uuid" ||
		l.Pod[0] != "exported_pod" || l.Namespace[0] != "exported_namespace" || l.Job[0] != "hpc_job" {
		t.Errorf("%+v", l)
	}
	// A ServiceMonitor's rename: the plain pod is the exporter's, never used.
	if l := Discover([]string{"pod", "exported_pod"}); strings.Join(l.Pod, ",") != "exported_pod" {
		t.Errorf("pod after a rename: %v", l.Pod)
	}
	if l := Discover([]string{"pod"}); strings.Join(l.Pod, ",") != "pod" {
		t.Errorf("pod alone: %v", l.Pod)
	}
	l = Discover([]string{"instance", "gpu"})
	if strings.Join(l.Host, ",") != "instance" || len(l.UUID) != 0 {
		t.Errorf("bare: %+v", l)
	}
}

// Credentials go where they should, a proxy path prefix is kept, and
// nothing leaks into the displayed URL.
func TestClientAuthAndProxyPath(t *testing.T) {
	var gotPath, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.Path, r.Header.Get("Authorization")
		fmt.Fprint(w, `{"status":"success","data":["a"]}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte("s3cret\n"), 0o600)
	proxy := srv.URL + "/api/v1/namespaces/monitoring/services/prometheus-k8s:9090/proxy"
	c, err := NewClient(Config{URL: proxy, BearerTokenFile: tok})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.LabelNames(context.Background(), "up", time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if gotPath != "/api/v1/namespaces/monitoring/services/prometheus-k8s:9090/proxy/api/v1/labels" {
		t.Errorf("path %q", gotPath)
	}
	if gotAuth != "Bearer s3cret" {
		t.Errorf("auth %q", gotAuth)
	}
	u := strings.Replace(srv.URL, "http://", "http://alice:pw@", 1)
	c, err = NewClient(Config{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	c.LabelNames(context.Background(), "up", time.Now(), time.Now())
	if gotAuth != "Basic YWxpY2U6cHc=" {
		t.Errorf("basic auth %q", gotAuth)
	}
	if strings.Contains(c.URL(), "pw") || strings.Contains(c.URL(), "alice") {
		t.Errorf("URL() shows credentials: %s", c.URL())
	}
	// A Prometheus HTTP client config file, as in a scrape config.
	cfg := filepath.Join(dir, "http.yml")
	os.WriteFile(cfg, []byte("authorization:\n  type: Bearer\n  credentials: from-file\n"), 0o600)
	c, err = NewClient(Config{URL: srv.URL, HTTPConfigFile: cfg})
	if err != nil {
		t.Fatal(err)
	}
	c.LabelNames(context.Background(), "up", time.Now(), time.Now())
	if gotAuth != "Bearer from-file" {
		t.Errorf("config file auth %q", gotAuth)
	}
	os.WriteFile(cfg, []byte("nonsense: [\n"), 0o600)
	if _, err := NewClient(Config{URL: srv.URL, HTTPConfigFile: cfg}); err == nil || !strings.Contains(err.Error(), "--prometheus-config") {
		t.Errorf("a broken config file: %v", err)
	}
}

// A server with its own CA: refused without --prometheus-ca, read with it.
func TestClientCustomCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"success","data":[]}`)
	}))
	defer srv.Close()
	c, _ := NewClient(Config{URL: srv.URL})
	if _, err := c.LabelNames(context.Background(), "up", time.Now(), time.Now()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	c, err := NewClient(Config{URL: srv.URL, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.LabelNames(context.Background(), "up", time.Now(), time.Now()); err != nil {
		t.Errorf("with the CA: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	fp := &fakeProm{auth: "Bearer right"}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	c, _ := NewClient(Config{URL: srv.URL})
	_, err := c.Query(context.Background(), "up", time.Now())
	if !IsAuth(err) || !strings.Contains(err.Error(), "not authorised") {
		t.Errorf("401: %v", err)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error:\n\u001b[31munexpected"}`)
	}))
	defer bad.Close()
	c, _ = NewClient(Config{URL: bad.URL})
	_, err = c.Query(context.Background(), "up{", time.Now())
	if err == nil || !strings.Contains(err.Error(), "bad_data") || strings.ContainsAny(err.Error(), "\n\x1b") {
		t.Errorf("API error: %q", err)
	}
	for _, u := range []string{"ftp://x", "http://", "::"} {
		if _, err := NewClient(Config{URL: u}); err == nil {
			t.Errorf("NewClient(%q) accepted", u)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"node-a":                  "node-a",
		"x\x1b]52;c;ZXZpbA==\x07": "x?]52;c;ZXZpbA==?",
		"rtl\u202eevil":           "rtl?evil",
		"bad\xff":                 "bad?",
		"\u009b31m":               "?31m",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Clean(strings.Repeat("a", 500)); len([]rune(got)) != maxText+1 {
		t.Errorf("long value: %d runes", len([]rune(got)))
	}
}

// BigFleet serves n nodes of 8 GPUs, for the 1,000-GPU benchmark.
func bigFleet(now time.Time, nodes int) *fakeProm {
	f := &fakeProm{now: now, byQuery: map[string][]series{}, labels: []string{"Hostname", "UUID", "gpu", "instance", "modelName"}}
	var util []series
	for n := range nodes {
		for i := range 8 {
			util = append(util, series{gpuLabels(fmt.Sprintf("node-%03d", n), "Hostname", "UUID", i), float64((n*8 + i) % 101)})
		}
	}
	for _, k := range []string{"DCGM_FI_DEV_GPU_UTIL", "range:DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE",
		"DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE", "last_over_time(DCGM_FI_DEV_GPU_UTIL"} {
		f.byQuery[k] = util
	}
	return f
}

// BenchmarkFetch1000 is the cluster view's refresh at 1,000 GPUs (125
// nodes): 18 HTTP round trips on loopback, JSON decoding and the fleet
// model. The fake server encodes each answer once and replays the bytes, so
// the time is the client's (a real Prometheus encodes in its own process).
func BenchmarkFetch1000(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	srv := httptest.NewServer(&replayer{h: bigFleet(now, 125), cache: map[string][]byte{}})
	defer srv.Close()
	c, _ := NewClient(Config{URL: srv.URL})
	b.ReportAllocs()
	for b.Loop() {
		f, err := Fetch(context.Background(), c, Options{Now: func() time.Time { return now }})
		if err != nil || f.GPUCount() != 1000 {
			b.Fatalf("%v %d", err, f.GPUCount())
		}
	}
}

// replayer answers each distinct request once from h and then from memory.
type replayer struct {
	h     http.Handler
	mu    sync.Mutex
	cache map[string][]byte
}

func (r *replayer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	key := req.URL.String()
	r.mu.Lock()
	body, ok := r.cache[key]
	r.mu.Unlock()
	if !ok {
		rec := httptest.NewRecorder()
		r.h.ServeHTTP(rec, req)
		body = rec.Body.Bytes()
		r.mu.Lock()
		r.cache[key] = body
		r.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// A GPU in MIG mode publishes no whole-GPU utilisation but its memory: it
// is listed, with utilisation unknown; a MIG instance's series is not a GPU.
func TestFetchMIGGPUWithoutUtilisation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	fp := mixedFleet(now)
	mig := map[string]string{"Hostname": "node-b", "gpu": "7", "UUID": "GPU-mig", "modelName": "NVIDIA H100 80GB HBM3", "instance": "node-b:9400"}
	fp.byQuery["DCGM_FI_DEV_FB_USED"] = append(fp.byQuery["DCGM_FI_DEV_FB_USED"],
		series{mig, 23552},
		series{withLabel(withLabel(mig, "GPU_I_ID", "1"), "UUID", "GPU-mig-instance"), 23552})
	f := fetchAt(t, fp, now)
	var b *Node
	for _, n := range f.Nodes {
		if n.Name == "node-b" {
			b = n
		}
	}
	if b == nil || len(b.GPUs) != 3 {
		t.Fatalf("node-b: %+v", b)
	}
	var g *GPU
	for _, x := range b.GPUs {
		if x.UUID == "GPU-mig" {
			g = x
		}
	}
	if g == nil || !math.IsNaN(g.Util) || g.MemUsed != 23552 {
		t.Errorf("MIG GPU %+v: want present, utilisation unknown, memory 23552 MiB", g)
	}
}

// fetchAt serves fp and fetches the fleet from it as at now.
func fetchAt(t *testing.T, fp http.Handler, now time.Time) *Fleet {
	t.Helper()
	srv := httptest.NewServer(fp)
	t.Cleanup(srv.Close)
	c, err := NewClient(Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Fetch(context.Background(), c, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}
