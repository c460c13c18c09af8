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

// Focused is the index of the GPU with the focus.
func (p *gpuPanes) Focused() int { return p.focused }

func (p *gpuPanes) count() int { return len(p.frame.GPUs) }

// Update moves the focus between GPUs with the arrows; tab is the root's.
func (p *gpuPanes) Update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(showGPUMsg); ok {
		// The root moves the focus (tab, a click, the zoom view's GPU).
		p.focused = msg.gpu
		return nil
	}
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

func (p *gpuPanes) FullHelp() [][]key.Binding {
	move := p.keys.Left
	move.SetHelp("←↑→↓/hjkl", "move between GPUs")
	return [][]key.Binding{{move, p.ShortHelp()[0], p.keys.Events, p.keys.Procs}}
}

func (p *gpuPanes) View() string {
	if p.count() == 0 {
		return fitBlock(p.styles.muted.render("no GPUs to show"), p.width, p.height)
	}
	var view string
	if p.lay.mode == modeCompact {
		view = p.rowsView()
	} else {
		view = p.gridView()
	}
	// Rows the GPUs leave free (beside a full-height checks pane) show the
	// recent events rather than nothing.
	// The box is as tall as what it has to show, so it never holds air.
	if used := strings.Count(view, "\n") + 1; p.height-used >= 4 {
		need := max(len(p.frame.visibleEvents())+3, 4)
		view += "\n" + p.eventsBox(min(p.height-used, need))
	}
	return fitBlock(view, p.width, p.height)
}

// eventsBox lists the newest events, newest first, in height rows.
func (p *gpuPanes) eventsBox(height int) string {
	loc := p.now().Location()
	key := eventsKey{count: p.frame.eventCount, n: len(p.frame.visibleEvents()), width: p.width, height: height,
		stylesGen: p.styles.gen, loc: loc}
	return p.frame.drawn.events.get(key, func() string { return p.drawEventsBox(height, loc) })
}

func (p *gpuPanes) drawEventsBox(height int, loc *time.Location) string {
	st := p.styles
	lines := []string{st.title.render("EVENTS") + st.muted.render("  errors and warnings first · e: the full log")}
	evs := p.frame.visibleEvents()
	for _, ev := range pinnedEvents(evs, height-3) {
		lines = append(lines, st.eventLine(ev, loc))
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

	lines = append(lines, p.cardTitle(g, inner))

	f := &g.Fast
	valW := 15
	avail := inner - 5 - valW - 1
	barW, sparkW := avail, 0
	if avail >= 20 { // even a narrow card keeps its history, in coarser cells
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
		s := st.muted.on(fit(label, 4)) + " " + st.bar(fr, ok, barW, meaningOf(m)) + " " + fitRight(value, valW)
		if sparkW > 0 {
			p.spark = g.hist.bucketMax(p.spark, m, end, sparkBucketFor(sparkW), sparkW)
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

	clocks := st.muted.render("SM ") + fmtMHz(f.ClockSM) + st.muted.render("  MEM ") + fmtMHz(f.ClockMem) +
		"  " + fmtPState(f.PState) + st.muted.render("  FAN ") + fmtPct(f.FanPercent)
	if right := p.clocksRight(g, clocks, sparkW > 0, inner); right != "" {
		clocks = spread(clocks, right, inner)
	}
	lines = append(lines, clocks)
	if g.Health.State != model.Healthy {
		lines = append(lines, st.verdictBadge(g.Verdict)+" "+st.healthReason(g.Health))
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

// cardTitle is "GPU 3 RTX 4090 … 18:00.0  ✖ FAIL thermal": the badge is
// never cut; the bus id goes first, then the name is shortened.
func (p *gpuPanes) cardTitle(g *gpuFrame, inner int) string {
	st := p.styles
	badge := st.verdictBadge(g.Verdict)
	bus := st.muted.render(shortBus(g.Info.BusID))
	title := st.title.render("GPU "+strconv.Itoa(g.Info.Index)) + " " + st.bold.render(shortName(g.Info.Name))
	bw, tw := textWidth(badge), textWidth(title)
	if tw+1+textWidth(bus)+2+bw <= inner {
		return spread(title, bus+"  "+badge, inner)
	}
	return fit(title, max(inner-bw-1, 0)) + " " + badge
}

// clocksRight is the right end of a card's clocks line: the PCIe/NVLink
// traffic (signals.go) and the graphs' time scale, the same in every
// layout, as much of both as fits beside clocks.
func (p *gpuPanes) clocksRight(g *gpuFrame, clocks string, graphs bool, inner int) string {
	st := p.styles
	traffic := st.cardTraffic(g)
	room := inner - textWidth(clocks) - 1
	var labels []string
	if graphs {
		labels = []string{"graphs: last " + sparkSpanLabel, "graphs " + sparkSpanLabel, sparkSpanLabel}
	}
	// Both when they fit; else the span (the graphs need it); else traffic.
	if traffic != "" {
		for _, l := range labels {
			if right := traffic + "  " + st.muted.render(l); textWidth(right) <= room {
				return right
			}
		}
	}
	for _, l := range labels {
		if textWidth(l) <= room {
			return st.muted.render(l)
		}
	}
	return traffic
}

// meaningOf is what a full bar of metric m means.
func meaningOf(m metric) barMeaning {
	switch m {
	case metricMem:
		return meanCapacity
	case metricTemp:
		return meanHeat
	}
	return meanBusy
}

// sparkBucket is the time one sparkline cell covers at the widest: one
// second, each cell the maximum of that second's samples.
const sparkBucket = int64(1e9)

// sparkSpan is the history every pane's sparkline covers, whatever its
// width: a narrower graph has coarser cells, not a shorter past.
const (
	sparkSpan      = int64(60e9)
	sparkSpanLabel = "60s"
)

// sparkBucketFor is the time one cell covers when width cells show
// sparkSpan (at least sparkBucket).
func sparkBucketFor(width int) int64 {
	if width <= 0 {
		return sparkBucket
	}
	return max((sparkSpan+int64(width)-1)/int64(width), sparkBucket)
}

// spread places left and right at the two ends of width cells; when they do
// not fit, right is dropped before left is cut.
func spread(left, right string, width int) string {
	lw, rw := textWidth(left), textWidth(right)
	if lw+1+rw > width {
		return fit(left, width)
	}
	return left + strings.Repeat(" ", width-lw-rw) + right
}

// gpuCol is one column of the compact GPU table: its layout and its cell.
type gpuCol struct {
	tableCol
	cell func(g *gpuFrame) string
}

// columns are the compact table's columns, most important first in Keep;
// the table component drops the rest when the terminal is narrow.
func (p *gpuPanes) columns(width int) []gpuCol {
	st := p.styles
	// The status column is as wide as the widest badge: a verdict is never cut.
	statusW := 6
	for i := range p.frame.GPUs {
		statusW = max(statusW, textWidth(p.frame.GPUs[i].Verdict.Text()))
	}
	statusW = min(statusW, 24)
	// The throttle column holds e.g. "!HWSLOW THERM" when there is room.
	throttleW := 8
	if width >= 100 {
		throttleW = 16
	}
	col := func(title string, w int, right bool, keep int, cell func(g *gpuFrame) string) gpuCol {
		return gpuCol{tableCol{Title: title, Width: w, Right: right, Keep: keep}, cell}
	}
	name := col("NAME", 10, false, 0, func(g *gpuFrame) string { return shortName(g.Info.Name) })
	name.Grow = 10
	throttle := col("THROTTLE", throttleW, false, 2, func(g *gpuFrame) string {
		if g.Health.State != model.Healthy {
			return st.fail.render(g.Health.Reason)
		}
		return st.throttleTags(g.Fast.ThrottleReasons)
	})
	throttle.Grow = -1
	return []gpuCol{
		col("#", 2, true, 0, func(g *gpuFrame) string { return strconv.Itoa(g.Info.Index) }),
		name,
		col("BUS", 7, false, 6, func(g *gpuFrame) string { return st.muted.render(shortBus(g.Info.BusID)) }),
		col("MEMORY", 15, true, 0, func(g *gpuFrame) string { return fmtGiB(g.Fast.MemUsed, g.memTotal()) }),
		col("", 10, false, 4, func(g *gpuFrame) string {
			f, ok := frac(g.Fast.MemUsed, g.memTotal())
			return st.bar(f, ok, 10, meanCapacity)
		}),
		col("UTIL", 4, true, 0, func(g *gpuFrame) string { return fmtPct(g.Fast.UtilGPU) }),
		col("", 10, false, 5, func(g *gpuFrame) string {
			f, ok := frac(g.Fast.UtilGPU, model.Some[uint32](100))
			return st.bar(f, ok, 10, meanBusy)
		}),
		col("BW", 4, true, 1, func(g *gpuFrame) string { return fmtPct(g.Fast.UtilMem) }),
		col("POWER", 11, true, 0, func(g *gpuFrame) string { return fmtWatts(g.Fast.PowerDraw, g.Fast.PowerLimit) }),
		col("TEMP", 8, true, 0, func(g *gpuFrame) string { return fmtTemp(g.Fast.TempGPU, g.Info.TempSlowdown) }),
		col("SM CLK", 8, true, 3, func(g *gpuFrame) string { return fmtMHz(g.Fast.ClockSM) }),
		col("P", 3, false, 3, func(g *gpuFrame) string { return fmtPState(g.Fast.PState) }),
		// History in the table too: a compact sparkline over the same span
		// as the cards', its span in the title.
		col("UTIL "+sparkSpanLabel, 12, false, 2, func(g *gpuFrame) string {
			p.spark = g.hist.bucketMax(p.spark, metricUtil, p.frame.end(g), sparkBucketFor(12), 12)
			return st.spark.on(sparkline(p.spark, 100))
		}),
		col("STATUS", statusW, false, 0, func(g *gpuFrame) string { return st.verdictBadge(g.Verdict) }),
		throttle,
	}
}

func (p *gpuPanes) rowsView() string {
	width := p.width - 1 // one cell for the focus marker
	gcols := p.columns(width)
	cols := make([]tableCol, len(gcols))
	for i, c := range gcols {
		cols[i] = c.tableCol
	}
	keep, widths := tableLayout(cols, width)
	st := p.styles
	migBudget := p.height - 1 - p.count() // spare rows for MIG sub-rows (signals.go)
	var b strings.Builder
	b.WriteString(" " + tableHeader(st, cols, keep, widths, -1, ""))
	cells := make([]string, len(keep))
	for gi := range p.frame.GPUs {
		g := &p.frame.GPUs[gi]
		b.WriteString("\n")
		focused := p.active && gi == p.focused
		marker := " "
		if focused {
			marker = st.accent.render("›")
		}
		var line string
		if g.Health.State == model.Lost || g.Health.State == model.Failed {
			// The readings of a lost GPU are history; its row says what
			// happened instead, after its number and name.
			line = marker + tableRow(cols, keep[:2], widths[:2], []string{gcols[keep[0]].cell(g), gcols[keep[1]].cell(g)}) +
				" " + st.verdictBadge(g.Verdict) + " " + st.healthReason(g.Health)
		} else {
			for k, i := range keep {
				cells[k] = gcols[i].cell(g)
			}
			line = marker + tableRow(cols, keep, widths, cells)
		}
		if focused {
			line = st.selectedRow(line)
		}
		b.WriteString(line)
		b.WriteString(st.migRows(g, p.width, &migBudget))
	}
	return b.String()
}
