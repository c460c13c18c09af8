// Package cluster is `gputop --prometheus URL`: every GPU of a cluster,
// grouped by node, read from a Prometheus server that scrapes gputop serve
// or dcgm-exporter. It sees what the exporters export at their scrape
// interval (15-30 s), not the local dashboard's 100 ms readings, and says so.
package cluster

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler/promapi"
	"github.com/gputop/gputop/themes"
)

// Config wires the view to its data.
type Config struct {
	// Fetch reads the fleet once (one query per metric).
	Fetch func(context.Context) (*promapi.Fleet, error)
	// Refresh is the time between fetches (default 15 s).
	Refresh time.Duration
	// Source names the server for the header (no credentials).
	Source string
	Theme  string
	Now    func() time.Time
	// Getenv reads NO_COLOR (os.Getenv when nil).
	Getenv func(string) string
}

// Sort keys, in the order `s` cycles through them.
type sortKey int

const (
	sortNode sortKey = iota
	sortVerdict
	sortUtil
	sortMem
	sortTemp
	sortPower
	numSorts
)

func (k sortKey) String() string {
	return [...]string{"node", "verdict", "utilisation", "memory", "temperature", "power"}[k]
}

// row is one line of the list: a node or one of its GPUs.
type row struct {
	node *promapi.Node
	gpu  *promapi.GPU // nil: the node's roll-up line
}

// Model is the cluster view's bubbletea model.
type Model struct {
	cfg    Config
	st     styles
	fleet  *promapi.Fleet
	err    error
	errAt  time.Time
	width  int
	height int

	rows      []row
	cursor    int
	top       int
	sort      sortKey
	filter    string
	filtering bool
	detail    string // node name when a node is open
	fetching  bool
	gen       int // fetch generation, so a late answer never overwrites a newer one
}

type fleetMsg struct {
	f   *promapi.Fleet
	err error
	gen int
}

type tickMsg struct{ gen int }

// New builds the model.
func New(cfg Config) *Model {
	if cfg.Refresh <= 0 {
		cfg.Refresh = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	th, err := themes.Resolve(cfg.Theme, cfg.Getenv)
	if err != nil {
		th, _ = themes.Resolve("", cfg.Getenv)
	}
	return &Model{cfg: cfg, st: newStyles(th), width: 100, height: 30}
}

// Init starts the first fetch.
func (m *Model) Init() tea.Cmd { return m.fetch() }

func (m *Model) fetch() tea.Cmd {
	if m.fetching || m.cfg.Fetch == nil {
		return nil
	}
	m.fetching = true
	m.gen++
	gen, fetch, timeout := m.gen, m.cfg.Fetch, max(m.cfg.Refresh, 10*time.Second)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		f, err := fetch(ctx)
		return fleetMsg{f: f, err: err, gen: gen}
	}
}

// SetFleet installs a fleet directly (tests and benchmarks).
func (m *Model) SetFleet(f *promapi.Fleet) { m.fleet = f; m.rebuild() }

// Update handles keys, window sizes and fetch results.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.clamp()
	case fleetMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.fetching = false
		if msg.err != nil {
			m.err, m.errAt = msg.err, m.cfg.Now()
		} else {
			m.err = nil
			m.fleet = msg.f
			m.rebuild()
		}
		gen := m.gen
		return m, tea.Tick(m.cfg.Refresh, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
	case tickMsg:
		if msg.gen == m.gen {
			return m, m.fetch()
		}
	case tea.KeyMsg:
		// Keys that arrived in one read come as one message with several
		// runes ("s/"), which no binding matches: each is the key it was
		// (as in the dashboard); a bracketed paste into the filter stays
		// whole.
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			cmds := make([]tea.Cmd, 0, len(msg.Runes))
			for _, r := range msg.Runes {
				cmds = append(cmds, m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
			}
			return m, tea.Batch(cmds...)
		}
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	if m.filtering {
		switch k.Type {
		case tea.KeyEnter, tea.KeyEsc:
			m.filtering = false
			if k.Type == tea.KeyEsc {
				m.filter = ""
			}
		case tea.KeyBackspace:
			if r := []rune(m.filter); len(r) > 0 {
				m.filter = string(r[:len(r)-1])
			}
		case tea.KeyCtrlC:
			return tea.Quit
		case tea.KeyRunes, tea.KeySpace:
			if len(m.filter) < 64 {
				m.filter += promapi.Clean(string(k.Runes))
				if k.Type == tea.KeySpace {
					m.filter += " "
				}
			}
		}
		m.cursor, m.top = 0, 0
		m.rebuild()
		return nil
	}
	switch k.String() {
	case "q", "ctrl+c":
		return tea.Quit
	case "esc", "backspace", "left", "h":
		if m.detail != "" {
			m.detail = ""
		} else if k.String() == "esc" && m.filter != "" {
			m.filter = ""
			m.rebuild()
		}
	case "enter", "right", "l":
		if m.detail == "" && m.cursor < len(m.rows) {
			m.detail = m.rows[m.cursor].node.Name
		}
	case "up", "k":
		m.cursor--
	case "down", "j":
		m.cursor++
	case "pgup":
		m.cursor -= m.listHeight()
	case "pgdown", " ":
		m.cursor += m.listHeight()
	case "home", "g":
		m.cursor = 0
	case "end", "G":
		m.cursor = len(m.rows) - 1
	case "s":
		m.sort = (m.sort + 1) % numSorts
		m.rebuild()
	case "/":
		m.filtering = true
	case "r":
		return m.fetch()
	}
	m.clamp()
	return nil
}

func (m *Model) clamp() {
	m.cursor = min(max(m.cursor, 0), max(len(m.rows)-1, 0))
	h := m.listHeight()
	if m.cursor < m.top {
		m.top = m.cursor
	}
	if h > 0 && m.cursor >= m.top+h {
		m.top = m.cursor - h + 1
	}
	m.top = max(0, min(m.top, max(len(m.rows)-h, 0)))
}

// rebuild sorts and filters the rows; View only slices them.
func (m *Model) rebuild() {
	m.rows = m.rows[:0]
	if m.fleet == nil {
		return
	}
	nodes := append([]*promapi.Node(nil), m.fleet.Nodes...)
	key := m.sort
	var rolls map[*promapi.Node]rollup
	if key != sortNode && key != sortVerdict {
		rolls = make(map[*promapi.Node]rollup, len(nodes))
		for _, n := range nodes {
			rolls[n] = rollOf(n)
		}
	}
	sort.SliceStable(nodes, func(i, j int) bool { return nodeLess(key, nodes[i], nodes[j], rolls) })
	f := parseFilter(m.filter)
	for _, n := range nodes {
		nodeHit := f.matchNode(n)
		var gpus []*promapi.GPU
		for _, g := range n.GPUs {
			if nodeHit && f.onlyNode() || f.matchGPU(n, g) {
				gpus = append(gpus, g)
			}
		}
		if len(gpus) == 0 && !(nodeHit && f.onlyNode()) {
			continue
		}
		if key != sortNode {
			sort.SliceStable(gpus, func(i, j int) bool { return gpuLess(key, gpus[i], gpus[j]) })
		}
		m.rows = append(m.rows, row{node: n})
		for _, g := range gpus {
			m.rows = append(m.rows, row{node: n, gpu: g})
		}
	}
	m.clamp()
}

// rollup is a node's summary over its present GPUs.
type rollup struct {
	util, memUsed, memTotal, temp, power float64
	n                                    int
}

func rollOf(n *promapi.Node) rollup {
	r := rollup{util: math.NaN(), memUsed: math.NaN(), memTotal: math.NaN(), temp: math.NaN(), power: math.NaN()}
	sum, cnt := 0.0, 0
	for _, g := range n.GPUs {
		if !math.IsNaN(g.Util) {
			sum += g.Util
			cnt++
		}
		r.memUsed = addNaN(r.memUsed, g.MemUsed)
		r.memTotal = addNaN(r.memTotal, g.MemTotal)
		r.power = addNaN(r.power, g.Power)
		if !math.IsNaN(g.Temp) && (math.IsNaN(r.temp) || g.Temp > r.temp) {
			r.temp = g.Temp
		}
	}
	if cnt > 0 {
		r.util = sum / float64(cnt)
	}
	r.n = len(n.GPUs)
	return r
}

func addNaN(a, b float64) float64 {
	switch {
	case math.IsNaN(b):
		return a
	case math.IsNaN(a):
		return b
	}
	return a + b
}

// desc orders NaN last and larger values first.
func desc(a, b float64) (less, decided bool) {
	switch {
	case math.IsNaN(a) && math.IsNaN(b):
		return false, false
	case math.IsNaN(a):
		return false, true
	case math.IsNaN(b):
		return true, true
	case a != b:
		return a > b, true
	}
	return false, false
}

// value is the number a sort key orders by (larger first, NaN last).
func (k sortKey) value(util, mem, temp, power float64) float64 {
	switch k {
	case sortUtil:
		return util
	case sortMem:
		return mem
	case sortTemp:
		return temp
	case sortPower:
		return power
	}
	return math.NaN()
}

func nodeLess(k sortKey, a, b *promapi.Node, rolls map[*promapi.Node]rollup) bool {
	switch k {
	case sortNode:
	case sortVerdict:
		if ra, rb := nodeRank(a), nodeRank(b); ra != rb {
			return ra < rb
		}
	default:
		x, y := rolls[a], rolls[b]
		if less, ok := desc(k.value(x.util, x.memUsed, x.temp, x.power), k.value(y.util, y.memUsed, y.temp, y.power)); ok {
			return less
		}
	}
	return a.Name < b.Name
}

// nodeRank puts trouble first: down, stale, then the verdict.
func nodeRank(n *promapi.Node) int {
	switch {
	case n.Down:
		return -2
	case n.Stale:
		return -1
	}
	return levelRank(n.Verdict)
}

// levelRank orders verdict levels worst first; no verdict last.
func levelRank(l model.VerdictLevel) int {
	if l == "" {
		return 99
	}
	r := 0
	for _, o := range []model.VerdictLevel{model.VerdictLost, model.VerdictError, model.VerdictFail,
		model.VerdictStale, model.VerdictWarn, model.VerdictOK} {
		if l.Worse(o) {
			break
		}
		r++
	}
	return r
}

func gpuLess(k sortKey, a, b *promapi.GPU) bool {
	if k == sortVerdict {
		return levelRank(a.Verdict) < levelRank(b.Verdict)
	}
	less, _ := desc(k.value(a.Util, a.MemUsed, a.Temp, a.Power), k.value(b.Util, b.MemUsed, b.Temp, b.Power))
	return less
}

// filter is `/` text: words that must all match; node:, model:, verdict:
// and pod: restrict a word to one field.
type filter struct{ terms []term }

type term struct{ field, text string }

func parseFilter(s string) filter {
	var f filter
	for _, w := range strings.Fields(strings.ToLower(s)) {
		t := term{text: w}
		if i := strings.IndexByte(w, ':'); i > 0 {
			switch w[:i] {
			case "node", "model", "verdict", "pod", "job":
				t = term{field: w[:i], text: w[i+1:]}
			}
		}
		f.terms = append(f.terms, t)
	}
	return f
}

// onlyNode: every term is about the node, so a matching node keeps all
// its GPUs.
func (f filter) onlyNode() bool {
	for _, t := range f.terms {
		if t.field != "node" {
			return false
		}
	}
	return true
}

func (f filter) matchNode(n *promapi.Node) bool {
	for _, t := range f.terms {
		if t.field != "node" || !strings.Contains(strings.ToLower(n.Name), t.text) {
			return false
		}
	}
	return true
}

func (f filter) matchGPU(n *promapi.Node, g *promapi.GPU) bool {
	for _, t := range f.terms {
		has := func(s string) bool { return strings.Contains(strings.ToLower(s), t.text) }
		var ok bool
		switch t.field {
		case "node":
			ok = has(n.Name)
		case "model":
			ok = has(g.Model)
		case "verdict":
			ok = has(string(g.Verdict)) || has(g.Reason) || (t.text == "unknown" && g.Verdict == "")
		case "pod":
			ok = has(g.Pod)
		case "job":
			ok = has(g.Job)
		default:
			ok = has(n.Name) || has(g.Model) || has(string(g.Verdict)) || has(g.Reason) || has(g.Pod) || has(g.Job) || has(g.UUID)
		}
		if !ok {
			return false
		}
	}
	return true
}

// listHeight is how many rows of the list fit under the header and the
// fleet summary.
func (m *Model) listHeight() int {
	return max(m.height-len(m.summaryLines())-4, 1)
}

// View draws the list or a node.
func (m *Model) View() string {
	if m.width < 24 || m.height < 6 {
		return "terminal too small"
	}
	if m.detail != "" {
		if n := m.node(m.detail); n != nil {
			return m.nodeView(n)
		}
		m.detail = ""
	}
	var b strings.Builder
	lines := make([]string, 0, m.height)
	lines = append(lines, m.header()...)
	lines = append(lines, m.summaryLines()...)
	lines = append(lines, m.st.muted.Render(m.fit(m.layout().header())))
	h := m.listHeight()
	for i := m.top; i < len(m.rows) && i < m.top+h; i++ {
		line := m.rowLine(m.rows[i])
		if i == m.cursor {
			line = m.st.selected.Render(m.fit(ansi.Strip(line)))
		}
		lines = append(lines, line)
	}
	if m.fleet != nil && len(m.rows) == 0 {
		if m.filter != "" {
			lines = append(lines, "  nothing matches the filter "+fmt.Sprintf("%q", m.filter)+" (esc clears it)")
		} else {
			lines = append(lines, "  no GPU series (DCGM_FI_DEV_GPU_UTIL) on this server yet")
		}
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = lines[:m.height-1]
	lines = append(lines, m.footer())
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.fit(l))
	}
	return b.String()
}

func (m *Model) node(name string) *promapi.Node {
	if m.fleet == nil {
		return nil
	}
	for _, n := range m.fleet.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

func (m *Model) fit(s string) string {
	if ansi.StringWidth(s) > m.width {
		return ansi.Truncate(s, m.width, "…")
	}
	return s
}

func (m *Model) header() []string {
	src := promapi.Clean(m.cfg.Source)
	if m.fleet == nil {
		state := "connecting to " + src + " ..."
		if m.err != nil {
			state = "cannot read " + src + ": " + promapi.Clean(m.err.Error())
		}
		return []string{m.st.title.Render(" gputop cluster "), state}
	}
	f := m.fleet
	first := fmt.Sprintf(" gputop cluster · %s · %d nodes · %d GPUs · at %s (%d queries, %s) ",
		src, len(f.Nodes), f.GPUCount(), f.At.Local().Format("15:04:05"), f.Queries, f.Took.Round(time.Millisecond))
	if f.Took > time.Second && f.SlowestQuery != "" {
		first += fmt.Sprintf("slowest: %s %s ", f.SlowestQuery, f.Slowest.Round(time.Millisecond))
	}
	res := "unknown"
	if f.Resolution > 0 {
		res = "about every " + f.Resolution.String()
	}
	second := fmt.Sprintf("Resolution: the exporters' scrapes, %s (not gputop's 100 ms). Labels: %s. Sort: %s", res, f.Labels, m.sort)
	if m.filter != "" || m.filtering {
		second += " · filter: " + m.filter
		if m.filtering {
			second += "▏"
		}
	}
	out := []string{m.st.title.Render(m.fit(first)), m.st.muted.Render(second)}
	if m.err != nil {
		out = append(out, m.st.fail.Render("last refresh failed ("+m.errAt.Local().Format("15:04:05")+"): "+promapi.Clean(m.err.Error())+"; showing the previous data"))
	}
	return out
}

// summaryLines are the fleet's troubles: exporters down or stale, vanished
// GPUs, Xids, failing checks, version skew. At most a few lines each.
func (m *Model) summaryLines() []string {
	f := m.fleet
	if f == nil {
		return nil
	}
	var out []string
	var down, stale, lost, vanished, xids, checks []string
	for _, n := range f.Nodes {
		if n.Down {
			d := n.Name + " (" + strings.Join(n.Instances, ", ")
			if n.DownReason != "" {
				d += ": " + n.DownReason
			}
			down = append(down, d+")")
		} else if n.Stale {
			stale = append(stale, fmt.Sprintf("%s (%s old)", n.Name, n.Age.Round(time.Second)))
		}
		for _, g := range n.GPUs {
			switch g.Health {
			case "stale":
				stale = append(stale, fmt.Sprintf("%s gpu %s (a driver call hangs)", n.Name, g.Index))
			case "lost", "error":
				lost = append(lost, fmt.Sprintf("%s gpu %s %s", n.Name, g.Index, g.Health))
			}
			if g.Xid > 0 {
				xids = append(xids, fmt.Sprintf("%s gpu %s Xid %d", n.Name, g.Index, g.Xid))
			}
		}
		for _, g := range n.Vanished {
			vanished = append(vanished, fmt.Sprintf("%s gpu %s %s (%s)", n.Name, g.Index, short(g.UUID), lastSeen(g)))
		}
		var fails []string
		for _, c := range n.Checks {
			if c.Status == promapi.Fail {
				fails = append(fails, c.ID)
			}
		}
		if len(fails) > 0 {
			checks = append(checks, n.Name+": "+strings.Join(fails, ", "))
		}
	}
	add := func(label string, st lipgloss.Style, items []string) {
		if len(items) == 0 {
			return
		}
		if len(items) > 1 {
			// The line is cut at the screen's edge: the count says how many.
			label = strings.TrimSuffix(label, ":") + fmt.Sprintf(" (%d):", len(items))
		}
		out = append(out, st.Render(label)+" "+strings.Join(items, " · "))
	}
	add("Exporters down:", m.st.fail, down)
	add("Stale:", m.st.warn, stale)
	add("GPUs lost or failing:", m.st.fail, lost)
	add("Vanished GPUs:", m.st.fail, vanished)
	add("Xid:", m.st.warn, xids)
	add("Failing checks:", m.st.fail, checks)
	var skew []string
	for _, s := range f.Skew {
		skew = append(skew, fmt.Sprintf("%s %s on %d node(s)", s.What, s.Version, len(s.Nodes)))
	}
	add("Version skew:", m.st.warn, skew)
	if len(f.Errors) > 0 {
		out = append(out, m.st.warn.Render(fmt.Sprintf("Partial: %d queries failed", len(f.Errors)))+" "+promapi.Clean(f.Errors[0]))
	}
	// Never more than a third of the screen.
	if lim := max(m.height/3, 1); len(out) > lim {
		out = append(out[:lim-1], m.st.muted.Render(fmt.Sprintf("(+%d more lines: enlarge the terminal)", len(out)-lim+1)))
	}
	return out
}

func lastSeen(g *promapi.GPU) string {
	if g.LastSeen.IsZero() {
		return "not seen in the sparkline range"
	}
	return "last seen " + g.LastSeen.Local().Format("15:04:05")
}

func short(uuid string) string {
	if len(uuid) > 12 {
		return uuid[:12] + "…"
	}
	return uuid
}

// layout is the list's columns for the terminal's width: the model and the
// sparkline give way first on narrow terminals.
type layout struct{ name, model, spark int }

func (m *Model) layout() layout {
	switch {
	case m.width >= 150:
		return layout{name: 22, model: 20, spark: 16}
	case m.width >= 110:
		return layout{name: 20, model: 14}
	}
	return layout{name: 16}
}

// cols joins the fixed columns; empty widths drop a column.
func (l layout) cols(name, model, util, mem, temp, power, verdict, spark, extra string) string {
	var b strings.Builder
	b.WriteString(pad(name, l.name))
	if l.model > 0 {
		b.WriteString(" " + pad(model, l.model))
	}
	b.WriteString(fmt.Sprintf(" %5s %15s %5s %7s ", util, mem, temp, power))
	b.WriteString(verdict)
	if l.spark > 0 {
		b.WriteString(" " + pad(spark, l.spark))
	}
	if extra != "" {
		b.WriteString(" " + extra)
	}
	return b.String()
}

func (l layout) header() string {
	return l.cols("NODE / GPU", "MODEL", "UTIL", "MEMORY GiB", "TEMP", "POWER", "VERDICT", "UTIL (range)", "POD / JOB · XID")
}

func (m *Model) rowLine(r row) string {
	l := m.layout()
	if r.gpu == nil {
		n := r.node
		ru := rollOf(n)
		var extra []string
		switch {
		case n.Down:
			extra = append(extra, m.st.fail.Render("EXPORTER DOWN"))
		case n.Stale:
			extra = append(extra, m.st.warn.Render("STALE "+n.Age.Round(time.Second).String()))
		}
		if l.model == 0 {
			extra = append(extra, n.Exporter)
		}
		if n.Driver != "" {
			extra = append(extra, "driver "+n.Driver)
		}
		if n.CUDA != "" {
			extra = append(extra, "CUDA "+n.CUDA)
		}
		name := m.st.bold.Render(pad(fmt.Sprintf("▾ %s (%d)", n.Name, ru.n), l.name))
		return l.cols(name, n.Exporter, pct(ru.util), mem(ru.memUsed, ru.memTotal), temp(ru.temp), watts(ru.power),
			m.verdict(n.Verdict), "", strings.Join(extra, " "))
	}
	g := r.gpu
	var extra []string
	if g.Reason != "" {
		extra = append(extra, g.Reason)
	}
	if g.Pod != "" {
		extra = append(extra, g.Pod)
	}
	if g.Job != "" {
		extra = append(extra, "job "+g.Job)
	}
	if g.Xid > 0 {
		extra = append(extra, m.st.warn.Render(fmt.Sprintf("Xid %d", g.Xid)))
	}
	if g.Health != "" && g.Health != "ok" {
		extra = append(extra, m.st.warn.Render(g.Health))
	}
	return l.cols("  gpu "+g.Index, strings.TrimPrefix(g.Model, "NVIDIA "), pct(g.Util), mem(g.MemUsed, g.MemTotal), temp(g.Temp), watts(g.Power),
		m.verdict(g.Verdict), spark(g.Spark, l.spark), strings.Join(extra, " "))
}

func (m *Model) verdict(l model.VerdictLevel) string {
	word := "-"
	st := m.st.muted
	if l != "" {
		word = l.Word()
		switch l {
		case model.VerdictLost, model.VerdictError, model.VerdictFail:
			st = m.st.fail
		case model.VerdictStale, model.VerdictWarn:
			st = m.st.warn
		default:
			st = m.st.ok
		}
	}
	return st.Render(pad(word, 7))
}

// status draws a check's status in the node's checklist.
func (m *Model) status(s promapi.Status) string {
	switch s {
	case promapi.Fail:
		return m.st.fail.Render("FAIL   ")
	case promapi.Warn:
		return m.st.warn.Render("WARN   ")
	}
	return m.st.muted.Render(pad(string(s), 7))
}

func (m *Model) footer() string {
	if m.detail != "" {
		return m.st.muted.Render("esc back · r refresh · q quit")
	}
	if m.filtering {
		return m.st.muted.Render("type to filter (node: model: verdict: pod: job:) · enter keep · esc clear")
	}
	pos := ""
	if len(m.rows) > 0 {
		pos = fmt.Sprintf(" · row %d/%d", m.cursor+1, len(m.rows))
	}
	return m.st.muted.Render("↑↓ move · enter open node · s sort · / filter · r refresh · q quit" + pos)
}

// nodeView is one node: its GPUs as cards and its checklist.
func (m *Model) nodeView(n *promapi.Node) string {
	lines := []string{m.st.title.Render(m.fit(fmt.Sprintf(" %s · %d GPUs · %s · driver %s · CUDA %s ",
		n.Name, len(n.GPUs), n.Exporter, orDash(n.Driver), orDash(n.CUDA))))}
	if n.Down {
		lines = append(lines, m.st.fail.Render("Exporter down: "+strings.Join(n.Instances, ", ")+"; the values are the last seen"))
	} else if n.Stale {
		lines = append(lines, m.st.warn.Render("Stale: the newest sample is "+n.Age.Round(time.Second).String()+" old"))
	}
	cardW := 38
	perRow := max(m.width/cardW, 1)
	checkLines := 3 + len(n.Checks)
	if cardRows := (len(n.GPUs) + perRow - 1) / perRow; len(lines)+cardRows*8+len(n.Vanished)+checkLines <= m.height-1 {
		var cards []string
		for _, g := range n.GPUs {
			cards = append(cards, m.card(g, cardW-1))
		}
		for i := 0; i < len(cards); i += perRow {
			end := min(i+perRow, len(cards))
			lines = append(lines, strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, cards[i:end]...), "\n")...)
		}
	} else {
		// Too many GPUs for cards on this screen: one line each, so the
		// checklist stays in view.
		lines = append(lines, m.st.muted.Render(m.layout().header()))
		for _, g := range n.GPUs {
			lines = append(lines, m.rowLine(row{node: n, gpu: g}))
		}
	}
	for _, g := range n.Vanished {
		lines = append(lines, m.st.fail.Render(fmt.Sprintf("Vanished: gpu %s %s %s (%s)", g.Index, g.Model, g.UUID, lastSeen(g))))
	}
	lines = append(lines, "", m.st.bold.Render("Checklist"))
	switch {
	case n.Exporter != "gputop":
		lines = append(lines, m.st.muted.Render("  no checks: this node runs dcgm-exporter, not gputop serve"))
	case len(n.Checks) == 0:
		lines = append(lines, m.st.ok.Render("  every check passed or was skipped"))
	default:
		for _, c := range n.Checks {
			gpu := ""
			if c.GPU != "" {
				gpu = " (gpu " + c.GPU + ")"
			}
			lines = append(lines, "  "+m.status(c.Status)+" "+c.ID+gpu)
		}
		where := "NODE:9400"
		if len(n.Instances) > 0 {
			where = n.Instances[0]
		}
		lines = append(lines, m.st.muted.Render("  evidence and fixes: 'gputop check' on the node, or curl -o "+n.Name+".json http://"+where+"/snapshot && gputop --replay "+n.Name+".json"))
	}
	if len(lines) > m.height-1 {
		lines = lines[:m.height-1]
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines, m.footer())
	for i := range lines {
		lines[i] = m.fit(lines[i])
	}
	return strings.Join(lines, "\n")
}

func (m *Model) card(g *promapi.GPU, w int) string {
	body := []string{
		m.st.bold.Render(ansi.Truncate("gpu "+g.Index+" "+g.Model, w-2, "…")),
		"util " + pct(g.Util) + " " + spark(g.Spark, w-13),
		"mem  " + mem(g.MemUsed, g.MemTotal) + " GiB",
		"temp " + temp(g.Temp) + "  power " + watts(g.Power),
		"verdict " + m.verdict(g.Verdict) + " " + g.Reason,
	}
	if g.Xid > 0 {
		body = append(body, m.st.warn.Render(fmt.Sprintf("last Xid reported: %d", g.Xid)))
	}
	if g.Pod != "" || g.Job != "" {
		body = append(body, ansi.Truncate(strings.TrimSpace(g.Pod+" "+g.Job), w-2, "…"))
	}
	return m.st.card.Width(w - 2).Render(strings.Join(body, "\n"))
}

func pad(s string, w int) string {
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-ansi.StringWidth(s))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", v)
}

func mem(used, total float64) string {
	if math.IsNaN(used) {
		return "-"
	}
	if math.IsNaN(total) || total <= 0 {
		return fmt.Sprintf("%.1f", used/1024)
	}
	return fmt.Sprintf("%.1f/%.0f", used/1024, total/1024)
}

func temp(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.0f°C", v)
}

func watts(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v >= 10000:
		return fmt.Sprintf("%.1fkW", v/1000)
	}
	return fmt.Sprintf("%.0fW", v)
}

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// spark draws the newest w points of a 0-100 series; gaps are spaces.
func spark(vals []float64, w int) string {
	if w <= 0 {
		return ""
	}
	if len(vals) > w {
		vals = vals[len(vals)-w:]
	}
	out := make([]rune, 0, w)
	for _, v := range vals {
		if math.IsNaN(v) {
			out = append(out, ' ')
			continue
		}
		i := int(math.Round(min(max(v, 0), 100) / 100 * float64(len(sparkRunes)-1)))
		out = append(out, sparkRunes[i])
	}
	for len(out) < w {
		out = append([]rune{' '}, out...)
	}
	return string(out)
}

type styles struct {
	title, muted, bold, ok, warn, fail, selected, card lipgloss.Style
}

func newStyles(t themes.Theme) styles {
	s := styles{
		title:    lipgloss.NewStyle().Foreground(t.HeaderFg).Background(t.HeaderBg).Bold(true),
		muted:    lipgloss.NewStyle().Foreground(t.Muted),
		bold:     lipgloss.NewStyle().Bold(true),
		ok:       lipgloss.NewStyle().Foreground(t.OK),
		warn:     lipgloss.NewStyle().Foreground(t.Warn),
		fail:     lipgloss.NewStyle().Foreground(t.Fail).Bold(true),
		selected: lipgloss.NewStyle().Background(t.SelectedBg).Reverse(t.Mono),
		card:     lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(t.Border).Padding(0, 1),
	}
	return s
}
