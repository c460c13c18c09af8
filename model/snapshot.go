package model

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/gputop/gputop/model/safe"
)

// SnapshotSchema names the snapshot format this gputop writes. Readers
// refuse other schemas and newer versions (see DecodeSnapshot): a field that
// changes meaning gets a new version; fields that are only added do not.
const (
	SnapshotSchema        = "gputop.snapshot/v1"
	snapshotSchemaPrefix  = "gputop.snapshot/v"
	snapshotSchemaVersion = 1
)

// Snapshot is the whole state of one gputop session frozen into a file that
// opens again on a machine without a GPU: the dashboard's history, the
// checklist and the facts it was computed from.
//
// System is embedded so that "host", "source", "driver_version",
// "nvml_version" and "cuda_driver_version" sit at the top level of the JSON.
type Snapshot struct {
	Schema  string    `json:"schema"`
	Version string    `json:"gputop_version"` // the gputop that wrote it
	Created Timestamp `json:"created"`
	System
	// Interval and SlowInterval are the sampler's tier periods; replay uses
	// them to size its history and to step through time.
	Interval     Duration `json:"interval"`
	SlowInterval Duration `json:"slow_interval"`

	Versions  Versions      `json:"versions"`
	GPUs      []GPURecord   `json:"gpus"`
	Facts     Facts         `json:"facts"`
	Checks    []CheckResult `json:"checks"`
	Events    []Event       `json:"events"`
	Processes []Process     `json:"processes"` // the newest list of every GPU
	// Redaction says what was removed from command lines and messages, so a
	// reader knows "[REDACTED]" was gputop's doing and not the process's.
	Redaction string `json:"redaction"`
	// NVMLError is why no GPU could be opened when the snapshot was taken
	// (then GPUs is empty and Facts and Checks are the diagnosis).
	NVMLError *OpenFailure `json:"nvml_error,omitempty"`
}

// OpenFailure is why no GPU could be opened: NVML's code, what it means and
// the next step. The no-GPU screen shows it; a snapshot records it.
type OpenFailure struct {
	Code    string `json:"code"`    // "DRIVER_NOT_LOADED", "LIBRARY_NOT_FOUND", ...
	Message string `json:"message"` // what happened, in words, with the driver's error
	Hint    string `json:"hint,omitempty"`
}

// GPURecord is one GPU in a snapshot: its identity (GPUInfo is embedded, so
// "index", "name" and "uuid" are top-level keys of each GPU object), its
// health when captured, and its recorded history, oldest first.
type GPURecord struct {
	GPUInfo
	Health Health `json:"health"`
	// Verdict is the GPU's badge when captured: the worst of its health,
	// its failing or warning checks and its recent critical events.
	Verdict     Verdict      `json:"verdict"`
	Samples     []Sample     `json:"samples"`      // fast tier, full resolution
	SlowSamples []SlowSample `json:"slow_samples"` // slow tier, with process lists
}

// Versions is the software stack as the checks found it, carried in the
// snapshot so the report can print it without knowing the shape of Facts.
// The caller (cmd/gputop, from the checks' results) fills it; empty fields
// and nil slices mean "not found" and render as "not found".
type Versions struct {
	Driver     string   `json:"driver"`      // kernel driver, "580.95.05"
	CUDADriver string   `json:"cuda_driver"` // newest CUDA the driver supports, "13.0"
	Toolkit    []string `json:"toolkit"`     // installed CUDA toolkits (nvcc), "12.8 (/usr/local/cuda-12.8)"
	CuDNN      []string `json:"cudnn"`       // cuDNN versions found, "9.10.2 (cudnn_version.h)"
	PyTorch    string   `json:"pytorch"`     // torch.__version__ and its CUDA, "2.9.0+cu128"
}

// Duration is a time.Duration written as Go duration text ("100ms") so that
// snapshots stay readable and exact.
type Duration time.Duration

// MarshalText writes the duration as "100ms".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// SnapshotInput is everything NewSnapshot assembles. The sampler's part
// (System, intervals, GPUs, Events) comes from sampler.Capture and friends;
// Facts, Checks and Versions from the checks.
type SnapshotInput struct {
	Version      string // gputop version
	Created      time.Time
	System       System
	Interval     time.Duration
	SlowInterval time.Duration
	GPUs         []GPURecord
	Facts        Facts
	Checks       []CheckResult
	Events       []Event
	Versions     Versions
	Redact       RedactOptions
	NVMLError    *OpenFailure
}

// NewSnapshot freezes the input into a Snapshot. It copies every slice it
// redacts, so the caller's data (often the sampler's live history) is never
// modified. The newest process list of each GPU becomes the top-level
// "processes".
func NewSnapshot(in SnapshotInput) *Snapshot {
	created := in.Created
	if created.IsZero() {
		created = time.Now()
	}
	snap := &Snapshot{
		Schema:       SnapshotSchema,
		Version:      in.Version,
		Created:      TimestampOf(created),
		System:       in.System,
		Interval:     Duration(in.Interval),
		SlowInterval: Duration(in.SlowInterval),
		Versions:     in.Versions,
		Facts:        in.Facts,
		// Lists are never null in the file: empty means none. (A slow
		// sample's null process list still means "not read".)
		GPUs:      make([]GPURecord, len(in.GPUs)),
		Checks:    append([]CheckResult{}, in.Checks...),
		Events:    append([]Event{}, in.Events...),
		Processes: []Process{},
		NVMLError: in.NVMLError,
	}
	for i, rec := range in.GPUs {
		rec.Samples = append([]Sample{}, rec.Samples...)
		slow := make([]SlowSample, len(rec.SlowSamples))
		for j, s := range rec.SlowSamples {
			s.Processes = slices.Clone(s.Processes) // nil stays nil
			slow[j] = s
		}
		rec.SlowSamples = slow
		rec.Verdict = verdictOfRecord(&rec, in.Checks, in.Events, TimestampOf(created))
		snap.GPUs[i] = rec
		if n := len(slow); n > 0 {
			snap.Processes = append(snap.Processes, slow[n-1].Processes...)
		}
	}
	snap.Redaction = snap.redact(in.Redact)
	snap.bound()
	return snap
}

// bound clips what this machine produced to the loader's limits, so that
// every snapshot gputop writes opens again (a 2 MiB torch version string
// or a 5 KiB toolkit path would otherwise make the file unreadable). The
// slices it changes are this snapshot's own: NewSnapshot copied them, and
// the facts are copied here.
func (s *Snapshot) bound() {
	s.Facts = copyFacts(s.Facts)
	s.Versions.Toolkit = slices.Clone(s.Versions.Toolkit)
	s.Versions.CuDNN = slices.Clone(s.Versions.CuDNN)
	for i := range s.Checks {
		s.Checks[i].Commands = slices.Clone(s.Checks[i].Commands)
		s.Checks[i].Sources = slices.Clone(s.Checks[i].Sources)
	}
	safe.Map(s, func(t string) string { return clipBytes(t, maxTextBytes) })
	for _, p := range []*string{&s.Host, &s.Version, &s.DriverVersion, &s.NVMLVersion, &s.Source,
		&s.Versions.Driver, &s.Versions.CUDADriver, &s.Versions.PyTorch} {
		*p = clipBytes(*p, maxNameBytes)
	}
	for _, l := range [][]string{s.Versions.Toolkit, s.Versions.CuDNN} {
		for i := range l {
			l[i] = clipBytes(l[i], maxNameBytes)
		}
	}
}

// copyFacts is a deep copy of f (through JSON: the checks package owns its
// shape); if it cannot make the trip, only the collection time is kept.
func copyFacts(f Facts) Facts {
	raw, err := json.Marshal(f)
	var c Facts
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return Facts{Collected: f.Collected}
	}
	return c
}

// clipBytes cuts s to at most n bytes at a character boundary, marking the
// cut with "…".
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// WriteJSON encodes the snapshot compactly, on one line. For 8 GPUs x 60 s at
// 100 ms that is 1.8 MiB (TestSnapshotSize); indented it would be 3.0 MiB
// (+70%) for no reader's benefit, since jq indents on demand.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // keep "<" and "&" in commands and URLs readable
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	return nil
}

// Snapshot file formats.
const (
	FormatJSON     = "json"
	FormatMarkdown = "md"
)

// SnapshotFilePerm is the mode of exported files: they name users, processes
// and hosts, so only their owner reads them.
const SnapshotFilePerm fs.FileMode = 0o600

// Save writes the snapshot to path atomically (see WriteFileAtomic) as JSON
// or as a Markdown report (format "json" or "md").
func (s *Snapshot) Save(path, format string) error {
	var write func(io.Writer) error
	switch format {
	case FormatJSON, "":
		write = s.WriteJSON
	case FormatMarkdown, "markdown":
		write = func(w io.Writer) error { return WriteMarkdown(w, s) }
	default:
		return fmt.Errorf("write %s: unknown format %q (want json or md)", path, format)
	}
	return WriteFileAtomic(path, SnapshotFilePerm, write)
}

// DefaultSnapshotName is the file name an export uses when the user names
// none: gputop-<host>-<UTC time>.<ext>, e.g.
// gputop-dgx01-20261121T075300Z.json. Characters of the host name that are
// awkward in file names are replaced by "_".
func DefaultSnapshotName(host string, t time.Time, ext string) string {
	ext = strings.TrimPrefix(ext, ".")
	if ext == "" {
		ext = "json"
	}
	return "gputop-" + fileSafe(host) + "-" + t.UTC().Format("20060102T150405Z") + "." + ext
}

func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "unknown"
	}
	return out
}

// verdictOfRecord judges a recorded GPU from its newest readings.
func verdictOfRecord(rec *GPURecord, checks []CheckResult, events []Event, now Timestamp) Verdict {
	in := VerdictInput{Info: rec.GPUInfo, Health: rec.Health, Checks: checks, Events: events, Now: now}
	if n := len(rec.Samples); n > 0 {
		in.Fast = rec.Samples[n-1]
	}
	if n := len(rec.SlowSamples); n > 0 {
		in.Slow = rec.SlowSamples[n-1]
	}
	return GPUVerdict(in)
}
