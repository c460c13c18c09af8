package procmem

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// A status file as Linux 6.x writes it (trimmed), and damaged lines.
const statusText = `Name:	gputop
Umask:	0022
State:	S (sleeping)
Tgid:	4242
Pid:	4242
Uid:	1000	1000	1000	1000
FDSize:	64
VmPeak:	 1261372 kB
VmHWM:	   41236 kB
VmRSS:	   40112 kB
RssAnon:	   11868 kB
RssFile:	   28244 kB
RssShmem:	       0 kB
Threads:	9
SigQ:	0/514595
SigBlk:	0000000000000000
Cpus_allowed:	ffff
Cpus_allowed_list:	0-15
voluntary_ctxt_switches:	1523
nonvoluntary_ctxt_switches:	17
`

func TestParseStatus(t *testing.T) {
	st := ParseStatus([]byte(statusText))
	want := map[string]int64{
		"Tgid": 4242, "Pid": 4242, "Uid": 1000, "FDSize": 64,
		"VmPeak": 1261372, "VmHWM": 41236, "VmRSS": 40112, "RssAnon": 11868,
		"RssFile": 28244, "RssShmem": 0, "Threads": 9,
		"voluntary_ctxt_switches": 1523, "nonvoluntary_ctxt_switches": 17,
	}
	for k, v := range want {
		if got, ok := st[k]; !ok || got != v {
			t.Errorf("%s = %d, %v; want %d", k, got, ok, v)
		}
	}
	// Not decimal integers: left out rather than misread (Umask is octal,
	// SigBlk hexadecimal).
	for _, k := range []string{"Name", "State", "Umask", "SigQ", "SigBlk", "Cpus_allowed", "Cpus_allowed_list"} {
		if v, ok := st[k]; ok {
			t.Errorf("%s read as %d", k, v)
		}
	}
}

func TestParseStatusMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       Status
	}{
		{"empty", "", Status{}},
		{"no colon", "VmHWM 123 kB\n", Status{}},
		{"no value", "VmHWM:\nRssAnon:\t \n", Status{}},
		{"not a number", "VmHWM:\tlots kB\n", Status{}},
		{"negative kept", "X:\t-5\n", Status{"X": -5}},
		{"zero kept", "RssShmem:\t0 kB\n", Status{"RssShmem": 0}},
		{"zero-padded mask", "CapEff:\t0000000000000000\nUmask:\t0022\n", Status{}},
		{"overflow", "VmHWM:\t99999999999999999999 kB\n", Status{}},
		{"empty name", ":\t12\n", Status{}},
		{"no final newline", "VmHWM:\t7 kB", Status{"VmHWM": 7}},
		{"CRLF", "VmHWM:\t7 kB\r\n", Status{"VmHWM": 7}},
		{"first wins", "VmHWM:\t7 kB\nVmHWM:\t9 kB\n", Status{"VmHWM": 7}},
		{"bad line among good", "RssAnon:\t1 kB\ngarbage\x00\x1b[2J\nRssFile:\t2 kB\n", Status{"RssAnon": 1, "RssFile": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseStatus([]byte(tc.text)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// An smaps file (trimmed): a file mapping, an anonymous one, a kernel
// name, a path with spaces that was deleted.
const smapsText = `55d0c8a00000-55d0c8c4e000 r-xp 00000000 fd:01 1312838                    /usr/bin/gputop
Size:               2360 kB
Rss:                1024 kB
Pss:                1024 kB
VmFlags: rd ex mr mw me dw sd
7f3c2a000000-7f3c2a021000 rw-p 00000000 00:00 0 
Size:                132 kB
Rss:                  12 kB
Anonymous:            12 kB
VmFlags: rd wr mr mw me nr sd
55d0c9e1f000-55d0c9e40000 rw-p 00000000 00:00 0                          [heap]
Rss:                   8 kB
7f3c2b000000-7f3c2b400000 r--s 00000000 00:05 4711                       /tmp/my lib.so (deleted)
Rss:                4096 kB
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
Size:                  4 kB
`

func TestParseSmaps(t *testing.T) {
	got, err := ParseSmaps(strings.NewReader(smapsText))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mapping{
		{"55d0c8a00000-55d0c8c4e000", "r-xp", "/usr/bin/gputop", 1024},
		{"7f3c2a000000-7f3c2a021000", "rw-p", Anon, 12},
		{"55d0c9e1f000-55d0c9e40000", "rw-p", "[heap]", 8},
		{"7f3c2b000000-7f3c2b400000", "r--s", "/tmp/my lib.so (deleted)", 4096},
		{"ffffffffff600000-ffffffffff601000", "--xp", "[vsyscall]", 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseSmapsMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []Mapping
	}{
		{"empty", "", nil},
		{"Rss before any mapping", "Rss: 12 kB\n", nil},
		{"header too short", "7f00-7f10 rw-p 00000000 00:00\nRss: 4 kB\n", nil},
		{"not hex", "7g00-7f10 rw-p 00000000 00:00 0\nRss: 4 kB\n", nil},
		{"no dash", "7f007f10 rw-p 00000000 00:00 0\nRss: 4 kB\n", nil},
		{"half a range", "-7f10 rw-p 00000000 00:00 0\n", nil},
		{"field line with five words", "VmFlags: rd ex mr mw\n", nil},
		{"bad Rss", "7f00-7f10 rw-p 0 00:00 0\nRss: x kB\nRss:\n", []Mapping{{"7f00-7f10", "rw-p", Anon, 0}}},
		{"Rss belongs to the last header", "7f00-7f10 rw-p 0 00:00 0 /a\n7f10-7f20 r--p 0 00:00 0 /b\nRss: 3 kB\n",
			[]Mapping{{"7f00-7f10", "rw-p", "/a", 0}, {"7f10-7f20", "r--p", "/b", 3}}},
		{"tabs and no final newline", "7f00-7f10\trw-p\t0\t00:00\t0\t/a\nRss:\t5 kB", []Mapping{{"7f00-7f10", "rw-p", "/a", 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSmaps(strings.NewReader(tc.text))
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseSmapsReadError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := ParseSmaps(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
}

// This process's own files: the kernel's format, read end to end.
func TestReadSelf(t *testing.T) {
	st, err := ReadStatus("/proc/self/status")
	if err != nil {
		t.Skip(err) // not Linux
	}
	if st["Pid"] != int64(os.Getpid()) || st["VmHWM"] <= 0 || st["RssAnon"] <= 0 {
		t.Errorf("Pid %d VmHWM %d RssAnon %d (pid %d)", st["Pid"], st["VmHWM"], st["RssAnon"], os.Getpid())
	}
	maps, err := ReadSmaps("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	var total, self int64
	for _, m := range maps {
		total += m.RssKB
		if m.Name == exe {
			self += m.RssKB
		}
	}
	if total <= 0 || self <= 0 {
		t.Errorf("%d mappings, %d kB resident, %d kB of them from %s", len(maps), total, self, exe)
	}
	if _, err := ReadStatus("/proc/self/no-such-file"); err == nil {
		t.Error("no error for a missing file")
	}
	if _, err := ReadSmaps("/proc/self/no-such-file"); err == nil {
		t.Error("no error for a missing file")
	}
}
