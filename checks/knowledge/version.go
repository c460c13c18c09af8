package knowledge

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a dotted numeric version ("570.124.06", "12.8", "9.14.0").
// Components compare as numbers, so 570.26 < 570.124.06; a missing trailing
// component counts as 0, so 12.8 == 12.8.0.
type Version struct {
	parts []int
	text  string
}

// ParseVersion reads a dotted numeric version. Leading "v"/"V" and a
// trailing build suffix after '+' or '-' ("2.5.1+cu124") are ignored; every
// remaining component must be a non-negative decimal number.
func ParseVersion(s string) (Version, error) {
	text := strings.TrimSpace(s)
	core := strings.TrimPrefix(strings.TrimPrefix(text, "v"), "V")
	if i := strings.IndexAny(core, "+-"); i >= 0 {
		core = core[:i]
	}
	if core == "" {
		return Version{}, fmt.Errorf("parse version %q: empty", s)
	}
	fields := strings.Split(core, ".")
	parts := make([]int, 0, len(fields))
	for _, f := range fields {
		if f == "" {
			return Version{}, fmt.Errorf("parse version %q: empty component", s)
		}
		for _, r := range f {
			if r < '0' || r > '9' {
				return Version{}, fmt.Errorf("parse version %q: component %q is not a number", s, f)
			}
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return Version{}, fmt.Errorf("parse version %q: %w", s, err)
		}
		parts = append(parts, n)
	}
	return Version{parts: parts, text: text}, nil
}

// MustVersion parses a version known at compile time (the tables); it
// panics on a typo so that the table tests catch it.
func MustVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// IsZero reports whether v was never parsed.
func (v Version) IsZero() bool { return len(v.parts) == 0 }

// Compare returns -1, 0 or +1.
func (v Version) Compare(w Version) int {
	n := max(len(v.parts), len(w.parts))
	for i := 0; i < n; i++ {
		a, b := v.part(i), w.part(i)
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
	}
	return 0
}

func (v Version) part(i int) int {
	if i < len(v.parts) {
		return v.parts[i]
	}
	return 0
}

// Less reports v < w.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

// AtLeast reports v >= w.
func (v Version) AtLeast(w Version) bool { return v.Compare(w) >= 0 }

// Major is the first component (0 when unparsed).
func (v Version) Major() int { return v.part(0) }

// Minor is the second component.
func (v Version) Minor() int { return v.part(1) }

// MajorMinor is the version cut to two components ("12.8.1" -> 12.8).
func (v Version) MajorMinor() Version {
	return Version{parts: []int{v.part(0), v.part(1)}, text: strconv.Itoa(v.part(0)) + "." + strconv.Itoa(v.part(1))}
}

// String returns the text the version was parsed from.
func (v Version) String() string {
	if v.text != "" {
		return v.text
	}
	s := make([]string, len(v.parts))
	for i, p := range v.parts {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ".")
}

// Numeric renders only the numeric components ("2.11.0" for "2.11.0+cu130"):
// what pip's == wants next to an --index-url.
func (v Version) Numeric() string {
	s := make([]string, len(v.parts))
	for i, p := range v.parts {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ".")
}

// Len is the number of components.
func (v Version) Len() int { return len(v.parts) }

// Part returns component i (0 when absent).
func (v Version) Part(i int) int { return v.part(i) }

// CUDAIntVersion converts NVML/header encodings (12040, 13000) to a version.
func CUDAIntVersion(n int) Version {
	major, minor := n/1000, (n%1000)/10
	return Version{parts: []int{major, minor}, text: strconv.Itoa(major) + "." + strconv.Itoa(minor)}
}
