package model

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func smallSnapshot() *Snapshot {
	in := testInput()
	in.GPUs = testRecords(2, time.Second, 100*time.Millisecond)
	return NewSnapshot(in)
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkOneLine asserts the property main relies on: a *SnapshotError whose
// text is one printable line.
func checkOneLine(t testing.TB, err error) {
	t.Helper()
	var se *SnapshotError
	if !errors.As(err, &se) {
		t.Fatalf("error %T (%v) is not a *SnapshotError", err, err)
	}
	msg := err.Error()
	if msg == "" || strings.ContainsAny(msg, "\n\r\x1b") || len(msg) > 1200 {
		t.Fatalf("error is not one short line: %q", msg)
	}
}

func TestDecodeSnapshotRejects(t *testing.T) {
	valid := encode(t, smallSnapshot())
	mutate := func(f func(s *Snapshot)) []byte {
		s := smallSnapshot()
		f(s)
		return encode(t, s)
	}
	tests := []struct {
		name  string
		input []byte
		limit int64
		kind  error
		want  string
	}{
		{"empty", nil, 0, ErrSnapshotNotJSON, "empty file"},
		{"blank", []byte(" \n\t"), 0, ErrSnapshotNotJSON, "empty file"},
		{"not JSON", []byte("hello world"), 0, ErrSnapshotNotJSON, "not JSON: invalid character 'h'"},
		{"csv", []byte("index,name\n0,H100\n"), 0, ErrSnapshotNotJSON, "not JSON"},
		{"NaN literal", bytes.Replace(valid, []byte(`"cpu_pct":104.5`), []byte(`"cpu_pct":NaN`), 1), 0, ErrSnapshotNotJSON, "not JSON"},
		{"trailing garbage", append(bytes.TrimSpace(bytes.Clone(valid)), "}x"...), 0, ErrSnapshotNotJSON, "after top-level value"},
		{"truncated early", valid[:20], 0, ErrSnapshotTrunc, "truncated JSON: the file ends in the middle of a value at byte 20"},
		{"truncated in the middle", valid[:len(valid)/2], 0, ErrSnapshotTrunc, "truncated"},
		{"truncated last byte", bytes.TrimSpace(valid)[:len(bytes.TrimSpace(valid))-1], 0, ErrSnapshotTrunc, "truncated"},
		{"truncated gzip", gzipBytes(t, valid)[:200], 0, ErrSnapshotTrunc, "truncated gzip"},
		{"array", []byte(`[1,2,3]`), 0, ErrNotSnapshot, "not a gputop snapshot (the JSON is array, not an object)"},
		{"number", []byte(`42`), 0, ErrNotSnapshot, "not an object"},
		{"null", []byte(`null`), 0, ErrNotSnapshot, `no "schema" field`},
		{"other JSON", []byte(`{"name":"x"}`), 0, ErrNotSnapshot, `no "schema" field`},
		{"schema not a string", []byte(`{"schema":1}`), 0, ErrNotSnapshot, `"schema" is not a string`},
		{"newer schema", []byte(`{"schema":"gputop.snapshot/v2","gpus":"changed"}`), 0, ErrSnapshotNewer,
			"schema gputop.snapshot/v2 is newer than this gputop understands (v1)"},
		{"other schema", []byte(`{"schema":"nvtop/v1"}`), 0, ErrNotSnapshot, `schema "nvtop/v1" is not one this gputop reads`},
		{"old schema", []byte(`{"schema":"gputop.snapshot/v0"}`), 0, ErrNotSnapshot, "not one this gputop reads"},
		{"hostile schema", []byte(`{"schema":"\u001b[31m` + strings.Repeat("x", 5000) + `"}`), 0, ErrNotSnapshot, `\x1b[31mxxx`},
		{"over the limit", valid, 100, ErrSnapshotTooLarge, "larger than 100 bytes after decompression; refused"},
		{"gzip over the limit", gzipBytes(t, valid), 100, ErrSnapshotTooLarge, "larger than 100 bytes"},
		{"negative memory", bytes.Replace(valid, []byte(`"mem_used":21474836480`), []byte(`"mem_used":-5`), 1), 0,
			ErrSnapshotInvalid, "field gpus.samples.mem_used: number -5 is not a valid uint64"},
		{"string for a number", bytes.Replace(valid, []byte(`"index":1`), []byte(`"index":"one"`), 1), 0,
			ErrSnapshotInvalid, "field gpus.index: string is not a valid int"},
		{"bad time", bytes.Replace(valid, []byte(`"t":"2026-11-21T07:53:00Z"`), []byte(`"t":"yesterday"`), 1), 0,
			ErrSnapshotInvalid, `timestamp "yesterday"`},
		{"bad interval", bytes.Replace(valid, []byte(`"interval":"100ms"`), []byte(`"interval":"fast"`), 1), 0,
			ErrSnapshotInvalid, "duration"},
		{"negative interval", mutate(func(s *Snapshot) { s.Interval = Duration(-time.Second) }), 0,
			ErrSnapshotInvalid, "interval: -1s is not a sampling interval"},
		{"too many GPUs", mutate(func(s *Snapshot) {
			for i := 2; i < 65; i++ {
				s.GPUs = append(s.GPUs, GPURecord{GPUInfo: GPUInfo{Index: i}})
			}
		}), 0, ErrSnapshotInvalid, "gpus: more than 64 GPUs; refused"},
		{"duplicate index", mutate(func(s *Snapshot) { s.GPUs[1].Index = 0 }), 0, ErrSnapshotInvalid, "gpus[1]: index 0 appears twice"},
		{"negative index", mutate(func(s *Snapshot) { s.GPUs[1].Index = -1 }), 0, ErrSnapshotInvalid, "gpus[1]: index -1 is negative"},
		{"long name", mutate(func(s *Snapshot) { s.GPUs[0].Name = strings.Repeat("H", 2000) }), 0,
			ErrSnapshotInvalid, "gpus[0].name: 2000 bytes of text; at most 1024 are read"},
		{"long host", mutate(func(s *Snapshot) { s.Host = strings.Repeat("h", 1025) }), 0, ErrSnapshotInvalid, "host: 1025 bytes of text"},
		{"util far over 100", mutate(func(s *Snapshot) { s.GPUs[0].Samples[3].UtilGPU = Some[uint32](250) }), 0,
			ErrSnapshotInvalid, "gpus[0].samples[3]: util_gpu 250% is impossible"},
		{"hot", mutate(func(s *Snapshot) { s.GPUs[1].Samples[2].TempGPU = Some[int32](900) }), 0,
			ErrSnapshotInvalid, "gpus[1].samples[2]: temp_gpu 900 °C is outside -50..200"},
		{"cold", mutate(func(s *Snapshot) { s.GPUs[1].Samples[2].TempMem = Some[int32](-100) }), 0,
			ErrSnapshotInvalid, "temp_mem -100 °C is outside"},
		{"shutdown threshold", mutate(func(s *Snapshot) { s.GPUs[0].TempShutdown = Some[int32](1000) }), 0,
			ErrSnapshotInvalid, "gpus[0]: temp_shutdown_c 1000"},
		{"power", mutate(func(s *Snapshot) { s.GPUs[0].Samples[0].PowerDraw = Some[uint32](math.MaxUint32) }), 0,
			ErrSnapshotInvalid, "power_mw 4294967 W is impossible"},
		{"pstate", mutate(func(s *Snapshot) { s.GPUs[0].Samples[0].PState = Some(99) }), 0, ErrSnapshotInvalid, "pstate 99"},
		{"out of order", mutate(func(s *Snapshot) {
			s.GPUs[0].Samples[4].Time, s.GPUs[0].Samples[5].Time = s.GPUs[0].Samples[5].Time, s.GPUs[0].Samples[4].Time
		}), 0, ErrSnapshotInvalid, "gpus[0].samples[5]: samples out of time order (2026-11-21T07:53:00.4Z before 2026-11-21T07:53:00.5Z)"},
		{"slow out of order", mutate(func(s *Snapshot) {
			s.GPUs[0].SlowSamples = append(s.GPUs[0].SlowSamples, s.GPUs[0].SlowSamples[0])
		}), 0, ErrSnapshotInvalid, "gpus[0].slow_samples[2]: samples out of time order"},
		{"no time", mutate(func(s *Snapshot) { s.GPUs[0].Samples[0].Time = 0 }), 0, ErrSnapshotInvalid, "gpus[0].samples[0]: no time"},
		{"too many processes", mutate(func(s *Snapshot) {
			s.Processes = make([]Process, MaxProcessesPerSample+1)
		}), 0, ErrSnapshotInvalid, "processes: more than 4096 processes; refused"},
		{"process on a missing GPU", mutate(func(s *Snapshot) { s.GPUs[0].SlowSamples[0].Processes[0].GPUIndex = 7 }), 0,
			ErrSnapshotInvalid, "gpus[0].slow_samples[0].processes[0]: refers to GPU 7; the snapshot has 2"},
		{"absurd cpu", mutate(func(s *Snapshot) { s.Processes[0].CPUPercent = Some(1e300) }), 0, ErrSnapshotInvalid, "cpu_pct 1e+300"},
		{"huge command", mutate(func(s *Snapshot) { s.Processes[0].Command = strings.Repeat("x", 70<<10) }), 0,
			ErrSnapshotInvalid, "processes[0].command: a string of more than 65536 bytes; refused"},
		{"bad status", mutate(func(s *Snapshot) { s.Checks[0].Status = "maybe" }), 0,
			ErrSnapshotInvalid, `checks[0]: status "maybe" is not pass, warn, fail or skip`},
		{"check on a missing GPU", mutate(func(s *Snapshot) { s.Checks[0].GPU = Some(9) }), 0, ErrSnapshotInvalid, "checks[0]: refers to GPU 9"},
		{"event on a missing GPU", mutate(func(s *Snapshot) { s.Events[0].GPU = Some(-1) }), 0, ErrSnapshotInvalid, "events[0]: refers to GPU -1"},
		{"too many toolkits", mutate(func(s *Snapshot) { s.Versions.Toolkit = make([]string, 300) }), 0,
			ErrSnapshotInvalid, "versions.toolkit: more than 256 entries; refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := DecodeSnapshot(bytes.NewReader(tc.input), tc.limit)
			if err == nil {
				t.Fatalf("decoded without error: %d GPUs", len(snap.GPUs))
			}
			checkOneLine(t, err)
			t.Log(err)
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q is not %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nlacks %q", err, tc.want)
			}
		})
	}
}

func TestDecodeSnapshotTooManySamples(t *testing.T) {
	// Built as text: a struct of 12,001 samples would take the test
	// longer to encode than the decoder takes to refuse it.
	var b strings.Builder
	b.WriteString(`{"schema":"gputop.snapshot/v1","gpus":[{"index":0,"samples":[`)
	for i := 0; i <= MaxSamplesPerGPU; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"t":"2026-11-21T07:53:00Z"}`)
	}
	b.WriteString(`]}]}`)
	_, err := DecodeSnapshot(strings.NewReader(b.String()), 0)
	if err == nil || !errors.Is(err, ErrSnapshotInvalid) || !strings.Contains(err.Error(), "gpus[0].samples: more than 12000 samples; refused") {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeSnapshotAccepts(t *testing.T) {
	valid := encode(t, smallSnapshot())
	for name, input := range map[string][]byte{
		"compact":  valid,
		"gzip":     gzipBytes(t, valid),
		"indented": mustIndent(t, valid),
		"unknown fields are ignored (added within v1)": bytes.Replace(valid, []byte(`{"schema"`), []byte(`{"future":{"x":[1]},"schema"`), 1),
		"minimal": []byte(`{"schema":"gputop.snapshot/v1"}`),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeSnapshot(bytes.NewReader(input), 0); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func mustIndent(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoadSnapshotFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, encode(t, smallSnapshot()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSnapshot(good); err != nil {
		t.Fatalf("LoadSnapshot(good): %v", err)
	}

	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"schema":"gputop.snapshot/v1","gpus":[`), 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size is refused from the file's metadata, before reading.
	if err := f.Truncate(MaxSnapshotBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()

	tests := []struct {
		path  string
		kind  error
		wants string
	}{
		{filepath.Join(dir, "missing.json"), fs.ErrNotExist, "missing.json: no such file"},
		{dir, ErrNotSnapshot, ": is a directory, not a snapshot file"},
		{broken, ErrSnapshotTrunc, "broken.json: truncated JSON"},
		{huge, ErrSnapshotTooLarge, "huge.json: file is 128.0 MiB; snapshots larger than 128.0 MiB are refused"},
		{"/dev/null", ErrNotSnapshot, "/dev/null: is not a regular file"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			_, err := LoadSnapshot(tc.path)
			if err == nil {
				t.Fatal("no error")
			}
			checkOneLine(t, err)
			if !strings.HasPrefix(err.Error(), tc.path+": ") {
				t.Errorf("error %q does not start with the path", err)
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.wants) {
				t.Errorf("error %q: want %v containing %q", err, tc.kind, tc.wants)
			}
		})
	}
}
