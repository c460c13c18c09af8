package checks

import "github.com/gputop/gputop/checks/knowledge"

// Version is the knowledge package's dotted numeric version; the rules and
// probes use it under this name.
type Version = knowledge.Version

// ParseVersion reads a dotted numeric version (see knowledge.ParseVersion).
func ParseVersion(s string) (Version, error) { return knowledge.ParseVersion(s) }

// MustVersion parses a version known at compile time.
func MustVersion(s string) Version { return knowledge.MustVersion(s) }

// cudaIntVersion converts NVML/header encodings (12040, 13000) to a version.
func cudaIntVersion(n int) Version { return knowledge.CUDAIntVersion(n) }
