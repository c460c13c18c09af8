package model

// HealthState is how far a GPU's data can be trusted.
type HealthState int

const (
	// Healthy: the last reading arrived on time.
	Healthy HealthState = iota
	// Stale: a reading is overdue (a call hangs or is slow); the values shown
	// are the last good ones.
	Stale
	// Lost: the driver reports the GPU gone (GPU_IS_LOST, fell off the bus).
	Lost
	// Failed: readings fail with another error (RESET_REQUIRED, ...).
	Failed
)

func (h HealthState) String() string {
	switch h {
	case Healthy:
		return "ok"
	case Stale:
		return "stale"
	case Lost:
		return "lost"
	case Failed:
		return "error"
	}
	return "unknown"
}

// MarshalText makes the state readable in JSON.
func (h HealthState) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (h *HealthState) UnmarshalText(b []byte) error {
	switch string(b) {
	case "ok":
		*h = Healthy
	case "stale":
		*h = Stale
	case "lost":
		*h = Lost
	case "error":
		*h = Failed
	default:
		*h = Failed
	}
	return nil
}

// Health is a GPU's state with the reason, e.g. "GPU_IS_LOST: GPU is lost".
type Health struct {
	State  HealthState `json:"state"`
	Reason string      `json:"reason,omitempty"`
	Since  Timestamp   `json:"since"`
}
