package ui

import (
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
)

// zoomView is one GPU full screen: tall graphs over the whole history and
// the slow-tier details (PCIe, ECC, row remapping, processes).
type zoomView struct {
	*common
	size
	gpu    int
	values []float32
}

func newZoomView(c *common) *zoomView { return &zoomView{common: c} }

// Update takes the GPU to show from the root (showGPUMsg); the keys that
// step between GPUs are the root's, which keeps the GPU panes' focus along.
func (z *zoomView) Update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(showGPUMsg); ok {
		z.gpu = msg.gpu
	}
	return nil
}

// GPU is the index of the GPU shown.
func (z *zoomView) GPU() int { return z.gpu }

func (z *zoomView) ShortHelp() []key.Binding { return []key.Binding{z.keys.Back} }
func (z *zoomView) FullHelp() [][]key.Binding {
	next := z.keys.Right
	next.SetHelp("←/→ tab", "previous / next GPU")
	return [][]key.Binding{{next, z.keys.Back}}
}

// zoomSpan is the history the zoomed graphs cover.
const zoomSpan = int64(120e9)

func (z *zoomView) View() string {
	if z.gpu < 0 || z.gpu >= len(z.frame.GPUs) || z.width < 20 || z.height < 4 {
		return fitBlock("", z.width, z.height)
	}
	g := &z.frame.GPUs[z.gpu]
	st := z.styles
	inner, innerH := z.width-4, z.height-2

	title := st.title.render("GPU "+strconv.Itoa(g.Info.Index)) + " " + st.bold.render(g.Info.Name) + "  " +
		st.muted.render(shortBus(g.Info.BusID)) + "  " + st.verdictBadge(g.Verdict)
	if r := st.healthReason(g.Health); r != "" {
		title += " " + r
	}
	if fc, peak := z.watch.forecast(z.gpu); inner-textWidth(title) > 30 {
		// The load watch: growth, forecast and peak since the reset (z).
		title = spread(title, renderForecast(fc, peak, min(inner-textWidth(title)-2, 70), st), inner)
	}

	detailsW := 0
	switch {
	case inner >= 150:
		detailsW = 60
	case inner >= 110:
		detailsW = 46
	}
	chartsW := inner
	if detailsW > 0 {
		chartsW = inner - detailsW - 2
	}
	var body string
	if detailsW > 0 {
		slow, procs := z.details(g, detailsW)
		graphsH := innerH - 1
		left := fitBlock(strings.Join(z.graphs(g, chartsW, graphsH), "\n"), chartsW, graphsH)
		right := fitBlock(strings.Join(append(append(slow, ""), procs...), "\n"), detailsW, graphsH)
		body = joinColumns(left, fitBlock("", 2, graphsH), right)
	} else {
		// Narrow: graphs on top, then the details and the processes side
		// by side when both fit, else one under the other.
		var below []string
		if inner >= 76 {
			half := inner / 2
			slow, procs := z.details(g, inner-half-1)
			h := max(len(slow), len(procs))
			below = strings.Split(joinColumns(fitBlock(strings.Join(slow, "\n"), half, h), fitBlock("", 1, h),
				fitBlock(strings.Join(procs, "\n"), inner-half-1, h)), "\n")
		} else {
			slow, procs := z.details(g, inner)
			below = append(append(slow, ""), procs...)
		}
		below = below[:min(len(below), innerH/2)]
		graphs := z.graphs(g, inner, max(innerH-1-len(below), 0))
		body = strings.Join(append(graphs, below...), "\n")
	}
	box := st.PaneFocused
	if g.Health.State == model.Lost || g.Health.State == model.Failed {
		box = st.PaneLost
	}
	return boxed(box, title+"\n"+body, z.width, z.height)
}

// graphs draws one labelled chart per metric into width x height cells.
func (z *zoomView) graphs(g *gpuFrame, width, height int) []string {
	st := z.styles
	f := &g.Fast
	type series struct {
		label, now string
		m          metric
		top        float64
		unit       string
	}
	all := []series{
		{"UTIL", fmtPct(f.UtilGPU), metricUtil, 100, "%"},
		{"MEM", fmtGiB(f.MemUsed, g.memTotal()), metricMem, float64(g.memTotal().V) / gib, " GiB"},
		{"POWER", fmtWatts(f.PowerDraw, f.PowerLimit), metricPower, float64(f.PowerLimit.V) / 1000, " W"},
		{"TEMP", fmtTemp(f.TempGPU, g.Info.TempSlowdown), metricTemp, float64(g.Info.TempSlowdown.Or(100)), "°C"},
		{"SM CLK", fmtMHz(f.ClockSM), metricClockSM, float64(g.Info.ClockMaxSM.V), " MHz"},
		{"MEM CLK", fmtMHz(f.ClockMem), metricClockMem, float64(g.Info.ClockMaxMem.V), " MHz"},
	}
	// Each series takes a label line plus chart rows; drop series from the
	// end when even one row each does not fit.
	n := min(len(all), height/2)
	if n <= 0 {
		return nil
	}
	rows := max((height/n)-1, 1)
	// A gutter on the left says what the chart's top and bottom mean.
	const gutter = 11
	plotW := width
	if width >= 40 && rows >= 2 {
		plotW = width - gutter
	}
	bucket := max((zoomSpan+int64(plotW)-1)/int64(max(plotW, 1)), int64(z.interval))
	end := z.frame.end(g)
	var out []string
	for _, s := range all[:n] {
		z.values = g.hist.bucketMax(z.values, s.m, end, bucket, plotW)
		top := s.top
		peak := maxOf(z.values)
		if top <= 0 || math.IsNaN(top) {
			top = float64(peak) // no known limit: scale to the window's peak
		}
		if peak == peak && float64(peak) > top {
			// Past the limit (a GPU above its slowdown temperature): the axis
			// grows so the value is drawn, not clipped at the limit.
			top = float64(peak)
		}
		topText := strconv.FormatFloat(top, 'f', decimals(s.unit), 64) + s.unit
		if math.IsNaN(top) {
			// No limit and no reading in the window: no scale to print
			// ("NaN MHz", issue 11).
			top, topText = 1, na
		}
		peakText := na
		if peak == peak {
			peakText = strconv.FormatFloat(float64(peak), 'f', decimals(s.unit), 64) + s.unit
		}
		head := st.muted.render(fit(s.label, 8)) + fit(s.now, 18) +
			st.muted.render("peak "+peakText+" over "+strconv.FormatInt((bucket*int64(plotW)+5e8)/1e9, 10)+"s")
		out = append(out, fit(head, width))
		for i, r := range chart(z.values, top, rows) {
			axis := ""
			if plotW < width {
				switch i {
				case 0:
					axis = topText
				case rows - 1:
					axis = "0"
				}
				axis = st.muted.render(fitRight(axis, gutter-2) + " ┤")
			}
			out = append(out, axis+st.spark.render(r))
		}
	}
	return out
}

func decimals(unit string) int {
	if unit == " GiB" {
		return 1
	}
	return 0
}

// details lists the slow-tier readings, and the processes in width cells.
func (z *zoomView) details(g *gpuFrame, width int) (slow, procs []string) {
	st := z.styles
	s := &g.Slow
	kv := func(k, v string) string { return st.muted.render(fit(k, 14)) + v }
	optInt := func(o model.Opt[int]) string {
		if !o.OK {
			return na
		}
		return strconv.Itoa(o.V)
	}
	optU64 := func(o model.Opt[uint64]) string {
		if !o.OK {
			return na
		}
		return strconv.FormatUint(o.V, 10)
	}
	optBool := func(o model.Opt[bool], yes, no string) string {
		if !o.OK {
			return na
		}
		if o.V {
			return yes
		}
		return no
	}
	mbps := func(o model.Opt[uint32]) string {
		if !o.OK {
			return na
		}
		return strconv.FormatFloat(float64(o.V)/1000, 'f', 1, 64) + " MB/s"
	}
	link := "Gen" + optInt(s.PCIeGen) + " x" + optInt(s.PCIeWidth)
	if g.Info.MaxPCIeGen.OK || g.Info.MaxPCIeWidth.OK {
		link += st.muted.render(" (max Gen" + optInt(g.Info.MaxPCIeGen) + " x" + optInt(g.Info.MaxPCIeWidth) + ")")
	}
	lines := []string{
		st.title.render("DETAILS"),
		kv("PCIe link", link),
		kv("PCIe TX / RX", mbps(s.PCIeTxKBps)+" / "+mbps(s.PCIeRxKBps)),
		kv("PCIe replays", optU64(s.PCIeReplays)),
		// NVML's buffered samples catch spikes shorter than the fast interval.
		kv("Peak (slow)", "power "+fmtWatts(s.PowerPeak, model.None[uint32]())+"  util "+fmtPct(s.UtilPeak)),
		kv("ECC", optBool(s.ECCEnabled, "enabled", "disabled")),
		kv("ECC volatile", "corr "+optU64(s.ECCVolatileCorrected)+"  uncorr "+optU64(s.ECCVolatileUncorrected)),
		kv("ECC aggregate", "uncorr "+optU64(s.ECCAggregateUncorrected)),
		kv("Row remap", "corr "+optInt(s.RowRemapCorrectable)+"  uncorr "+optInt(s.RowRemapUncorrectable)),
		kv("Remap pending", optBool(s.RowRemapPending, "yes", "no")+"  failed "+optBool(s.RowRemapFailure, "yes", "no")),
		kv("Persistence", optBool(s.Persistence, "on", "off")),
		kv("Compute mode", computeMode(s.ComputeMode)),
		kv("MIG", optBool(model.Opt[bool]{V: s.MIGCurrent.V == 1, OK: s.MIGCurrent.OK}, "enabled", "disabled")),
		kv("Throttle", st.throttleTags(g.Fast.ThrottleReasons)),
	}
	lines = append(lines, st.signalLines(g, kv)...) // hardware signals (signals.go)
	procs = []string{st.title.render("PROCESSES") + st.muted.render(" "+strconv.Itoa(len(s.Processes)))}
	if len(s.Processes) == 0 {
		procs = append(procs, st.muted.render("none"))
	} else {
		procs = append(procs, st.muted.render(fitRight("PID", 7)+" "+fit("USER", 8)+" "+fitRight("MEM", 9)+" COMMAND"))
	}
	for _, pr := range s.Processes {
		user, cmd := pr.User, pr.Command
		if cmd == "" {
			cmd = pr.Name
		}
		if !pr.Resolved {
			user, cmd = "?", st.muted.render("(not visible from this namespace)")
		}
		procs = append(procs, fit(fitRight(strconv.FormatUint(uint64(pr.PID), 10), 7)+" "+fit(user, 8)+" "+
			fitRight(fmtBytes(pr.UsedMemory), 9)+" "+st.migTag(pr)+cmd, width)) // migTag: mig.go
	}
	return lines, procs
}

func computeMode(o model.Opt[int]) string {
	if !o.OK {
		return na
	}
	switch o.V {
	case 0:
		return "default"
	case 1:
		return "exclusive thread"
	case 2:
		return "prohibited"
	case 3:
		return "exclusive process"
	}
	return strconv.Itoa(o.V)
}
