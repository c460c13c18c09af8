package model

import (
	"encoding/json"
	"fmt"
	"time"
)

// Timestamp is a wall-clock instant in Unix nanoseconds. It is used instead of
// time.Time inside samples because it holds no pointer: history rings of
// samples are then invisible to the garbage collector's scan, and copying a
// sample is a plain memory copy.
type Timestamp int64

// TimestampOf converts a time.Time.
func TimestampOf(t time.Time) Timestamp { return Timestamp(t.UnixNano()) }

// Now is the current time as a Timestamp.
func Now() Timestamp { return TimestampOf(time.Now()) }

// Time converts back to time.Time (UTC).
func (t Timestamp) Time() time.Time { return time.Unix(0, int64(t)).UTC() }

// IsZero reports whether the timestamp is unset.
func (t Timestamp) IsZero() bool { return t == 0 }

// Sub returns t-u as a duration.
func (t Timestamp) Sub(u Timestamp) time.Duration { return time.Duration(t - u) }

// MarshalJSON writes RFC 3339 with nanoseconds, readable by people and jq.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t == 0 {
		return jsonNull, nil
	}
	return json.Marshal(t.Time().Format(time.RFC3339Nano))
}

// UnmarshalJSON reads RFC 3339 (or null).
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	// UnixNano is defined for years 1678-2262 only; outside, it wraps.
	if y := v.Year(); y < 1678 || y > 2261 {
		return fmt.Errorf("timestamp %q: year %d is out of range", s, y)
	}
	*t = TimestampOf(v)
	return nil
}
