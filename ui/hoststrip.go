package ui

import (
	"strconv"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/gputop/gputop/model"
)

// hostEvery is how often the host strip is read: the /proc reads are cheap,
// and load averages and memory do not move faster than a second matters.
//
// The read has no timer of its own while samples flow: it rides on the
// sample notification that arms a frame (hostIfDue), so the frame that draws
// the samples draws the host strip too. A timer of its own woke the program
// once more a second and drew a second frame (measured: docs/performance.md,
// "Fixed cost"). Only when no sample comes for hostEvery+frameEvery does the
// wait for samples give up and read the host (hostDueMsg).
const hostEvery = time.Second

// hostEarly: a sample this close before the host reading is due reads it
// (samples at a 1 s interval come every 1 s give or take a millisecond).
const hostEarly = frameEvery / 2

// hostReader reads the host strip; *host.Sampler is the real one.
type hostReader interface {
	Read() (model.HostStats, error)
}

// hostTickMsg carries one host reading. err names the parts that could not
// be read; those values are unavailable in stats, the rest is valid.
type hostTickMsg struct {
	stats model.HostStats
	err   error
}

// hostDueMsg: no sample came while the host reading fell due.
type hostDueMsg struct{}

// readHost reads the host stats now, in the command's goroutine: the /proc
// reads never run in Update or View.
func readHost(r hostReader) tea.Cmd {
	if r == nil {
		return nil
	}
	return func() tea.Msg {
		st, err := r.Read()
		return hostTickMsg{stats: st, err: err}
	}
}

// hostIfDue starts a host reading when one is due and none is in flight;
// exactly one read is pending at a time, so a slow /proc never piles reads
// up.
func (m *Model) hostIfDue() tea.Cmd {
	if m.cfg.Host == nil || m.hostArmed || m.now().Sub(m.hostAt) < hostEvery-hostEarly {
		return nil
	}
	return m.readHostNow()
}

// readHostNow starts a host reading.
func (m *Model) readHostNow() tea.Cmd {
	m.hostArmed, m.hostAt = true, m.now()
	return readHost(m.cfg.Host)
}

// hostWait is how long the wait for samples may last before the host
// reading is due without them (-1: no host strip).
func (m *Model) hostWait() time.Duration {
	if m.cfg.Host == nil {
		return -1
	}
	return max(m.hostAt.Add(hostEvery+frameEvery).Sub(m.now()), frameEvery)
}

// renderHostStrip draws the host strip in exactly width cells: CPU, load
// averages, RAM and swap. Parts that do not fit are left off from the end
// (swap first); unavailable values read N/A.
func renderHostStrip(hs model.HostStats, width int, s *Styles) string {
	if width <= 0 {
		return ""
	}
	label := func(l string) string { return s.muted.render(l + " ") }
	pct := func(o model.Opt[float64]) string {
		if !o.OK {
			return na
		}
		return strconv.FormatFloat(o.V, 'f', 0, 64) + "%"
	}
	load := func(o model.Opt[float64]) string {
		if !o.OK {
			return na
		}
		return strconv.FormatFloat(o.V, 'f', 2, 64)
	}
	ram, ramF, ramOK := fmtGiB(hs.MemUsed, hs.MemTotal), 0.0, false
	if f, ok := frac(hs.MemUsed, hs.MemTotal); ok {
		ramF, ramOK = f, true
	}
	loads := load(hs.Load1) + " " + load(hs.Load5) + " " + load(hs.Load15)
	if !hs.Load1.OK && !hs.Load5.OK && !hs.Load15.OK {
		loads = na // one N/A, not three
	}
	swap := fmtGiB(hs.SwapUsed, hs.SwapTotal)
	if hs.SwapTotal.OK && hs.SwapTotal.V == 0 {
		swap = "off" // no swap configured is not 0 of 0
	}
	cpuF := hs.CPUPercent.V / 100

	// With room to spare, CPU and RAM get a small bar each.
	barW := 0
	if width >= 110 {
		barW = 10
	}
	bar := func(f float64, ok bool, m barMeaning) string {
		if barW == 0 {
			return ""
		}
		return s.bar(f, ok, barW, m) + " "
	}
	parts := []string{
		s.title.render("HOST"),
		label("CPU") + bar(cpuF, hs.CPUPercent.OK, meanBusy) + levelStyle(s, cpuF, hs.CPUPercent.OK, meanBusy).render(pct(hs.CPUPercent)),
		label("load") + loads,
		label("RAM") + bar(ramF, ramOK, meanCapacity) + levelStyle(s, ramF, ramOK, meanCapacity).render(ram),
		label("swap") + swap,
	}
	line := parts[0]
	for _, p := range parts[1:] {
		next := line + "  " + p
		if lipgloss.Width(next) > width {
			break
		}
		line = next
	}
	return fit(line, width)
}

// levelStyle colours a reading by how close to its limit it is, like bars.
func levelStyle(s *Styles, f float64, ok bool, m barMeaning) paint {
	if !ok {
		return s.muted
	}
	switch levelOf(f, m) {
	case levelHigh:
		return s.fail
	case levelMid:
		return s.warn
	}
	return s.text
}
