package model

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeSnapshot feeds the loader damaged and hostile snapshots. It
// must never panic; it fails with one line; and what it accepts it can
// write back and read again unchanged (so an accepted file is also one
// replay and the report can use).
//
//	go test -run='^$' -fuzz=FuzzDecodeSnapshot -fuzztime=10s -fuzzminimizetime=1000x ./model/
//
// Without the -fuzzminimizetime bound (make fuzz sets it) the fuzzer
// spends up to 60 s shrinking each new input, and a mutant of the valid
// seed below takes all of that: a 10 s run then stops fuzzing after a few
// hundred execs. See the Makefile.
func FuzzDecodeSnapshot(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input it finds, and a
	// large seed makes that take most of a short CI run.
	in := testInput()
	in.GPUs = testRecords(1, 200*time.Millisecond, 100*time.Millisecond)
	in.Checks, in.Events = in.Checks[:2], in.Events[1:] // none names GPU 1
	valid := encode(f, NewSnapshot(in))
	seeds := [][]byte{
		valid,
		gzipBytes(f, valid),
		valid[:len(valid)/3],
		valid[:len(valid)-2],
		[]byte(`{"schema":"gputop.snapshot/v1"}`),
		[]byte(`{"schema":"gputop.snapshot/v1","gpus":[{"index":0,"samples":[{"t":"2026-11-21T07:53:00Z","temp_gpu":41,"mem_used":null}]}]}`),
		[]byte(`{"schema":"gputop.snapshot/v1","gpus":[{"index":0,"health":{"state":"lost"},"slow_samples":[{"t":"2026-11-21T07:53:00Z","processes":[{"pid":1,"gpu":0}]}]}],"checks":[{"id":"a","status":"fail","gpu":0}],"events":[{"t":null,"gpu":0}]}`),
		[]byte(`{"schema":"gputop.snapshot/v2"}`),
		[]byte(`{"schema":"gputop.snapshot/v99999999999999999999"}`),
		[]byte(`{"schema":"gputop.snapshot/v1","interval":"-5m","created":"0001-01-01T00:00:00Z"}`),
		[]byte(`{"schema":"gputop.snapshot/v1","gpus":[{"index":0,"samples":[{"t":"9999-12-31T23:59:59Z"},{"t":"1970-01-01T00:00:00.000000001Z"}]}]}`),
		[]byte(`[{"schema":"gputop.snapshot/v1"}]`),
		[]byte("\x1f\x8b\x08\x00garbage"),
		[]byte(`{"schema":"gputop.snapshot/v1","gpus":[` + string(bytes.Repeat([]byte(`{"index":1},`), 3)) + `{}]}`),
		{},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := DecodeSnapshot(bytes.NewReader(data), 1<<20)
		if err != nil {
			checkOneLine(t, err)
			return
		}
		var buf bytes.Buffer
		if err := snap.WriteJSON(&buf); err != nil {
			t.Fatalf("accepted snapshot does not encode: %v", err)
		}
		again, err := DecodeSnapshot(&buf, 0)
		if err != nil {
			t.Fatalf("accepted snapshot, written back, is refused: %v", err)
		}
		if !reflect.DeepEqual(normalizeForCompare(again), normalizeForCompare(snap)) {
			t.Fatalf("accepted snapshot changes when written back and read again")
		}
		if err := WriteMarkdown(&bytes.Buffer{}, snap); err != nil {
			t.Fatalf("report of an accepted snapshot: %v", err)
		}
	})
}

// normalizeForCompare erases differences that JSON cannot carry: an empty
// list and a missing one read back the same.
func normalizeForCompare(s *Snapshot) *Snapshot {
	c := *s
	c.Facts = Facts{} // opaque here; its owner tests its round trip
	return &c
}
