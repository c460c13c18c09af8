package host

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gputop/gputop/model/safe"
)

// TestResolveSanitisesProcessText: issue 11 item 1. Any local user chooses
// a GPU process's comm and arguments; escape sequences in them (an OSC 52
// clipboard write, a title change, leaving the alternate screen) must not
// reach the model, hence the terminal.
func TestResolveSanitisesProcessText(t *testing.T) {
	const evil = "\x1b]52;c;ZWNobyBQV05FRAo=\x07\x1b]0;PWNED\x07\x1b[?1049l\u009b2J\u202e"
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(1234, fakeProc{create: 1, name: "py" + evil, cmd: "python3 x.py\n--token abc " + evil, uid: 1000, files: GPUFilesOpen})
	r := NewResolver(Options{Source: tbl, LookupUser: func(uint32) (string, error) { return "bob" + evil, nil }, Now: clk.Now, RootDir: t.TempDir()})
	ps := nvml(1234)
	r.Resolve(ps)
	p := ps[0]
	for field, v := range map[string]string{"name": p.Name, "command": p.Command, "user": p.User} {
		if safe.HasEscape(v) || safe.HasBidiOrZeroWidth(v) || strings.Contains(v, "\n") {
			t.Errorf("%s = %q carries a control", field, v)
		}
	}
	if p.Name != "py" || p.User != "bob" || !strings.HasPrefix(p.Command, "python3 x.py --token abc") {
		t.Errorf("printable text lost: %+v", p)
	}
}

// TestResolveClipsHugeCommandLines: Linux allows about 2 MiB of arguments;
// a snapshot must stay under the loader's 64 KiB per string so that it
// opens again.
func TestResolveClipsHugeCommandLines(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(7, fakeProc{create: 1, name: "python3", cmd: "python3 " + strings.Repeat("é", 1<<20), uid: 1000, files: GPUFilesOpen})
	r := newTestResolver(t, tbl, clk)
	ps := nvml(7)
	r.Resolve(ps)
	if n := len(ps[0].Command); n > maxCmdline+len("…") || n < maxCmdline-4 || !utf8.ValidString(ps[0].Command) {
		t.Errorf("command line of %d bytes (valid UTF-8: %v)", n, utf8.ValidString(ps[0].Command))
	}
}
