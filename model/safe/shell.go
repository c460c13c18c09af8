package safe

import (
	"errors"
	"fmt"
	"strings"
)

// Fix commands are shown for the user to copy and run, often as root. They
// are built only from templates written in gputop's source, with every value
// that came from the machine or a snapshot (a path, a variable name) shell-
// quoted. A value that cannot be quoted safely is refused, and so is the
// command: it is not offered.

// ErrUnquotable is returned for a value with a control character, a line
// break, invalid UTF-8, or a bidi/zero-width character (which would make the
// command read differently from what runs).
var ErrUnquotable = errors.New("value cannot be shell-quoted safely")

// Quote returns v quoted for a POSIX shell: unchanged when it consists of
// characters no shell treats specially, otherwise in single quotes (a single
// quote inside becomes '\”).
func Quote(v string) (string, error) {
	if v == "" {
		return "''", nil
	}
	if !IsClean(v) || HasBidiOrZeroWidth(v) {
		return "", fmt.Errorf("%w: %q", ErrUnquotable, v)
	}
	if shellPlain(v) {
		return v, nil
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'", nil
}

func shellPlain(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("/._-+,:@%=", c) >= 0:
		default:
			return false
		}
	}
	// "=" first would read as an assignment in some positions; "-" first
	// as an option: quoting does not help the latter, callers put "--".
	return v[0] != '='
}

// Cmd fills the "{}" placeholders of a trusted template, in order, with the
// shell-quoted values. It fails when the counts differ or a value cannot be
// quoted; the caller then offers no command.
func Cmd(template string, values ...string) (string, error) {
	if strings.Count(template, "{}") != len(values) {
		return "", fmt.Errorf("command template %q has %d placeholders for %d values",
			template, strings.Count(template, "{}"), len(values))
	}
	var b strings.Builder
	rest := template
	for _, v := range values {
		q, err := Quote(v)
		if err != nil {
			return "", err
		}
		i := strings.Index(rest, "{}")
		b.WriteString(rest[:i])
		b.WriteString(q)
		rest = rest[i+2:]
	}
	b.WriteString(rest)
	return b.String(), nil
}

// Cmds is Cmd for rules: the commands that could be built, skipping a
// template whose values cannot be quoted. Each entry is a template followed
// by its values.
func Cmds(entries ...[]string) []string {
	var out []string
	for _, e := range entries {
		if len(e) == 0 {
			continue
		}
		if c, err := Cmd(e[0], e[1:]...); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// CommandOK reports whether c may be offered for copying: one line, no
// control, escape, bidi or zero-width character. What the footer shows is
// then exactly what the clipboard gets.
func CommandOK(c string) bool {
	return c != "" && IsClean(c) && !HasBidiOrZeroWidth(c)
}
