package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler/promapi"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

var at = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// testFleet builds nodes x 8 GPUs with a little of everything.
func testFleet(nodes int) *promapi.Fleet {
	f := &promapi.Fleet{At: at, Resolution: 15 * time.Second, Queries: 18, Took: 40 * time.Millisecond,
		Labels: promapi.Labels{Host: []string{"Hostname", "instance"}, UUID: []string{"UUID"}}}
	for n := range nodes {
		nd := &promapi.Node{Name: fmt.Sprintf("node-%03d", n), Instances: []string{fmt.Sprintf("10.0.%d.%d:9400", n/250, n%250)},
			Exporter: "gputop", Driver: "580.159.04", CUDA: "13.0", Verdict: model.VerdictOK}
		for i := range 8 {
			g := &promapi.GPU{Node: nd.Name, Index: fmt.Sprint(i), UUID: fmt.Sprintf("GPU-%03d-%d", n, i), Model: "NVIDIA H100 80GB HBM3",
				Util: float64((n*8 + i) % 101), MemUsed: 40960, MemTotal: 81559, Temp: 40 + float64(i), Power: 300 + float64(n%50),
				Verdict: model.VerdictOK, Health: "ok", Spark: []float64{0, 20, math.NaN(), 60, 80, 100}}
			nd.GPUs = append(nd.GPUs, g)
		}
		f.Nodes = append(f.Nodes, nd)
	}
	return f
}

func troubled() *promapi.Fleet {
	f := testFleet(3)
	a, b, c := f.Nodes[0], f.Nodes[1], f.Nodes[2]
	a.GPUs[5].Xid, a.GPUs[5].Verdict, a.GPUs[5].Reason, a.Verdict = 31, model.VerdictFail, "PyTorch arch", model.VerdictFail
	a.GPUs[5].Pod = "ml/trainer-0"
	a.Checks = []promapi.Check{{ID: "torch.arch.gpu5", GPU: "5", Status: promapi.Fail}, {ID: "persistence.gpu3", GPU: "3", Status: promapi.Warn}}
	b.Down, b.DownReason = true, "connection refused"
	c.GPUs[2].Health = "stale"
	c.GPUs[3].Health = "lost"
	c.Vanished = []*promapi.GPU{{Index: "7", UUID: "GPU-gone-7", Model: "NVIDIA H100 80GB HBM3", Gone: true}}
	c.GPUs = c.GPUs[:7]
	c.Driver = "570.124.06"
	f.Skew = []promapi.Skew{{What: "driver", Version: "580.159.04", Nodes: []string{"node-000", "node-001"}},
		{What: "driver", Version: "570.124.06", Nodes: []string{"node-002"}}}
	return f
}

func sized(f *promapi.Fleet, w, h int) *Model {
	m := New(Config{Source: "http://prom:9090/", Theme: "mono", Now: func() time.Time { return at }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.SetFleet(f)
	return m
}

func TestViewShowsTheFleet(t *testing.T) {
	m := sized(troubled(), 180, 50)
	v := m.View()
	for _, want := range []string{
		"3 nodes · 23 GPUs",
		"Resolution: the exporters' scrapes, about every 15s (not gputop's 100 ms)",
		"Exporters down: node-001 (10.0.0.1:9400: connection refused)",
		"Vanished GPUs: node-002 gpu 7 GPU-gone-7 (not seen in the sparkline range)",
		"Xid: node-000 gpu 5 Xid 31",
		"Stale: node-002 gpu 2 (a driver call hangs)",
		"GPUs lost or failing: node-002 gpu 3 lost",
		"Failing checks: node-000: torch.arch.gpu5",
		"Version skew (2): driver 580.159.04 on 2 node(s) · driver 570.124.06 on 1 node(s)",
		"▾ node-000 (8)", "EXPORTER DOWN", "ml/trainer-0", "▁▂ ▅▇█",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "persistence.gpu3") {
		t.Error("a warning is listed with the failing checks")
	}
	for i, l := range strings.Split(v, "\n") {
		if w := ansi.StringWidth(l); w > 180 {
			t.Errorf("line %d is %d cells wide", i, w)
		}
	}
}

func TestEnterOpensNode(t *testing.T) {
	m := sized(troubled(), 160, 50)
	m.Update(tea.KeyMsg{Type: tea.KeyDown}) // a GPU row of node-000
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	v := m.View()
	for _, want := range []string{"node-000 · 8 GPUs · gputop · driver 580.159.04 · CUDA 13.0", "gpu 5 NVIDIA H100", "last Xid reported: 31",
		"Checklist", "FAIL", "torch.arch.gpu5 (gpu 5)", "WARN", "persistence.gpu3 (gpu 3)"} {
		if !strings.Contains(v, want) {
			t.Errorf("node view lacks %q:\n%s", want, v)
		}
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if !strings.Contains(m.View(), "Exporters down:") {
		t.Error("esc did not go back to the list")
	}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func TestFilterAndSort(t *testing.T) {
	m := sized(troubled(), 160, 60)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'/'}})
	typeText(m, "node:node-002")
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	v := m.View()
	if strings.Contains(v, "▾ node-000") || !strings.Contains(v, "▾ node-002 (7)") || !strings.Contains(v, "filter: node:node-002") {
		t.Errorf("node filter:\n%s", v)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'/'}})
	typeText(m, "verdict:fail")
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if n := len(m.rows); n != 2 { // node-000 and its GPU 5
		t.Errorf("verdict:fail keeps %d rows, want 2", n)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'/'}})
	typeText(m, "nothing-like-this")
	if !strings.Contains(m.View(), `nothing matches the filter "nothing-like-this"`) {
		t.Error("empty filter result not explained")
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	// Sort by verdict: the node with a down exporter first, then the fail.
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'s'}})
	if m.sort != sortVerdict || m.rows[0].node.Name != "node-001" {
		t.Errorf("verdict sort: %v first %s", m.sort, m.rows[0].node.Name)
	}
	var after []string
	for _, r := range m.rows {
		if r.gpu == nil {
			after = append(after, r.node.Name)
		}
	}
	if strings.Join(after, ",") != "node-001,node-000,node-002" {
		t.Errorf("verdict order %v", after)
	}
	// Sort by utilisation: GPUs inside a node by utilisation, busiest first.
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'s'}})
	if m.sort != sortUtil {
		t.Fatal(m.sort)
	}
	for i := 1; i < len(m.rows); i++ {
		a, b := m.rows[i-1], m.rows[i]
		if a.gpu != nil && b.gpu != nil && a.node == b.node && a.gpu.Util < b.gpu.Util {
			t.Errorf("util sort: %v before %v", a.gpu.Util, b.gpu.Util)
		}
	}
}

func TestTinyTerminals(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {10, 3}, {24, 6}, {40, 8}, {80, 24}} {
		m := sized(troubled(), sz[0], sz[1])
		for _, k := range []tea.KeyMsg{{Type: tea.KeyDown}, {Type: tea.KeyEnter}, {Type: tea.KeyPgDown}} {
			m.Update(k)
			v := m.View()
			lines := strings.Split(v, "\n")
			if sz[0] >= 24 && sz[1] >= 6 && len(lines) > sz[1] {
				t.Errorf("%v: %d lines", sz, len(lines))
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w > max(sz[0], len("terminal too small")) {
					t.Errorf("%v: line of %d cells: %q", sz, w, l)
				}
			}
		}
	}
}

// Label values from the server reach the terminal only after cleaning: a
// node name or error carrying escape sequences cannot drive the terminal.
func TestServerTextIsSanitised(t *testing.T) {
	evil := "evil\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var data any = []string{"Hostname", "gpu"}
		if strings.HasSuffix(r.URL.Path, "/query") || strings.HasSuffix(r.URL.Path, "/query_range") {
			kind, key := "vector", "value"
			var v any = []any{float64(at.Unix()), "42"}
			if strings.HasSuffix(r.URL.Path, "_range") {
				kind, key, v = "matrix", "values", []any{[]any{float64(at.Unix()), "42"}}
			}
			data = map[string]any{"resultType": kind, "result": []any{map[string]any{
				"metric": map[string]string{"Hostname": evil, "gpu": "0", "modelName": evil, "pod": evil}, key: v}}}
		}
		if strings.HasSuffix(r.URL.Path, "/targets") {
			data = map[string]any{"activeTargets": []any{}}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data})
	}))
	defer srv.Close()
	c, err := promapi.NewClient(promapi.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	f, err := promapi.Fetch(context.Background(), c, promapi.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	m := sized(f, 200, 40)
	m.Update(fleetMsg{err: fmt.Errorf("boom %s", evil), gen: m.gen})
	for _, v := range []string{m.View(), func() string { m.Update(tea.KeyMsg{Type: tea.KeyEnter}); return m.View() }()} {
		if strings.ContainsAny(v, "\x1b\x07") {
			t.Errorf("control characters reach the terminal: %q", v)
		}
		if !strings.Contains(v, "evil?]52") {
			t.Errorf("the cleaned name is not shown:\n%s", v)
		}
	}
}

// A late answer from an older fetch never replaces newer data.
func TestStaleFetchIgnored(t *testing.T) {
	m := sized(testFleet(1), 120, 30)
	m.fetching, m.gen = true, 5
	m.Update(fleetMsg{f: testFleet(4), gen: 4})
	if len(m.fleet.Nodes) != 1 {
		t.Error("an old fetch replaced the fleet")
	}
	m.Update(fleetMsg{f: testFleet(2), gen: 5})
	if len(m.fleet.Nodes) != 2 || m.fetching {
		t.Error("the current fetch was not installed")
	}
}

// BenchmarkView1000 is one refresh of the cluster view at 1,000 GPUs (125
// nodes): install the fleet (sort, filter, rows) and draw a 200x60 screen.
func BenchmarkView1000(b *testing.B) {
	f := testFleet(125)
	m := sized(f, 200, 60)
	b.ReportAllocs()
	for b.Loop() {
		m.SetFleet(f)
		_ = m.View()
	}
}

// BenchmarkView1000Sorted also sorts by utilisation and filters by model.
func BenchmarkView1000Sorted(b *testing.B) {
	f := testFleet(125)
	m := sized(f, 200, 60)
	m.sort = sortUtil
	m.filter = "model:h100"
	b.ReportAllocs()
	for b.Loop() {
		m.SetFleet(f)
		_ = m.View()
	}
}

// Golden screens (ASCII profile) of the list and of a node at 120x40 and
// 80x24; regenerate with go test ./ui/cluster -update.
func TestGoldenCluster(t *testing.T) {
	for _, sz := range [][2]int{{120, 40}, {80, 24}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := sized(troubled(), sz[0], sz[1])
			list := m.View()
			m.Update(tea.KeyMsg{Type: tea.KeyEnter})
			golden.RequireEqual(t, []byte(list+"\n----- enter -----\n"+m.View()))
		})
	}
}

// Before any data, a failing server is named with the reason; after data, a
// failed refresh keeps the data and says so.
func TestFetchErrors(t *testing.T) {
	m := New(Config{Source: "http://prom:9090/", Theme: "mono", Now: func() time.Time { return at },
		Fetch: func(context.Context) (*promapi.Fleet, error) { return nil, fmt.Errorf("dial tcp: connection refused") }})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	cmd := m.Init()
	m.Update(cmd())
	if v := m.View(); !strings.Contains(v, "cannot read http://prom:9090/: dial tcp: connection refused") {
		t.Errorf("no data yet:\n%s", v)
	}
	m.SetFleet(testFleet(2))
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'r'}}) // a refresh that fails
	m.Update(fleetMsg{err: fmt.Errorf("timeout"), gen: m.gen})
	if v := m.View(); !strings.Contains(v, "last refresh failed (12:00:00): timeout; showing the previous data") || !strings.Contains(v, "2 nodes · 16 GPUs") {
		t.Errorf("after data:\n%s", v)
	}
}

// Keys that arrive in one read ("/" and the filter's text in one message)
// act as if typed one by one.
func TestRunesInOneMessage(t *testing.T) {
	m := sized(troubled(), 160, 60)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/node:node-002")})
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if v := m.View(); strings.Contains(v, "▾ node-000") || !strings.Contains(v, "filter: node:node-002") {
		t.Errorf("\"/node:node-002\" in one message did not open and fill the filter:\n%s", v)
	}
}
