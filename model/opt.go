// Package model holds the plain data shared by every part of gputop: GPU
// identity, samples, processes, facts, check results and snapshots. It
// imports neither bubbletea nor NVML so that every layer can depend on it.
package model

import (
	"bytes"
	"encoding/json"
)

// Opt is a value that may be unavailable. Unavailable values are encoded as
// JSON null, never as 0, so that "the card reports 0 W" and "the card does not
// report power" stay distinguishable all the way into a snapshot.
//
// Opt is a plain value (no pointer) so that a Sample full of Opts can be
// filled in place on the sampler's hot path without allocating.
type Opt[T any] struct {
	V  T
	OK bool
}

// Some returns an available value.
func Some[T any](v T) Opt[T] { return Opt[T]{V: v, OK: true} }

// None returns an unavailable value.
func None[T any]() Opt[T] { return Opt[T]{} }

// Get returns the value and whether it is available.
func (o Opt[T]) Get() (T, bool) { return o.V, o.OK }

// Or returns the value, or def when it is unavailable.
func (o Opt[T]) Or(def T) T {
	if o.OK {
		return o.V
	}
	return def
}

// Set stores an available value.
func (o *Opt[T]) Set(v T) { o.V, o.OK = v, true }

// Clear marks the value unavailable.
func (o *Opt[T]) Clear() { var zero T; o.V, o.OK = zero, false }

var jsonNull = []byte("null")

// MarshalJSON encodes an unavailable value as null.
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if !o.OK {
		return jsonNull, nil
	}
	return json.Marshal(o.V)
}

// UnmarshalJSON decodes null as unavailable.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), jsonNull) {
		o.Clear()
		return nil
	}
	if err := json.Unmarshal(b, &o.V); err != nil {
		return err
	}
	o.OK = true
	return nil
}
