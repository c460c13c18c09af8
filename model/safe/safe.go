// Package safe is gputop's one boundary for text that comes from outside:
// process names and command lines from /proc, strings NVML returns, file
// contents and command output the probes read, and every string of a
// snapshot someone sent. Such text reaches the operator's terminal, often
// as root, so it must not carry anything a terminal acts on.
//
// Line and Block make a string safe to draw: escape sequences (CSI, OSC,
// DCS, APC... in their 7-bit and 8-bit forms) are removed whole, remaining
// C0 and C1 controls and DEL are dropped, bidi overrides and isolates,
// zero-width and other format characters (Unicode category Cf) are removed,
// invalid UTF-8 becomes U+FFFD, and every printable character, wide ones
// included, is kept as it is. Line also turns line breaks and tabs into
// spaces; Block keeps "\n".
//
// Walk applies Line (or Block, for fields tagged `safe:"block"`) to every
// string reachable from a value; fields tagged `safe:"cmd"` hold commands
// a user may copy, and entries that are not safe to offer (see CommandOK)
// are dropped rather than repaired. Quote and Cmd build commands from a
// trusted template and shell-quoted values.
package safe

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Line returns s safe to draw on one line of a terminal.
func Line(s string) string { return clean(s, false) }

// Block returns s safe to draw in a terminal; "\n" is kept, "\r\n" and
// "\r" become "\n".
func Block(s string) string { return clean(s, true) }

// IsClean reports whether s is unchanged by Line: no control, escape, bidi
// or zero-width character, valid UTF-8.
func IsClean(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		if drop(r) || r == '\n' || r == '\t' || r == '\r' || r == 0x2028 || r == 0x2029 {
			return false
		}
		i += n
	}
	return true
}

func clean(s string, keepNewlines bool) string {
	if plain(s) {
		return s
	}
	if keepNewlines {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	// ansi.Strip removes complete escape sequences with their parameters
	// (so "ESC]52;c;...BEL" vanishes rather than leaving "]52;c;...").
	// It works on bytes: decode 8-bit C1 introducers written as UTF-8
	// (U+009B is CSI to some terminals) first so they are parsed too.
	s = ansi.Strip(c1ToESC(s))
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029:
			if keepNewlines {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		case r == '\t':
			b.WriteByte(' ')
		case drop(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// plain is the fast path: printable ASCII only.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// c1ToESC rewrites the C1 controls U+0080..U+009F (as UTF-8) to their 7-bit
// form ESC + (c-0x40), which ansi.Strip recognises as the start of a
// sequence.
func c1ToESC(s string) string {
	if !strings.Contains(s, "\xc2") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
			b.WriteByte(0x1b)
			b.WriteByte(s[i+1] - 0x40)
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// drop reports whether r is never drawn: C0, DEL, C1, and format characters
// (bidi embeddings, overrides and isolates, zero-width space/joiners, word
// joiner, BOM, soft hyphen, interlinear annotation...).
func drop(r rune) bool {
	switch {
	case r < 0x20 && r != '\n' && r != '\t' && r != '\r':
		return true
	case r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x2028 || r == 0x2029 || r == '\n' || r == '\t' || r == '\r':
		return false
	}
	return unicode.Is(unicode.Cf, r) || r == 0xFFF9 || r == 0xFFFA || r == 0xFFFB
}

// HasEscape reports whether s contains a byte a terminal may act on: ESC,
// any other C0 control but "\n", DEL, or a C1 control (as a raw byte or as
// UTF-8). Tests use it to assert that nothing foreign leaves a renderer.
func HasEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
		case c < 0x20 || c == 0x7f:
			return true
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f:
			return true
		}
	}
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			return true
		}
	}
	return false
}

// HasBidiOrZeroWidth reports whether s contains a format character (Cf):
// bidi overrides, isolates, zero-width characters.
func HasBidiOrZeroWidth(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}
