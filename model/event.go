package model

// EventKind classifies a timeline entry.
type EventKind string

const (
	EventXid       EventKind = "xid"
	EventThrottle  EventKind = "throttle"
	EventECC       EventKind = "ecc"
	EventHealth    EventKind = "health" // GPU lost / recovered / stale
	EventProcess   EventKind = "process"
	EventMemoryHWM EventKind = "memory_peak"
	EventInfo      EventKind = "info"
)

// Severity of an event.
type Severity string

const (
	SevInfo  Severity = "info"
	SevWarn  Severity = "warn"
	SevError Severity = "error"
)

// Event is one entry of the timeline: an Xid, a throttle reason starting or
// stopping, an ECC counter moving, a GPU lost, a process appearing...
type Event struct {
	Time     Timestamp `json:"t"`
	GPU      Opt[int]  `json:"gpu"`
	Kind     EventKind `json:"kind"`
	Severity Severity  `json:"severity"`
	Message  string    `json:"message"`
	Xid      Opt[int]  `json:"xid"`
	Action   string    `json:"action,omitempty"` // first action, for Xids
}
