// Package themes holds gputop's colour themes. Colours are named by the role
// they play (OK, Warn, Fail, Muted...) rather than by hue, so the UI never
// picks a colour itself and a theme can change every colour in one place.
// Every piece of information a colour carries is also carried by a glyph or
// a word, which is what makes the "mono" theme (and NO_COLOR) lossless.
package themes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// Default is the theme used when none is named.
const Default = "dark"

// Theme is a set of semantic colour roles. An empty colour (lipgloss.NoColor)
// means "the terminal's default".
type Theme struct {
	Name string

	Text   lipgloss.TerminalColor // ordinary values
	Muted  lipgloss.TerminalColor // labels, units, unavailable values
	Accent lipgloss.TerminalColor // focus, selection, titles
	Border lipgloss.TerminalColor // unfocused pane borders

	OK   lipgloss.TerminalColor
	Warn lipgloss.TerminalColor
	Fail lipgloss.TerminalColor

	// Bar gradient: the colour of a bar's fill by how full it is.
	BarLow  lipgloss.TerminalColor
	BarMid  lipgloss.TerminalColor
	BarHigh lipgloss.TerminalColor

	HeaderFg lipgloss.TerminalColor
	HeaderBg lipgloss.TerminalColor
	// SelectedBg highlights the selected row of a list.
	SelectedBg lipgloss.TerminalColor
	// Background is painted behind the whole screen (NoColor: the
	// terminal's own). A light theme needs its own: its dark text would be
	// unreadable on a dark terminal, and a light terminal's default is not
	// always light enough for its pale borders.
	Background lipgloss.TerminalColor

	// Mono is true when colour carries nothing; the UI then draws bars with
	// a fill character per level (BarGlyphs) so the gradient survives.
	Mono bool
	// BarGlyphs are the fill characters for low, mid and high levels, and
	// the empty character.
	BarGlyphs BarGlyphs
}

// BarGlyphs are the characters a bar is drawn with.
type BarGlyphs struct {
	Low, Mid, High, Empty rune
}

var colourBars = BarGlyphs{Low: '█', Mid: '█', High: '█', Empty: '░'}

// monoBars make the fill itself say how full a bar is: a light shade is
// comfortable, a solid block is near the limit.
var monoBars = BarGlyphs{Low: '░', Mid: '▒', High: '█', Empty: '·'}

var builtin = map[string]Theme{
	"dark": {
		Name:       "dark",
		Text:       lipgloss.Color("252"),
		Muted:      lipgloss.Color("243"),
		Accent:     lipgloss.Color("111"),
		Border:     lipgloss.Color("238"),
		OK:         lipgloss.Color("78"),
		Warn:       lipgloss.Color("221"),
		Fail:       lipgloss.Color("203"),
		BarLow:     lipgloss.Color("78"),
		BarMid:     lipgloss.Color("221"),
		BarHigh:    lipgloss.Color("203"),
		HeaderFg:   lipgloss.Color("231"),
		HeaderBg:   lipgloss.Color("24"),
		SelectedBg: lipgloss.Color("237"),
		Background: lipgloss.NoColor{},
		BarGlyphs:  colourBars,
	},
	"light": {
		Name:       "light",
		Text:       lipgloss.Color("235"),
		Muted:      lipgloss.Color("245"),
		Accent:     lipgloss.Color("26"),
		Border:     lipgloss.Color("250"),
		OK:         lipgloss.Color("28"),
		Warn:       lipgloss.Color("130"),
		Fail:       lipgloss.Color("160"),
		BarLow:     lipgloss.Color("34"),
		BarMid:     lipgloss.Color("172"),
		BarHigh:    lipgloss.Color("160"),
		HeaderFg:   lipgloss.Color("231"),
		HeaderBg:   lipgloss.Color("25"),
		SelectedBg: lipgloss.Color("252"),
		Background: lipgloss.Color("255"),
		BarGlyphs:  BarGlyphs{Low: '█', Mid: '█', High: '█', Empty: '░'},
	},
	"mono": {
		Name:       "mono",
		Text:       lipgloss.NoColor{},
		Muted:      lipgloss.NoColor{},
		Accent:     lipgloss.NoColor{},
		Border:     lipgloss.NoColor{},
		OK:         lipgloss.NoColor{},
		Warn:       lipgloss.NoColor{},
		Fail:       lipgloss.NoColor{},
		BarLow:     lipgloss.NoColor{},
		BarMid:     lipgloss.NoColor{},
		BarHigh:    lipgloss.NoColor{},
		HeaderFg:   lipgloss.NoColor{},
		HeaderBg:   lipgloss.NoColor{},
		SelectedBg: lipgloss.NoColor{},
		Background: lipgloss.NoColor{},
		Mono:       true,
		BarGlyphs:  monoBars,
	},
}

// Names lists the built-in themes, sorted.
func Names() []string {
	names := make([]string, 0, len(builtin))
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the named theme. An empty name is the default theme.
func Get(name string) (Theme, error) {
	if name == "" {
		name = Default
	}
	t, ok := builtin[strings.ToLower(name)]
	if !ok {
		return Theme{}, fmt.Errorf("unknown theme %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	return t, nil
}

// Resolve is Get that honours the NO_COLOR convention (https://no-color.org):
// when NO_COLOR is set to a non-empty value the mono theme is used whatever
// was asked, because the user has said colour must not be relied on. An
// unknown name is still an error so a typo is not hidden by NO_COLOR.
// getenv is os.Getenv in the program, a map lookup in tests.
func Resolve(name string, getenv func(string) string) (Theme, error) {
	t, err := Get(name)
	if err != nil {
		return Theme{}, err
	}
	if getenv != nil && getenv("NO_COLOR") != "" {
		return builtin["mono"], nil
	}
	return t, nil
}

// Next returns the name of the theme after name in Names(), wrapping round;
// the UI's `t` key cycles with it.
func Next(name string) string {
	names := Names()
	for i, n := range names {
		if n == name {
			return names[(i+1)%len(names)]
		}
	}
	return names[0]
}
