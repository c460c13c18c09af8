package promapi

import (
	"context"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	pmodel "github.com/prometheus/common/model"

	"github.com/gputop/gputop/model"
)

// Labels are the label names this server's GPU series use, discovered from
// /api/v1/labels: dcgm-exporter renamed Hostname to hostname in 2026, its
// --use-old-namespace spells the UUID uuid, and a ServiceMonitor renames a
// workload's pod label to exported_pod. One server can hold several
// spellings at once (exporters of different releases), so each is a list
// tried in order on every series.
type Labels struct {
	Host      []string // Hostname, hostname, ...; instance is the last resort
	UUID      []string
	Pod       []string
	Namespace []string
	Job       []string // hpc_job (Slurm jobs through dcgm-exporter's HPC mapping)
}

// Discover picks the spellings from the label names of the GPU series.
func Discover(names []string) Labels {
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	present := func(cands ...string) []string {
		var out []string
		for _, c := range cands {
			if has[c] {
				out = append(out, c)
			}
		}
		return out
	}
	l := Labels{
		Host:      append(present("Hostname", "hostname", "kubernetes_node", "node"), "instance"),
		UUID:      present("UUID", "uuid"),
		Pod:       present("exported_pod", "pod"),
		Namespace: present("exported_namespace", "namespace"),
		Job:       present("hpc_job", "slurm_job"),
	}
	// Where a ServiceMonitor renamed the workload's labels, a plain pod or
	// namespace is the exporter's own: a GPU no pod holds has no
	// exported_pod (Prometheus drops empty labels) and must not fall back
	// to the exporter's pod.
	if has["exported_pod"] {
		l.Pod = []string{"exported_pod"}
	}
	if has["exported_namespace"] {
		l.Namespace = []string{"exported_namespace"}
	}
	return l
}

// allSpellings is every spelling, for servers whose labels endpoint fails:
// each series is still read with the spelling it has.
var allSpellings = Labels{
	Host:      []string{"Hostname", "hostname", "kubernetes_node", "node", "instance"},
	UUID:      []string{"UUID", "uuid"},
	Pod:       []string{"exported_pod", "pod"},
	Namespace: []string{"exported_namespace", "namespace"},
	Job:       []string{"hpc_job", "slurm_job"},
}

// parseLevel accepts only the verdict levels.
func parseLevel(s string) model.VerdictLevel {
	switch l := model.VerdictLevel(s); l {
	case model.VerdictLost, model.VerdictError, model.VerdictFail, model.VerdictStale, model.VerdictWarn, model.VerdictOK:
		return l
	}
	return ""
}

// worse orders verdict levels with "" (no verdict) below every level.
func worse(a, b model.VerdictLevel) bool {
	if b == "" {
		return a != ""
	}
	return a != "" && a.Worse(b)
}

// parseStatus accepts only the checklist's statuses.
func parseStatus(s string) Status {
	switch st := Status(s); st {
	case Pass, Warn, Fail, Skip:
		return st
	}
	return Unknown
}

// String says which spellings were found, for the header.
func (l Labels) String() string {
	var parts []string
	for _, set := range [][]string{l.Host, l.UUID, l.Pod} {
		if len(set) > 0 {
			parts = append(parts, strings.Join(set, "/"))
		}
	}
	return strings.Join(parts, ", ")
}

func firstOf(m pmodel.Metric, names []string) string {
	for _, n := range names {
		if v := m[pmodel.LabelName(n)]; v != "" {
			return string(v)
		}
	}
	return ""
}

// Status is a verdict or check status as gputop serve exports it: the
// checklist's own statuses, and Unknown where only dcgm-exporter runs.
type Status = model.Status

const (
	Pass    = model.Pass
	Warn    = model.Warn
	Fail    = model.Fail
	Skip    = model.Skip
	Unknown = model.Status("") // dcgm-exporter only: no checks
)

// GPU is one GPU as the server last saw it. NaN means no value.
type GPU struct {
	Node     string
	Index    string // the gpu label
	UUID     string
	Model    string
	BusID    string
	Util     float64            // percent
	MemUsed  float64            // MiB
	MemTotal float64            // MiB (used + free + reserved)
	Temp     float64            // °C
	Power    float64            // W
	Verdict  model.VerdictLevel // gputop serve only ("" for dcgm-exporter)
	Reason   string             // the verdict's short reason ("thermal")
	Health   string             // gputop serve only: ok, stale, lost, error
	Age      time.Duration
	Spark    []float64 // utilisation over the sparkline range
	Pod      string    // namespace/pod when the labels exist
	Job      string    // hpc_job
	Xid      int       // the highest "last Xid" the exporter reported within the hour (0: none); exporters hold it, so it says nothing of when the Xid happened
	Gone     bool      // seen within the lookback, not now
	LastSeen time.Time // gone GPUs: the last sparkline point (zero: before the sparkline range)
}

// Check is a check that did not pass, from gputop serve.
type Check struct {
	ID     string
	GPU    string
	Status Status
}

// Node is one host and its exporter.
type Node struct {
	Name       string
	Instances  []string // scrape targets
	Exporter   string   // "gputop" or "dcgm-exporter"
	Down       bool     // Prometheus' up == 0 for its exporter
	DownReason string   // the target's last scrape error
	Stale      bool     // its newest sample is older than the stale limit
	Age        time.Duration
	Driver     string
	CUDA       string
	GPUs       []*GPU
	Vanished   []*GPU // seen in the last hour, not now
	Checks     []Check
	Verdict    model.VerdictLevel // the worst of its GPUs' and its failing/warning checks
}

// Skew is one version seen across the fleet and the nodes that run it.
type Skew struct {
	What    string // "driver" or "CUDA"
	Version string
	Nodes   []string
}

// Fleet is the whole cluster at one instant.
type Fleet struct {
	At         time.Time
	Labels     Labels
	Resolution time.Duration // the exporters' scrape interval, estimated
	StaleAfter time.Duration
	Nodes      []*Node
	Skew       []Skew   // only when more than one version is seen
	Errors     []string // queries that failed: the view is partial
	Queries    int
	Took       time.Duration
	// Slowest is the slowest instant query and its time (waiting for a
	// slot included), to say where a slow refresh went.
	Slowest      time.Duration
	SlowestQuery string
}

// GPUCount is the number of GPUs present now.
func (f *Fleet) GPUCount() int {
	n := 0
	for _, nd := range f.Nodes {
		n += len(nd.GPUs)
	}
	return n
}

// Options shapes the fetch.
type Options struct {
	// Match narrows every query, a PromQL label matcher list without braces
	// (job="gputop",cluster="a").
	Match string
	// SparkRange and SparkPoints shape the utilisation sparklines (default
	// 15 min, 30 points).
	SparkRange  time.Duration
	SparkPoints int
	// Lookback: a GPU seen within it and not now has vanished (default 1 h).
	Lookback time.Duration
	Now      func() time.Time
}

func (o *Options) fill() {
	if o.SparkRange <= 0 {
		o.SparkRange = 15 * time.Minute
	}
	if o.SparkPoints <= 1 {
		o.SparkPoints = 30
	}
	if o.Lookback <= 0 {
		o.Lookback = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// The metric every GPU exporter has: dcgm-exporter's and gputop serve's.
const baseMetric = "DCGM_FI_DEV_GPU_UTIL"

// Fetch runs one query per metric (never one per GPU), concurrently, and
// builds the fleet. A failing query leaves its column empty and is listed
// in Errors; Fetch fails only when the base query does.
func Fetch(ctx context.Context, c *Client, o Options) (*Fleet, error) {
	o.fill()
	start := time.Now()
	now := o.Now()
	sel := func(metric string, extra ...string) string {
		m := append([]string(nil), extra...)
		if o.Match != "" {
			m = append([]string{o.Match}, m...)
		}
		return metric + "{" + strings.Join(m, ",") + "}"
	}
	names, labelsErr := c.LabelNames(ctx, sel(baseMetric), now.Add(-o.Lookback), now)
	if labelsErr != nil {
		// Only a server that answered (a proxy refusing one endpoint) is
		// worth the other queries.
		var ae *APIError
		if !errors.As(labelsErr, &ae) || ae.Status == 0 || IsAuth(labelsErr) || ctx.Err() != nil {
			return nil, labelsErr
		}
	}
	f := &Fleet{At: now, Labels: Discover(names), Queries: 1}
	if labelsErr != nil {
		f.Labels = allSpellings
		f.Errors = append(f.Errors, "label discovery (every known spelling is tried instead): "+labelsErr.Error())
	}
	lb := "[" + pmodel.Duration(o.Lookback).String() + "]"

	type job struct {
		expr string
		dst  *pmodel.Vector
	}
	var util, fbUsed, fbFree, fbRes, temp, power, xid, ts, seen, up, counts, verdict, reason, checks, hostInfo, health pmodel.Vector
	jobs := []job{
		{sel(baseMetric), &util},
		{sel("DCGM_FI_DEV_FB_USED"), &fbUsed},
		{sel("DCGM_FI_DEV_FB_FREE"), &fbFree},
		{sel("DCGM_FI_DEV_FB_RESERVED"), &fbRes},
		{sel("DCGM_FI_DEV_GPU_TEMP"), &temp},
		{sel("DCGM_FI_DEV_POWER_USAGE"), &power},
		{"max_over_time(" + sel("DCGM_FI_DEV_XID_ERRORS") + lb + ") > 0", &xid},
		{"timestamp(" + sel(baseMetric) + ")", &ts},
		{"last_over_time(" + sel(baseMetric) + lb + ")", &seen},
		{sel("up"), &up},
		{"max(count_over_time(" + sel(baseMetric) + "[5m]))", &counts},
		{sel("gputop_gpu_verdict") + " == 1", &verdict},
		{sel("gputop_gpu_verdict_reason"), &reason},
		{sel("gputop_check_status", `status=~"fail|warn"`) + " == 1", &checks},
		{sel("gputop_host_info"), &hostInfo},
		{sel("gputop_gpu_health") + " == 1", &health},
	}
	errs := make([]error, len(jobs))
	took := make([]time.Duration, len(jobs))
	var spark pmodel.Matrix
	var sparkErr error
	var targets []Target
	var targetsErr error
	wg0 := sync.WaitGroup{}
	wg0.Add(1)
	go func() { defer wg0.Done(); targets, targetsErr = c.Targets(ctx) }()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t0 := time.Now()
			*j.dst, errs[i] = c.Query(ctx, j.expr, now)
			took[i] = time.Since(t0)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		sem <- struct{}{}
		defer func() { <-sem }()
		step := o.SparkRange / time.Duration(o.SparkPoints-1)
		spark, sparkErr = c.QueryRange(ctx, sel(baseMetric), now.Add(-o.SparkRange), now, step)
	}()
	wg.Wait()
	wg0.Wait()
	f.Queries += len(jobs) + 2
	if errs[0] != nil {
		return nil, errs[0]
	}
	for i, d := range took {
		if d > f.Slowest {
			f.Slowest, f.SlowestQuery = d, jobs[i].expr
		}
	}
	for i, e := range errs {
		if e != nil {
			f.Errors = append(f.Errors, jobs[i].expr+": "+e.Error())
		}
	}
	if sparkErr != nil {
		f.Errors = append(f.Errors, "sparklines: "+sparkErr.Error())
	}
	b := builder{f: f, l: f.Labels, nodes: map[string]*Node{}, gpus: map[string]*GPU{}}

	// Resolution: the busiest series' samples over five minutes, until the
	// targets' configured intervals are known (below).
	if len(counts) > 0 && counts[0].Value > 1 {
		f.Resolution = time.Duration(float64(5*time.Minute) / float64(counts[0].Value)).Round(time.Second)
	}

	for _, s := range util {
		g := b.gpu(s.Metric, true)
		if v := float64(s.Value); !dcgmBlank(v) {
			g.Util = v
		}
	}
	// A GPU in MIG mode has no whole-GPU utilisation (NVML refuses it, so
	// neither exporter publishes DCGM_FI_DEV_GPU_UTIL for it) but its
	// whole-GPU memory series exist: it is present, with utilisation
	// unknown, not missing. Per-instance series (GPU_I_ID) are not a GPU.
	for _, s := range fbUsed {
		if _, mig := s.Metric["GPU_I_ID"]; !mig && b.find(s.Metric) == nil {
			b.gpu(s.Metric, true)
		}
	}
	b.each(fbUsed, func(g *GPU, v float64) { g.MemUsed = v; g.MemTotal = add(g.MemTotal, v) })
	b.each(fbFree, func(g *GPU, v float64) { g.MemTotal = add(g.MemTotal, v) })
	b.each(fbRes, func(g *GPU, v float64) { g.MemTotal = add(g.MemTotal, v) })
	b.each(temp, func(g *GPU, v float64) { g.Temp = v })
	b.each(power, func(g *GPU, v float64) { g.Power = v })
	b.each(xid, func(g *GPU, v float64) { g.Xid = int(v) })
	b.each(ts, func(g *GPU, v float64) {
		g.Age = now.Sub(time.UnixMilli(int64(v * 1000)))
	})
	for _, s := range health {
		if g := b.find(s.Metric); g != nil {
			g.Health = clean(string(s.Metric["state"]))
		}
	}
	for _, s := range verdict {
		if g := b.find(s.Metric); g != nil {
			g.Verdict = parseLevel(string(s.Metric["verdict"]))
		}
	}
	for _, s := range reason {
		if g := b.find(s.Metric); g != nil {
			g.Reason = clean(string(s.Metric["reason"]))
		}
	}
	// GPUs seen within the lookback and absent now have vanished (or their
	// exporter stopped answering: that node is marked down instead).
	for _, s := range seen {
		key := b.key(s.Metric)
		if _, present := b.gpus[key]; present {
			continue
		}
		b.gpu(s.Metric, false).Gone = true
	}
	// Exporters: the targets that served GPU series, their health and
	// scrape interval; `up` where the server has no targets API.
	if targetsErr == nil {
		var ivs []time.Duration
		for _, t := range targets {
			for _, n := range b.nodes {
				if !contains(n.Instances, clean(t.Instance)) {
					continue
				}
				if t.Health == "down" {
					n.Down, n.DownReason = true, clean(t.LastError)
				}
				if t.ScrapeInterval > 0 {
					ivs = append(ivs, t.ScrapeInterval)
				}
			}
		}
		if len(ivs) > 0 {
			sort.Slice(ivs, func(i, j int) bool { return ivs[i] < ivs[j] })
			f.Resolution = ivs[len(ivs)/2]
		}
	}
	f.StaleAfter = max(3*f.Resolution, 10*time.Second)
	for _, s := range up {
		inst := string(s.Metric["instance"])
		for _, n := range b.nodes {
			for _, i := range n.Instances {
				if i == inst && s.Value == 0 {
					n.Down = true
				}
			}
		}
	}
	for _, s := range checks {
		n := b.nodes[b.hostOf(s.Metric)]
		if n == nil {
			continue
		}
		st := parseStatus(string(s.Metric["status"]))
		if st == Unknown {
			continue
		}
		n.Checks = append(n.Checks, Check{ID: clean(string(s.Metric["check"])), GPU: clean(string(s.Metric["gpu"])), Status: st})
	}
	for _, s := range hostInfo {
		n := b.nodes[b.hostOf(s.Metric)]
		if n == nil {
			continue
		}
		n.Exporter = "gputop"
		if d := clean(string(s.Metric["driver_version"])); d != "" {
			n.Driver = d
		}
		n.CUDA = clean(string(s.Metric["cuda_version"]))
	}
	b.sparks(spark, o.SparkPoints, now, o.SparkRange)
	b.finish()
	f.Took = time.Since(start)
	return f, nil
}

func add(a, v float64) float64 {
	if math.IsNaN(a) {
		return v
	}
	return a + v
}

type builder struct {
	f     *Fleet
	l     Labels
	nodes map[string]*Node
	gpus  map[string]*GPU
}

func (b *builder) hostOf(m pmodel.Metric) string {
	h := firstOf(m, b.l.Host)
	if h == "" {
		// gputop serve always sets Hostname, on series too that the
		// discovery (made on the GPU series) did not see.
		h = firstOf(m, []string{"Hostname", "hostname", "instance"})
	}
	return clean(h)
}

func (b *builder) key(m pmodel.Metric) string {
	id := firstOf(m, b.l.UUID)
	if id == "" {
		id = "gpu" + string(m["gpu"])
	}
	return b.hostOf(m) + "\x00" + id
}

func (b *builder) find(m pmodel.Metric) *GPU { return b.gpus[b.key(m)] }

// gpu returns the GPU of a series, creating it (present now or vanished).
func (b *builder) gpu(m pmodel.Metric, present bool) *GPU {
	k := b.key(m)
	if g, ok := b.gpus[k]; ok {
		return g
	}
	host := b.hostOf(m)
	n := b.nodes[host]
	if n == nil {
		n = &Node{Name: host, Exporter: "dcgm-exporter"}
		b.nodes[host] = n
	}
	if inst := clean(string(m["instance"])); inst != "" && !contains(n.Instances, inst) {
		n.Instances = append(n.Instances, inst)
	}
	if d := clean(string(m["DCGM_FI_DRIVER_VERSION"])); d != "" && n.Driver == "" {
		n.Driver = d
	}
	g := &GPU{
		Node:  host,
		Index: clean(string(m["gpu"])),
		Model: clean(string(m["modelName"])),
		BusID: clean(string(m["pci_bus_id"])),
		Util:  math.NaN(), MemUsed: math.NaN(), MemTotal: math.NaN(), Temp: math.NaN(), Power: math.NaN(),
	}
	g.UUID = clean(firstOf(m, b.l.UUID))
	if p := clean(firstOf(m, b.l.Pod)); p != "" {
		g.Pod = p
		if ns := clean(firstOf(m, b.l.Namespace)); ns != "" {
			g.Pod = ns + "/" + p
		}
	}
	g.Job = clean(firstOf(m, b.l.Job))
	b.gpus[k] = g
	if present {
		n.GPUs = append(n.GPUs, g)
	} else {
		n.Vanished = append(n.Vanished, g)
	}
	return g
}

// each applies a value to the GPU its series belongs to (present GPUs only).
// DCGM's "blank" sentinels, which older dcgm-exporters exported as values
// (a memory temperature of 9223372036854775794 in its own README), read as
// no value.
func (b *builder) each(v pmodel.Vector, f func(*GPU, float64)) {
	for _, s := range v {
		if g := b.find(s.Metric); g != nil && !g.Gone && !dcgmBlank(float64(s.Value)) {
			f(g, float64(s.Value))
		}
	}
}

// dcgmBlank: DCGM's int64 blanks sit just below 2^63, its float blanks at
// 2^47 and above.
func dcgmBlank(v float64) bool {
	return math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 140737488355328
}

func (b *builder) sparks(m pmodel.Matrix, points int, now time.Time, rng time.Duration) {
	start := now.Add(-rng)
	step := rng / time.Duration(points-1)
	for _, ss := range m {
		g := b.find(ss.Metric)
		if g == nil {
			continue
		}
		if g.Gone {
			if n := len(ss.Values); n > 0 {
				g.LastSeen = ss.Values[n-1].Timestamp.Time()
			}
			continue
		}
		g.Spark = make([]float64, points)
		for i := range g.Spark {
			g.Spark[i] = math.NaN()
		}
		for _, p := range ss.Values {
			i := int((p.Timestamp.Time().Sub(start) + step/2) / step)
			if i >= 0 && i < points {
				g.Spark[i] = float64(p.Value)
			}
		}
	}
}

// finish sorts, rolls up verdicts and staleness, and finds version skew.
func (b *builder) finish() {
	f := b.f
	for _, n := range b.nodes {
		sort.Slice(n.GPUs, func(i, j int) bool { return indexLess(n.GPUs[i].Index, n.GPUs[j].Index) })
		sort.Slice(n.Vanished, func(i, j int) bool { return indexLess(n.Vanished[i].Index, n.Vanished[j].Index) })
		sort.Slice(n.Checks, func(i, j int) bool {
			if n.Checks[i].Status != n.Checks[j].Status {
				return n.Checks[i].Status.Rank() < n.Checks[j].Status.Rank()
			}
			return n.Checks[i].ID < n.Checks[j].ID
		})
		n.Verdict = ""
		n.Age = -1
		for _, g := range n.GPUs {
			if worse(g.Verdict, n.Verdict) {
				n.Verdict = g.Verdict
			}
			if g.Age > n.Age {
				n.Age = g.Age
			}
		}
		for _, c := range n.Checks {
			l := model.VerdictWarn
			if c.Status == Fail {
				l = model.VerdictFail
			}
			if worse(l, n.Verdict) {
				n.Verdict = l
			}
		}
		if n.Exporter == "gputop" && n.Verdict == "" && len(n.GPUs) > 0 {
			n.Verdict = model.VerdictOK
		}
		if len(n.GPUs) > 0 && n.Age > f.StaleAfter {
			n.Stale = true
		}
		// An exporter that is down has no GPUs now: its last hour's GPUs
		// are its GPUs, not vanished ones.
		if n.Down && len(n.GPUs) == 0 {
			n.GPUs, n.Vanished = n.Vanished, nil
		}
		f.Nodes = append(f.Nodes, n)
	}
	sort.Slice(f.Nodes, func(i, j int) bool { return f.Nodes[i].Name < f.Nodes[j].Name })
	f.Skew = append(skew("driver", f.Nodes, func(n *Node) string { return n.Driver }),
		skew("CUDA", f.Nodes, func(n *Node) string { return n.CUDA })...)
}

func skew(what string, nodes []*Node, get func(*Node) string) []Skew {
	by := map[string][]string{}
	for _, n := range nodes {
		if v := get(n); v != "" {
			by[v] = append(by[v], n.Name)
		}
	}
	if len(by) < 2 {
		return nil
	}
	var out []Skew
	for v, ns := range by {
		out = append(out, Skew{What: what, Version: v, Nodes: ns})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Nodes) != len(out[j].Nodes) {
			return len(out[i].Nodes) > len(out[j].Nodes)
		}
		return out[i].Version < out[j].Version
	})
	return out
}

func indexLess(a, b string) bool {
	ai, aerr := strconv.Atoi(a)
	bi, berr := strconv.Atoi(b)
	if aerr == nil && berr == nil {
		return ai < bi
	}
	return a < b
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// maxText bounds any label value kept for display.
const maxText = 96

// clean makes a label value from the server safe to put on a terminal: no
// control characters (escape sequences included), no invalid UTF-8, short.
func clean(s string) string { return cleanN(s, maxText) }

// cleanN is clean with a length limit in runes.
func cleanN(s string, limit int) string {
	s = strings.ToValidUTF8(s, "?")
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= limit {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// Clean is clean for other packages: the view passes what the user types
// through it too.
func Clean(s string) string { return clean(s) }
