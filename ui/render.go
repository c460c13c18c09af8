package ui

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/gputop/gputop/model"
)

// na is how every unavailable value is shown. It is never 0: "the card
// reports 0 W" and "the card does not report power" must look different.
const na = model.NotAvailable

// fmtGiB is model.FormatMemory ("45.2/79.6 GiB").
func fmtGiB(used, total model.Opt[uint64]) string { return model.FormatMemory(used, total) }

// fmtBytes renders a byte count with a binary unit ("512 MiB", "1.5 GiB").
func fmtBytes(b model.Opt[uint64]) string {
	if !b.OK {
		return na
	}
	switch v := float64(b.V); {
	case v >= gib:
		return strconv.FormatFloat(v/gib, 'f', 1, 64) + " GiB"
	case v >= 1<<20:
		return strconv.FormatFloat(v/(1<<20), 'f', 0, 64) + " MiB"
	case v >= 1<<10:
		return strconv.FormatFloat(v/(1<<10), 'f', 0, 64) + " KiB"
	}
	return strconv.FormatUint(b.V, 10) + " B"
}

// fmtPct is model.FormatPercent ("67%").
func fmtPct(p model.Opt[uint32]) string { return model.FormatPercent(p) }

// fmtWatts is model.FormatPower ("412/700 W").
func fmtWatts(draw, limit model.Opt[uint32]) string { return model.FormatPower(draw, limit) }

// fmtTemp is model.FormatTemp ("54/87°C").
func fmtTemp(t, slowdown model.Opt[int32]) string { return model.FormatTemp(t, slowdown) }

// fmtMHz renders a clock ("1980 MHz").
func fmtMHz(c model.Opt[uint32]) string {
	if !c.OK {
		return na
	}
	return strconv.FormatUint(uint64(c.V), 10) + " MHz"
}

// fmtPState renders a performance state ("P0").
func fmtPState(p model.Opt[int]) string {
	if !p.OK {
		return "P-state " + na
	}
	return "P" + strconv.Itoa(p.V)
}

// fmtDuration renders a short duration with a sensible unit ("8.9µs", "20.7ms").
func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
}

// frac returns v/limit clamped to [0,1], and false when either is unknown
// or the limit is not positive.
func frac[T uint32 | int32 | uint64](v, limit model.Opt[T]) (float64, bool) {
	if !v.OK || !limit.OK || limit.V <= 0 {
		return 0, false
	}
	f := float64(v.V) / float64(limit.V)
	return math.Max(0, math.Min(1, f)), true
}

// Bar levels: low is "in use", mid "worth a look", high "a fault".
const (
	levelLow = iota
	levelMid
	levelHigh
)

// barMeaning is what a full bar means, which decides its colour: a busy GPU
// (utilisation, bandwidth, power at its cap) is doing its job, not failing.
type barMeaning int

const (
	meanBusy     barMeaning = iota // never a fault: one colour at any level
	meanCapacity                   // memory: nearly full is worth a look
	meanHeat                       // temperature against the slowdown threshold
)

func levelOf(f float64, m barMeaning) int {
	switch m {
	case meanCapacity:
		if f >= 0.9 {
			return levelMid
		}
	case meanHeat:
		switch {
		case f >= 1: // at or past the slowdown temperature
			return levelHigh
		case f >= 0.9:
			return levelMid
		}
	}
	return levelLow
}

// bar draws a horizontal bar of width cells filled to f (0..1), coloured by
// what its level means. An unknown value (ok=false) draws an empty track so
// a missing reading never looks like a zero one next to its "N/A" label.
func (s *Styles) bar(f float64, ok bool, width int, m barMeaning) string {
	if width <= 0 {
		return ""
	}
	g := s.Theme.BarGlyphs
	if !ok {
		return s.barEmpty.on(strings.Repeat(string(g.Empty), width))
	}
	filled := int(math.Round(f * float64(width)))
	if f > 0 && filled == 0 {
		filled = 1 // anything above zero is visible
	}
	filled = min(filled, width)
	fill, st := g.Low, s.barLow
	switch levelOf(f, m) {
	case levelMid:
		fill, st = g.Mid, s.barMid
	case levelHigh:
		fill, st = g.High, s.barHigh
	}
	return st.on(strings.Repeat(string(fill), filled)) + s.barEmpty.on(strings.Repeat(string(g.Empty), width-filled))
}

var sparkRunes = []rune(" ▁▂▃▄▅▆▇█")

// sparkline draws one cell per value scaled against top. NaN (no sample in
// that bucket, or unavailable) is a blank; any positive value shows at least
// the lowest block so activity is never invisible.
func sparkline(values []float32, top float64) string {
	var b strings.Builder
	for _, v := range values {
		b.WriteRune(sparkCell(float64(v), top, 1, 0))
	}
	return b.String()
}

// sparkCell picks the block for value v in row `row` (0 = bottom) of a chart
// `rows` high.
func sparkCell(v, top float64, rows, row int) rune {
	if math.IsNaN(v) || top <= 0 {
		return ' '
	}
	levels := float64(rows * 8)
	h := math.Round(math.Max(0, math.Min(1, v/top)) * levels)
	if v > 0 && h == 0 {
		h = 1
	}
	cell := int(h) - row*8
	switch {
	case cell <= 0:
		if row == 0 && v <= 0 {
			return sparkRunes[1] // a true zero reads as a floor, not a gap
		}
		return ' '
	case cell >= 8:
		return sparkRunes[8]
	}
	return sparkRunes[cell]
}

// chart draws values as a bar chart `rows` high, returning the rows top
// first; every row is len(values) cells wide.
func chart(values []float32, top float64, rows int) []string {
	out := make([]string, 0, rows)
	for r := rows - 1; r >= 0; r-- {
		var b strings.Builder
		for _, v := range values {
			b.WriteRune(sparkCell(float64(v), top, rows, r))
		}
		out = append(out, b.String())
	}
	return out
}

// maxOf returns the largest non-NaN value, or NaN when there is none.
func maxOf(values []float32) float32 {
	m := nan32
	for _, v := range values {
		if v == v && (m != m || v > m) {
			m = v
		}
	}
	return m
}

// textWidth is lipgloss.Width, fast for what this UI draws. lipgloss.Width
// splits s into grapheme clusters and looks each one up, which was most of
// a frame's cost; almost every line here is ASCII, SGR colour sequences and
// the narrow box, block and arrow glyphs in narrowRunes, each of which is
// one cluster one cell wide, so they are counted directly. Anything else
// (a newline, another escape sequence, a wide or combining character, a
// rune outside the BMP) is measured by lipgloss.Width after all, so the
// result is the same for every string (width_test.go checks it).
func textWidth(s string) int {
	w := 0
	var narrow *[1 << 16 / 64]uint64
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] < 0x7f {
				j++
			}
			w += j - i
			i = j
		case c == 0x1b:
			// CSI: ESC [ parameter bytes, one final byte; zero cells.
			j := i + 1
			if j >= len(s) || s[j] != '[' {
				return lipgloss.Width(s)
			}
			for j++; j < len(s) && s[j] >= 0x30 && s[j] <= 0x3f; j++ {
			}
			if j >= len(s) || s[j] < 0x40 || s[j] > 0x7e {
				return lipgloss.Width(s)
			}
			i = j + 1
		case c >= 0xc2 && c < 0xf0:
			// Two- and three-byte UTF-8 decoded in place: the glyphs sit on
			// every line, and the rune table only holds valid BMP runes.
			var r rune
			size := 2
			if c < 0xe0 {
				if i+1 >= len(s) || s[i+1]&0xc0 != 0x80 {
					return lipgloss.Width(s)
				}
				r = rune(c&0x1f)<<6 | rune(s[i+1]&0x3f)
			} else {
				if i+2 >= len(s) || s[i+1]&0xc0 != 0x80 || s[i+2]&0xc0 != 0x80 {
					return lipgloss.Width(s)
				}
				r = rune(c&0x0f)<<12 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f)
				if r < 0x800 {
					return lipgloss.Width(s) // overlong: not the rune it decodes to
				}
				size = 3
			}
			if narrow == nil {
				narrow = narrowRunes()
			}
			if narrow[r>>6]&(1<<(r&63)) == 0 {
				return lipgloss.Width(s)
			}
			w++
			i += size
		default:
			return lipgloss.Width(s)
		}
	}
	return w
}

// narrowCandidates are the blocks the UI's glyphs come from (Latin-1 signs
// like ° and µ, punctuation like … and ›, arrows, box drawing, blocks,
// geometric shapes, dingbats). Only the runes in them that pass the test
// in narrowRunes are counted directly.
var narrowCandidates = [][2]rune{{0xa1, 0x24f}, {0x2010, 0x205e}, {0x2070, 0x20cf}, {0x2100, 0x27bf}, {0x2900, 0x2bff}}

// narrowRunes is a bit per BMP rune: set when lipgloss.Width counts the
// rune as one cell alone, after an ASCII letter, before one, and twice in a
// row, i.e. it is one cell and never joins a neighbour into one grapheme
// cluster (it is no combining mark, joiner, prepended or emoji-presentation
// character). Built on first use from lipgloss itself, so it follows the
// width tables of whatever version is linked.
var narrowRunes = sync.OnceValue(func() *[1 << 16 / 64]uint64 {
	var set [1 << 16 / 64]uint64
	for _, c := range narrowCandidates {
		for r := c[0]; r <= c[1]; r++ {
			g := string(r)
			if lipgloss.Width(g) == 1 && lipgloss.Width("a"+g) == 2 && lipgloss.Width(g+"a") == 2 &&
				lipgloss.Width(g+g) == 2 {
				set[r>>6] |= 1 << (r & 63)
			}
		}
	}
	return &set
})

func isNarrowRune(r rune) bool {
	return r >= 0 && r < 1<<16 && narrowRunes()[r>>6]&(1<<(r&63)) != 0
}

// fit truncates s (which may carry ANSI styling) to width cells and pads it
// with spaces to exactly width, so columns line up and nothing wraps.
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := textWidth(s)
	if w > width {
		s = ansi.Truncate(s, width, "…")
		w = textWidth(s)
	}
	if w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// fitRight is fit with the text aligned right.
func fitRight(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := textWidth(s)
	if w > width {
		s = ansi.Truncate(s, width, "…")
		w = textWidth(s)
	}
	if w < width {
		s = strings.Repeat(" ", width-w) + s
	}
	return s
}

// fitBlock makes s exactly width x height cells: lines cut or padded, rows
// cut or added. Every screen goes through it last, so no size can make the
// terminal wrap or scroll.
func fitBlock(s string, width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	if isBlock(s, width, height) {
		return s // already exact, as every pane's view is: nothing to copy
	}
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = fit(l, width)
	}
	return strings.Join(lines, "\n")
}

// isBlock reports whether s is exactly height lines of exactly width cells.
func isBlock(s string, width, height int) bool {
	n := 0
	for line := range strings.SplitSeq(s, "\n") {
		if n++; n > height || textWidth(line) != width {
			return false
		}
	}
	return n == height
}

// boxed draws content in a border with one cell of padding each side so
// that the whole is exactly width x height cells. It draws the border itself
// rather than through lipgloss, which would measure every line again: the
// content is already cut to size, and measuring dominates a frame's cost.
func boxed(box Box, content string, width, height int) string {
	if width < 4 || height < 2 {
		return fitBlock(content, width, height)
	}
	b := box.Border
	left, right := box.edge.render(b.Left)+" ", " "+box.edge.render(b.Right)
	top := box.edge.render(b.TopLeft + strings.Repeat(b.Top, width-2) + b.TopRight)
	bottom := box.edge.render(b.BottomLeft + strings.Repeat(b.Bottom, width-2) + b.BottomRight)
	body := fitBlock(content, width-4, height-2)
	var out strings.Builder
	out.Grow(len(top) + len(bottom) + len(body) + (height-1)*(len(left)+len(right)+1))
	out.WriteString(top)
	for l := range strings.SplitSeq(body, "\n") {
		out.WriteByte('\n')
		out.WriteString(left)
		out.WriteString(l)
		out.WriteString(right)
	}
	out.WriteByte('\n')
	out.WriteString(bottom)
	return out.String()
}

// joinColumns places blocks side by side. Every block must already be
// exactly as high as the first and the same width on every line (what
// fitBlock and boxed return), so no measuring is needed.
func joinColumns(blocks ...string) string {
	if len(blocks) == 0 {
		return ""
	}
	split := make([][]string, len(blocks))
	size := 0
	for i, b := range blocks {
		split[i] = strings.Split(b, "\n")
		size += len(b)
	}
	var out strings.Builder
	out.Grow(size)
	for row := range split[0] {
		if row > 0 {
			out.WriteByte('\n')
		}
		for _, lines := range split {
			if row < len(lines) {
				out.WriteString(lines[row])
			}
		}
	}
	return out.String()
}

// fitRows cuts or pads s to exactly height lines without measuring them.
func fitRows(s string, height int) string {
	if height <= 0 {
		return ""
	}
	if strings.Count(s, "\n") == height-1 {
		return s
	}
	lines := strings.SplitN(s, "\n", height+1)
	if len(lines) > height {
		lines = lines[:height]
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// shortBus is model.FormatBusID ("18:00.0").
func shortBus(bus string) string { return model.FormatBusID(bus) }

// shortName drops the brand words NVIDIA puts before the model
// ("NVIDIA GeForce RTX 4090" -> "RTX 4090", "Tesla T4" -> "T4"), so that a
// narrow column still tells an RTX 4090 from an RTX 5090.
func shortName(name string) string {
	for _, brand := range []string{"NVIDIA ", "GeForce ", "Tesla ", "Quadro "} {
		name = strings.TrimPrefix(name, brand)
	}
	return name
}

// throttleTags renders the active throttle reasons as short tags, faults
// marked "!" and in the fail colour so they read as faults without colour.
// Idle is left out: an idle GPU is not being held back.
func (s *Styles) throttleTags(reasons model.Opt[uint64]) string {
	if !reasons.OK {
		return s.muted.render(na)
	}
	var tags []string
	for _, r := range model.ThrottleReasons {
		if reasons.V&r.Bit == 0 || r.Bit == model.ThrottleIdle {
			continue
		}
		if r.Fault {
			tags = append(tags, s.fail.render("!"+r.Tag))
		} else {
			tags = append(tags, s.warn.render(r.Tag))
		}
	}
	if len(tags) == 0 {
		return s.muted.render("none")
	}
	return strings.Join(tags, " ")
}

// verdictBadge is a GPU's verdict as glyph + word + reason, coloured by
// level: the same words in the card, the table, the zoom and the report.
func (s *Styles) verdictBadge(v model.Verdict) string {
	switch v.Level {
	case model.VerdictOK, "":
		return s.okBadge
	case model.VerdictWarn, model.VerdictStale:
		return s.warn.render(v.Text())
	}
	return s.fail.render(v.Text())
}

// healthReason is why a GPU cannot be read, muted ("" when it can).
func (s *Styles) healthReason(h model.Health) string {
	if h.State == model.Healthy || h.Reason == "" {
		return ""
	}
	return s.muted.render(h.Reason)
}

// memo is one cached rendering and the inputs it was drawn from: frames
// arrive with every sample, but most parts of the screen change far less
// often than that.
type memo[K comparable] struct {
	key K
	ok  bool
	val string
}

// get returns the cached string when key matches, else draws and keeps it.
func (m *memo[K]) get(key K, draw func() string) string {
	if !m.ok || m.key != key {
		m.key, m.val, m.ok = key, draw(), true
	}
	return m.val
}
