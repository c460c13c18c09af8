package model

import (
	"encoding/json"
	"testing"
)

func TestOptJSONNullNeverZero(t *testing.T) {
	type row struct {
		Power Opt[uint32] `json:"p"`
	}
	b, _ := json.Marshal(row{})
	if string(b) != `{"p":null}` {
		t.Fatalf("unavailable encodes as %s, want null", b)
	}
	b, _ = json.Marshal(row{Power: Some[uint32](0)})
	if string(b) != `{"p":0}` {
		t.Fatalf("available zero encodes as %s", b)
	}
	var r row
	if err := json.Unmarshal([]byte(`{"p":null}`), &r); err != nil || r.Power.OK {
		t.Fatalf("null decodes to %+v, %v", r.Power, err)
	}
	if err := json.Unmarshal([]byte(`{"p":250000}`), &r); err != nil || !r.Power.OK || r.Power.V != 250000 {
		t.Fatalf("value decodes to %+v, %v", r.Power, err)
	}
}

func TestTimestampRejectsYearsUnixNanoCannotHold(t *testing.T) {
	var ts Timestamp
	for _, in := range []string{`"1500-01-01T00:00:00Z"`, `"2300-01-01T00:00:00Z"`} {
		if err := json.Unmarshal([]byte(in), &ts); err == nil {
			t.Errorf("%s accepted as %d", in, ts)
		}
	}
	if err := json.Unmarshal([]byte(`"2026-11-21T07:53:00Z"`), &ts); err != nil {
		t.Fatal(err)
	}
}

func TestCUDAVersionString(t *testing.T) {
	for in, want := range map[int]string{13000: "13.0", 12080: "12.8", 11040: "11.4", 12090: "12.9"} {
		if got := CUDAVersionString(in); got != want {
			t.Errorf("CUDAVersionString(%d) = %q, want %q", in, got, want)
		}
	}
}
