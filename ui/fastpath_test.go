package ui

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/themes"
	"github.com/muesli/termenv"
)

// widthPieces are what the random strings are built from: the UI's own
// glyphs and colour sequences, ASCII, and the things the fast path must
// hand back to lipgloss: wide, emoji, combining, joiners, variation
// selectors, other escape sequences, control characters, broken UTF-8.
var widthPieces = []string{
	"a", "Z", "0", " ", "%", "/", "~",
	"█", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "░", "▒", "─", "│", "╭", "╮", "╰", "╯", "━", "┃", "┏", "═", "║", "╔", "┤",
	"°", "µ", "…", "✔", "✖", "▲", "○", "●", "◌", "◂", "›", "·", "↻", "→", "←", "↑", "↓",
	"\x1b[0m", "\x1b[1m", "\x1b[7m", "\x1b[38;2;97;175;239m", "\x1b[48;5;236m", "\x1b[?25l", "\x1b[",
	"\x1b]8;;http://x\x07", "\x1b]0;t\x1b\\", "\x1bP1$r\x1b\\", "\x1b7", "\x1b",
	"日", "本", "ｗ", "😀", "👍🏽", "👨‍👩‍👧", "🇩🇪", "❤️", "✔️", "▶", "▶\ufe0f", "⌚", "⬛", "◽",
	"e\u0301", "\u0301", "\u200d", "\ufe0f", "\u200b", "\u00ad", "\u0600", "\u0915\u093f", "\u1100\u1161",
	"\n", "\t", "\r", "\x7f", "\x00", "\x9b", "\xff", "\xe2\x94", "\ufffd",
	"\xe0\x82\xb0", "\xc0\xb0", "\xc1\xbf", "\xed\xa0\x80", "\xc2", "\xe2", "\xf0\x9f\x98", "\xc2\xb0", "\xe2\x96\x88",
}

func TestTextWidthMatchesLipgloss(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(s string) {
		t.Helper()
		want := lipgloss.Width(s)
		if got := textWidth(s); got != want {
			t.Fatalf("textWidth(%q) = %d, lipgloss.Width = %d", s, got, want)
		}
		if !strings.Contains(s, "\n") {
			if w := ansi.StringWidth(s); w != want {
				t.Fatalf("ansi.StringWidth(%q) = %d, lipgloss.Width = %d", s, w, want)
			}
		}
	}
	for _, p := range widthPieces {
		check(p)
		check("x" + p + "x")
	}
	for range 200000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(widthPieces[r.IntN(len(widthPieces))])
		}
		check(b.String())
	}
	// Every rune the fast path counts itself, in every position.
	for _, c := range narrowCandidates {
		for ru := c[0]; ru <= c[1]; ru++ {
			g := string(ru)
			for _, s := range []string{g, "a" + g + "b", g + g + g, "\x1b[1m" + g + "\x1b[0m", g + "\u0301", g + "\ufe0f", "👍" + g} {
				check(s)
			}
		}
	}
}

// TestTextWidthFastPath guards the point of textWidth: what the UI draws
// must not fall back to lipgloss.
func TestTextWidthFastPath(t *testing.T) {
	for _, s := range []string{"█", "▁", "░", "°", "µ", "…", "✔", "✖", "▲", "○", "●", "◌", "◂", "›", "·", "↻", "→", "╭", "━", "═"} {
		if !isNarrowRune([]rune(s)[0]) {
			t.Errorf("%q is not on the fast path", s)
		}
	}
	for _, s := range []string{"日", "\u0301", "\u200d", "\ufe0f", "⌚", "⬛", "◽"} {
		if isNarrowRune([]rune(s)[0]) {
			t.Errorf("%q is on the fast path but is not one cell on its own", s)
		}
	}
}

func BenchmarkTextWidth(b *testing.B) {
	line := "\x1b[38;2;92;99;112mMEM\x1b[0m  \x1b[38;2;152;195;121m████████\x1b[0m\x1b[38;2;62;68;81m░░░░░░░░\x1b[0m 45.2/79.6 GiB ▁▂▃▄▅▆▇█"
	b.Run("textWidth", func(b *testing.B) {
		for b.Loop() {
			_ = textWidth(line)
		}
	})
	b.Run("lipgloss", func(b *testing.B) {
		for b.Loop() {
			_ = lipgloss.Width(line)
		}
	})
}

// TestPaintRenderIsLipgloss checks the pre-rendered styles against
// lipgloss itself, in every theme and colour profile, including the
// strings render hands to lipgloss (tabs, line breaks) and the empty one.
func TestPaintRenderIsLipgloss(t *testing.T) {
	defer lipgloss.SetColorProfile(termenv.Ascii)
	inputs := []string{"", " ", "x", "GPU 0", "● ok", "a\tb", "a\nb", "a\r\nb", "\x1b[1mx\x1b[0m y", "日本 ✔"}
	for _, prof := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
		lipgloss.SetColorProfile(prof)
		for _, name := range themes.Names() {
			th, _ := themes.Get(name)
			st := NewStyles(th)
			for _, tc := range []struct {
				name  string
				p     paint
				style lipgloss.Style
			}{
				{"title", st.title, st.Title}, {"bold", st.bold, st.Bold}, {"accent", st.accent, st.Accent},
				{"text", st.text, st.Text}, {"ok", st.ok, st.OK}, {"warn", st.warn, st.Warn}, {"fail", st.fail, st.Fail},
				{"muted", st.muted, st.Muted}, {"header", st.header, st.Header},
				{"headerBadge", st.headerBadge, st.HeaderBadge}, {"selected", st.selected, st.Selected},
				{"pane", st.Pane.edge, st.Pane.Style}, {"focused", st.PaneFocused.edge, st.PaneFocused.Style},
				{"lost", st.PaneLost.edge, st.PaneLost.Style},
			} {
				for _, s := range inputs {
					if got, want := tc.p.render(s), tc.style.Render(s); got != want {
						t.Errorf("profile %d, theme %s, %s: render(%q) = %q, lipgloss %q", prof, name, tc.name, s, got, want)
					}
				}
			}
		}
	}
}

// TestViewCachesFollowTheirInputs changes, one at a time, everything the
// cached panes (checks, events box, footer) show, and checks that every
// screen is what drawing from scratch gives, and that an unchanged pane is
// served from its cache.
func TestViewCachesFollowTheirInputs(t *testing.T) {
	m := screen(t, 1, 200, 50, nil)
	defer m.cancel()
	src := m.cfg.Source.(*fakeSource)
	fresh := func() string {
		// What an empty cache draws.
		saved, savedKey := m.frame.drawn, m.checks.viewKey
		m.frame.drawn, m.checks.viewKey = drawCache{}, checksViewKey{}
		v := m.draw()
		m.frame.drawn, m.checks.viewKey = saved, savedKey
		return v
	}
	changed := func(r []model.CheckResult) []model.CheckResult {
		r[1].Evidence = "BAR1 512 MiB < 79.6 GiB framebuffer"
		return r
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"same results again", func() { drive(m, liveChecksMsg{gen: m.checks.gen, results: sampleChecks()}) }},
		{"results changed", func() { drive(m, liveChecksMsg{gen: m.checks.gen, results: changed(sampleChecks())}) }},
		{"focus to checks", func() { drive(m, press("tab")) }},
		{"selection down", func() { drive(m, press("down")) }},
		{"fix panel", func() { drive(m, press("enter")) }},
		{"fix panel scrolled", func() { drive(m, press("down")) }},
		{"fix panel closed", func() { drive(m, press("esc")) }},
		{"theme", func() { drive(m, press("t")) }},
		{"footer cleared", func() { drive(m, clearFooterMsg{id: m.footer.id}) }},
		{"event", func() {
			src.emit(model.Event{Time: model.TimestampOf(t0), Kind: model.EventHealth, Severity: model.SevWarn,
				Message: "GPU 0 throttled"})
			m.refresh()
		}},
		{"resize", func() { drive(m, winSize(180, 45)) }},
		{"rerun", func() { m.Update(press("r")) }},
		{"rerun failed", func() {
			drive(m, checksDoneMsg{gen: m.checks.gen, err: errors.New("probe nvml: permission denied")})
		}},
		{"focus back", func() { drive(m, press("tab")) }},
	}
	prev := m.View()
	for _, s := range steps {
		s.do()
		m.viewValid = false
		got, want := m.View(), fresh()
		if got != want {
			t.Fatalf("after %s: cached screen differs from a fresh one\n%s\n---\n%s", s.name, got, want)
		}
		if s.name != "same results again" && s.name != "fix panel scrolled" && got == prev {
			t.Errorf("after %s: the screen did not change", s.name)
		}
		prev = got
	}
	// Unchanged: the checks pane comes from its cache, not a new string.
	a, b := m.checks.View(), m.checks.View()
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("an unchanged checks pane was drawn again")
	}
}

// TestBucketMaxCacheIsScan feeds histories (one whose ring wraps) random
// points, with gaps, unavailable values and long pauses, and after every
// batch compares the cached bucket maxima with a plain scan for several
// series, bucket sizes, widths and ends (live, ahead and a replay cursor).
func TestBucketMaxCacheIsScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, capacity := range []int{historyCapacity, 300, 40} {
		h := &history{ring: model.NewRing[point](capacity)}
		ts := int64(t0.UnixNano())
		for batch := range 400 {
			for range r.IntN(30) {
				switch r.IntN(50) {
				case 0:
					ts += int64(r.IntN(5000)) * 1e9 // a long pause
				case 1:
					ts += 1 // two samples a nanosecond apart
				default:
					ts += int64(1+r.IntN(400)) * 1e6
				}
				v := float32(r.IntN(1000)) / 7
				if r.IntN(10) == 0 {
					v = nan32
				}
				h.ring.Push(point{T: model.Timestamp(ts), Util: v, Power: v * 3, Temp: float32(r.IntN(90))})
			}
			if h.ring.Len() == 0 {
				continue
			}
			newest := h.ring.At(h.ring.Len() - 1).T
			for _, m := range []metric{metricUtil, metricPower, metricTemp} {
				for _, bucket := range []int64{1e9, 250e6, 3e9, 1e9 + int64(r.IntN(40))*7e6} {
					for _, width := range []int{1, 30, 90, 120, maxesKept + 5} {
						for _, end := range []model.Timestamp{newest, newest + 1e9, newest - model.Timestamp(r.IntN(20e9))} {
							got := h.bucketMax(nil, m, end, bucket, width)
							want := make([]float32, width)
							for i := range want {
								want[i] = nan32
							}
							want = h.scanMax(want, m, end, bucket, width)
							if !sameFloats(got, want) {
								t.Fatalf("capacity %d batch %d metric %d bucket %d width %d end %d:\ncache %v\nscan  %v",
									capacity, batch, m, bucket, width, end, got, want)
							}
						}
					}
				}
			}
		}
	}
}

func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && (a[i] == a[i] || b[i] == b[i]) {
			return false
		}
	}
	return true
}
