package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
)

// gpuPanes shows every GPU, as a grid of cards or as compact rows, and
// owns which GPU has the focus.
type gpuPanes struct {
	*common
	size
	lay     layout
	focused int  // GPU index with the focus
	active  bool // the GPU area (rather than the checks pane) has the focus
	spark   []float32
}

func newGPUPanes(c *common) *gpuPanes { return &gpuPanes{common: c, active: true} }

func (p *gpuPanes) setLayout(l layout) {
	p.lay = l
	p.SetSize(l.gpuW, l.gpuH)
}

func (p *gpuPanes) count() int { return len(p.frame.GPUs) }

// Update moves the focus between GPUs with the arrows; tab is the root's.
func (p *gpuPanes) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || p.count() == 0 {
		return nil
	}
	cols := 1
	if p.lay.mode == modeGrid {
		cols = max(p.lay.cols, 1)
	}
	switch {
	case key.Matches(km, p.keys.Left):
		p.focused = max(p.focused-1, 0)
	case key.Matches(km, p.keys.Right):
		p.focused = min(p.focused+1, p.count()-1)
	case key.Matches(km, p.keys.Up):
		p.focused = max(p.focused-cols, 0)
	case key.Matches(km, p.keys.Down):
		p.focused = min(p.focused+cols, p.count()-1)
	}
	return nil
}

// atBottom reports whether Down would leave the GPU area.
func (p *gpuPanes) atBottom() bool {
	cols := 1
	if p.lay.mode == modeGrid {
		cols = max(p.lay.cols, 1)
	}
	return p.focused+cols >= p.count()
}

func (p *gpuPanes) ShortHelp() []key.Binding {
	zoom := p.keys.Enter
	zoom.SetHelp("enter", "zoom GPU")
	return []key.Binding{zoom}
}

func (p *gpuPanes) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }

func (p *gpuPanes) View() string {
	if p.count() == 0 {
		return fitBlock(p.styles.Muted.Render("no GPUs to show"), p.width, p.height)
	}
	var view string
	if p.lay.mode == modeCompact {
		view = p.rowsView()
	} else {
		view = p.gridView()
	}
	// Rows the GPUs leave free (beside a full-height checks pane) show the
	// recent events rather than nothing.
	if used := strings.Count(view, "\n") + 1; p.height-used >= 4 {
		view += "\n" + p.eventsBox(p.height-used)
	}
	return fitBlock(view, p.width, p.height)
}

// eventsBox lists the newest events, newest first, in height rows.
func (p *gpuPanes) eventsBox(height int) string {
	loc := p.now().Location()
	key := eventsKey{count: p.frame.eventCount, n: len(p.frame.Events), width: p.width, height: height,
		stylesGen: p.styles.gen, loc: loc}
	return p.frame.drawn.events.get(key, func() string { return p.drawEventsBox(height, loc) })
}

func (p *gpuPanes) drawEventsBox(height int, loc *time.Location) string {
	st := p.styles
	lines := []string{st.title.render("EVENTS")}
	evs := p.frame.Events
	for i := len(evs) - 1; i >= 0 && len(lines) < height-2; i-- {
		lines = append(lines, st.eventLine(evs[i], loc))
	}
	if len(evs) == 0 {
		lines = append(lines, st.muted.render("none yet: Xid errors, throttling, ECC and lost GPUs appear here"))
	}
	return boxed(st.Pane, strings.Join(lines, "\n"), p.width, height)
}

func (p *gpuPanes) gridView() string {
	cols := max(p.lay.cols, 1)
	var rows []string
	for start := 0; start < p.count(); start += cols {
		var cards []string
		end := min(start+cols, p.count())
		for i := start; i < end; i++ {
			// Spread the remainder over the first cards so the row is full.
			w := p.width / cols
			if i-start < p.width%cols {
				w++
			}
			cards = append(cards, p.card(i, w))
		}
		rows = append(rows, joinColumns(cards...))
	}
	return strings.Join(rows, "\n")
}

// card draws GPU i as a bordered card width cells wide and cardHeight high.
func (p *gpuPanes) card(i, width int) string {
	g := &p.frame.GPUs[i]
	st := p.styles
	inner := width - 4
	box := st.Pane
	switch {
	case g.Health.State == model.Lost || g.Health.State == model.Failed:
		box = st.PaneLost
	case p.active && i == p.focused:
		box = st.PaneFocused
	}
	lines := make([]string, 0, cardHeight-2)

	title := st.title.render("GPU "+strconv.Itoa(g.Info.Index)) + " " + st.bold.render(shortName(g.Info.Name))
	right := st.muted.render(shortBus(g.Info.BusID)) + "  " + st.healthBadge(g.Health, false)
	lines = append(lines, spread(title, right, inner))

	f := &g.Fast
	valW := 15
	avail := inner - 5 - valW - 1
	barW, sparkW := avail, 0
	if avail >= 30 {
		barW = avail * 45 / 100
		sparkW = avail - barW - 1
	}
	end := p.frame.end(g)
	gone := g.Health.State == model.Lost || g.Health.State == model.Failed
	metricLine := func(label string, fr float64, ok bool, value string, m metric, top float64) string {
		if gone {
			// Bare tracks: the numbers are the last ones read, not live.
			ok, value = false, st.muted.render(value)
		}
		s := st.muted.on(fit(label, 4)) + " " + st.bar(fr, ok, barW) + " " + fitRight(value, valW)
		if sparkW > 0 {
			p.spark = g.hist.bucketMax(p.spark, m, end, sparkBucket, sparkW)
			if !(top > 0) { // no known limit: scale to the window's peak
				top = float64(maxOf(p.spark))
			}
			s += " " + st.spark.on(sparkline(p.spark, top))
		}
		return s
	}
	total := g.memTotal()
	memF, memOK := frac(f.MemUsed, total)
	lines = append(lines, metricLine("MEM", memF, memOK, fmtGiB(f.MemUsed, total), metricMem, float64(total.V)/gib))
	utilF, utilOK := frac(f.UtilGPU, model.Some[uint32](100))
	lines = append(lines, metricLine("UTIL", utilF, utilOK, fmtPct(f.UtilGPU), metricUtil, 100))
	bwF, bwOK := frac(f.UtilMem, model.Some[uint32](100))
	lines = append(lines, metricLine("BW", bwF, bwOK, fmtPct(f.UtilMem), metricBW, 100))
	pwrF, pwrOK := frac(f.PowerDraw, f.PowerLimit)
	lines = append(lines, metricLine("PWR", pwrF, pwrOK, fmtWatts(f.PowerDraw, f.PowerLimit), metricPower,
		float64(f.PowerLimit.V)/1000))
	tempF, tempOK := frac(f.TempGPU, g.Info.TempSlowdown)
	lines = append(lines, metricLine("TEMP", tempF, tempOK, fmtTemp(f.TempGPU, g.Info.TempSlowdown), metricTemp,
		float64(g.Info.TempSlowdown.Or(100))))

	lines = append(lines, spread(st.muted.render("SM ")+fmtMHz(f.ClockSM)+st.muted.render("  MEM ")+fmtMHz(f.ClockMem)+
		"  "+fmtPState(f.PState)+st.muted.render("  FAN ")+fmtPct(f.FanPercent), st.cardTraffic(g), inner)) // signals.go
	if g.Health.State != model.Healthy {
		lines = append(lines, st.healthBadge(g.Health, true))
	} else {
		thr := st.muted.render("THR  ") + st.throttleTags(f.ThrottleReasons)
		// While a model loads, the card says when it will be full.
		if fc, peak := p.watch.forecast(i); fc.Climbing {
			thr = spread(thr, renderForecast(fc, peak, max(inner-textWidth(thr)-2, 0), st), inner)
		} else if sig := st.cardSignals(g); sig != "" {
			thr = spread(thr, sig, inner) // NVLink, throttle history, recovery (signals.go)
		}
		lines = append(lines, thr)
	}
	if !g.HasFast && g.Health.State == model.Healthy {
		lines[len(lines)-1] = st.muted.render("waiting for the first reading…")
	}
	return boxed(box, strings.Join(lines, "\n"), width, cardHeight)
}

// sparkBucket is the time one sparkline cell covers in a card: one second,
// each cell the maximum of that second's samples.
const sparkBucket = int64(1e9)

// spread places left and right at the two ends of width cells; when they do
// not fit, right is dropped before left is cut.
func spread(left, right string, width int) string {
	lw, rw := textWidth(left), textWidth(right)
	if lw+1+rw > width {
		return fit(left, width)
	}
	return left + strings.Repeat(" ", width-lw-rw) + right
}

// column is one column of the compact table.
type column struct {
	title string
	width int
	right bool
	cell  func(g *gpuFrame) string
}

// columns returns the compact table's columns that fit width, in order.
// Columns are added by importance; the name column takes what is left.
func (p *gpuPanes) columns(width int) []column {
	st := p.styles
	all := []struct {
		col      column
		priority int
	}{
		{column{"#", 2, true, func(g *gpuFrame) string { return strconv.Itoa(g.Info.Index) }}, 0},
		{column{"NAME", 0, false, func(g *gpuFrame) string { return shortName(g.Info.Name) }}, 0},
		{column{"BUS", 7, false, func(g *gpuFrame) string { return st.muted.render(shortBus(g.Info.BusID)) }}, 6},
		{column{"MEMORY", 15, true, func(g *gpuFrame) string { return fmtGiB(g.Fast.MemUsed, g.memTotal()) }}, 0},
		{column{"", 10, false, func(g *gpuFrame) string {
			f, ok := frac(g.Fast.MemUsed, g.memTotal())
			return st.bar(f, ok, 10)
		}}, 4},
		{column{"UTIL", 4, true, func(g *gpuFrame) string { return fmtPct(g.Fast.UtilGPU) }}, 0},
		{column{"", 10, false, func(g *gpuFrame) string {
			f, ok := frac(g.Fast.UtilGPU, model.Some[uint32](100))
			return st.bar(f, ok, 10)
		}}, 5},
		{column{"BW", 4, true, func(g *gpuFrame) string { return fmtPct(g.Fast.UtilMem) }}, 1},
		{column{"POWER", 11, true, func(g *gpuFrame) string { return fmtWatts(g.Fast.PowerDraw, g.Fast.PowerLimit) }}, 0},
		{column{"TEMP", 8, true, func(g *gpuFrame) string { return fmtTemp(g.Fast.TempGPU, g.Info.TempSlowdown) }}, 0},
		{column{"SM CLK", 8, true, func(g *gpuFrame) string { return fmtMHz(g.Fast.ClockSM) }}, 3},
		{column{"P", 3, false, func(g *gpuFrame) string { return fmtPState(g.Fast.PState) }}, 3},
		{column{"UTIL 30s", 30, false, func(g *gpuFrame) string {
			p.spark = g.hist.bucketMax(p.spark, metricUtil, p.frame.end(g), sparkBucket, 30)
			return st.spark.on(sparkline(p.spark, 100))
		}}, 7},
		{column{"HEALTH", 7, false, func(g *gpuFrame) string { return st.healthBadge(g.Health, false) }}, 0},
		{column{"THROTTLE", 0, false, func(g *gpuFrame) string {
			if g.Health.State != model.Healthy {
				return st.fail.render(g.Health.Reason)
			}
			return st.throttleTags(g.Fast.ThrottleReasons)
		}}, 2},
	}
	// The throttle column holds e.g. "!HWSLOW THERM" when there is room.
	const nameMin, flexMin, throttleWide = 10, 8, 16
	// Keep columns while they fit, least important dropped first.
	keep := make([]bool, len(all))
	used := 0
	for prio := 0; prio <= 7; prio++ {
		for i, c := range all {
			if c.priority != prio {
				continue
			}
			w := c.col.width
			if w == 0 {
				w = flexMin
				switch {
				case c.col.title == "NAME":
					w = nameMin
				case width >= 100:
					w = throttleWide
				}
			}
			if used+w+1 <= width {
				keep[i] = true
				used += w + 1
			}
		}
	}
	var cols []column
	spare := width - used
	for i, c := range all {
		if !keep[i] {
			continue
		}
		col := c.col
		if col.width == 0 {
			col.width = flexMin
			if width >= 100 {
				col.width = throttleWide
			}
			if col.title == "NAME" {
				col.width = nameMin + min(spare, 10)
				spare -= min(spare, 10)
			}
		}
		cols = append(cols, col)
	}
	// The last flexible column takes whatever is left.
	for i := len(cols) - 1; i >= 0; i-- {
		if cols[i].title == "THROTTLE" {
			cols[i].width += max(spare, 0)
			break
		}
	}
	return cols
}

func (p *gpuPanes) rowsView() string {
	cols := p.columns(p.width - 1) // one cell for the focus marker
	st := p.styles
	migBudget := p.height - 1 - p.count() // spare rows for MIG sub-rows (signals.go)
	var b strings.Builder
	b.WriteString(" ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(" ")
		}
		t := c.title
		if c.right {
			b.WriteString(st.muted.render(fitRight(t, c.width)))
		} else {
			b.WriteString(st.muted.render(fit(t, c.width)))
		}
	}
	for gi := range p.frame.GPUs {
		g := &p.frame.GPUs[gi]
		b.WriteString("\n")
		var row strings.Builder
		focused := p.active && gi == p.focused
		if focused {
			row.WriteString(st.accent.render("›"))
		} else {
			row.WriteString(" ")
		}
		gone := g.Health.State == model.Lost || g.Health.State == model.Failed
		for i, c := range cols {
			if i > 0 {
				row.WriteString(" ")
			}
			if gone && i >= 2 {
				// The readings of a lost GPU are history; its row says what
				// happened instead, across the whole width.
				row.WriteString(st.healthBadge(g.Health, true))
				break
			}
			v := c.cell(g)
			if c.right {
				row.WriteString(fitRight(v, c.width))
			} else {
				row.WriteString(fit(v, c.width))
			}
		}
		line := row.String()
		if focused {
			line = st.selectedRow(line)
		}
		b.WriteString(line)
		b.WriteString(st.migRows(g, p.width, &migBudget))
	}
	return b.String()
}
