package themes

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

func TestGet(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantErr bool
	}{
		{"", Default, false},
		{"dark", "dark", false},
		{"LIGHT", "light", false},
		{"mono", "mono", false},
		{"solarized", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Get(tt.name)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Get(%q) = %v, want error", tt.name, got.Name)
				}
				for _, n := range Names() {
					if !strings.Contains(err.Error(), n) {
						t.Errorf("error %q does not list valid theme %q", err, n)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Get(%q): %v", tt.name, err)
			}
			if got.Name != tt.want {
				t.Errorf("Get(%q).Name = %q, want %q", tt.name, got.Name, tt.want)
			}
		})
	}
}

func TestResolveNoColor(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		name, theme string
		env         map[string]string
		want        string
		wantErr     bool
	}{
		{"no env", "dark", nil, "dark", false},
		{"NO_COLOR forces mono", "dark", map[string]string{"NO_COLOR": "1"}, "mono", false},
		{"empty NO_COLOR is unset", "light", map[string]string{"NO_COLOR": ""}, "light", false},
		{"typo still an error", "drak", map[string]string{"NO_COLOR": "1"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.theme, env(tt.env))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got.Name != tt.want {
				t.Errorf("got %q, want %q", got.Name, tt.want)
			}
		})
	}
}

// Mono must carry the bar level by glyph, since colour carries nothing.
func TestMonoCarriesLevelsByGlyph(t *testing.T) {
	m, _ := Get("mono")
	g := m.BarGlyphs
	seen := map[rune]bool{g.Low: true, g.Mid: true, g.High: true, g.Empty: true}
	if len(seen) != 4 {
		t.Fatalf("mono bar glyphs not distinct: %+v", g)
	}
	if !m.Mono {
		t.Error("mono theme not marked Mono")
	}
	for _, c := range []lipgloss.TerminalColor{m.OK, m.Warn, m.Fail, m.Accent} {
		if _, ok := c.(lipgloss.NoColor); !ok {
			t.Errorf("mono theme has a colour: %v", c)
		}
	}
}

func TestEveryThemeFillsEveryRole(t *testing.T) {
	for _, n := range Names() {
		th, _ := Get(n)
		roles := []lipgloss.TerminalColor{th.Text, th.Muted, th.Accent, th.Border, th.OK, th.Warn,
			th.Fail, th.BarLow, th.BarMid, th.BarHigh, th.HeaderFg, th.HeaderBg, th.SelectedBg}
		for i, r := range roles {
			if r == nil {
				t.Errorf("theme %s: role %d is nil", n, i)
			}
		}
		if th.BarGlyphs.Empty == 0 || th.BarGlyphs.High == 0 {
			t.Errorf("theme %s: bar glyphs unset", n)
		}
	}
}

func TestNextCycles(t *testing.T) {
	start := Default
	seen := map[string]bool{}
	n := start
	for range Names() {
		seen[n] = true
		n = Next(n)
	}
	if n != start || len(seen) != len(Names()) {
		t.Errorf("Next does not cycle through every theme: seen %v, ended at %q", seen, n)
	}
	if Next("nope") != Names()[0] {
		t.Error("Next of an unknown name should restart the cycle")
	}
}
