package ui

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
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
