package model

// Facts is everything the probes gathered, raw, before any rule judged it.
// Snapshots record it so `gputop check --from FILE` can rerun today's rules
// on yesterday's machine. The checks package owns its contents.
type Facts struct {
	Collected Timestamp `json:"collected"`
}
