package model

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gputop/gputop/model/safe"
)

// Limits a snapshot must respect to be loaded. They are far above anything
// gputop writes (8 GPUs x 120 s at 10 ms is about 30 MiB) and exist so that a
// damaged or hostile file is refused with a reason instead of exhausting
// memory or feeding the UI values it cannot draw.
const (
	// MaxSnapshotBytes bounds the JSON read, after decompression. A
	// snapshot of 16 GPUs x 120 s at 10 ms, the most gputop records, is
	// about 50 MiB.
	MaxSnapshotBytes = 128 << 20
	MaxSnapshotGPUs  = 64
	// MaxSamplesPerGPU and MaxSlowSamplesPerGPU are the sampler's ring
	// size (sampler maxRingSamples): what gputop writes, and what replay
	// can hold, so replay accepts every snapshot the loader accepts.
	MaxSamplesPerGPU     = 12_000
	MaxSlowSamplesPerGPU = 12_000
	// MaxSamplesTotal and MaxSlowSamplesTotal bound the whole file: 16 GPUs
	// of full rings. They keep the decoded size near 100 MiB whatever the
	// mix of GPUs.
	MaxSamplesTotal       = 16 * MaxSamplesPerGPU
	MaxSlowSamplesTotal   = 16 * MaxSlowSamplesPerGPU
	MaxProcessesPerSample = 4096
	MaxSnapshotEvents     = 100_000
	MaxSnapshotChecks     = 10_000
	maxNameBytes          = 1 << 10  // names, ids, versions, host
	maxTextBytes          = 64 << 10 // command lines, evidence, fixes, messages
	maxListLen            = 256      // commands of a check, versions found, facts lists
	maxUtilPercent        = 110      // NVML rounds; anything far above 100 is damage
	minTempC, maxTempC    = -50, 200
	maxPowerMilliW        = 5_000_000 // 5 kW: twice the largest GPU module made
	maxClockMHz           = 50_000    // GDDR memory clocks read high (RTX 4090: 10501, RTX 5090: 14001 MHz); 50 GHz is damage
	maxInterval           = time.Hour
)

// Kinds of snapshot errors, for errors.Is. The error text (see SnapshotError)
// is what the user reads.
var (
	ErrSnapshotTooLarge = errors.New("snapshot too large")
	ErrSnapshotNotJSON  = errors.New("snapshot is not JSON")
	ErrSnapshotTrunc    = errors.New("snapshot truncated")
	ErrNotSnapshot      = errors.New("not a gputop snapshot")
	ErrSnapshotNewer    = errors.New("snapshot from a newer gputop")
	ErrSnapshotInvalid  = errors.New("snapshot has impossible values")
)

// SnapshotError is why a snapshot could not be loaded, in one line. Error()
// is "<path>: <reason>" (just the reason when decoding a stream), so main
// prints "gputop: " + err and exits 2.
type SnapshotError struct {
	Path   string
	Reason string
	Kind   error // one of the Err* values above, or nil for I/O errors
	Err    error // the underlying error, if any (fs.ErrNotExist...)
}

func (e *SnapshotError) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return e.Path + ": " + e.Reason
}

// Unwrap exposes both the kind and the cause to errors.Is / errors.As.
func (e *SnapshotError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

func snapErr(kind error, cause error, format string, args ...any) *SnapshotError {
	return &SnapshotError{Reason: oneLine(fmt.Sprintf(format, args...)), Kind: kind, Err: cause}
}

// LoadSnapshot reads and checks the snapshot at path. A file larger than
// MaxSnapshotBytes is refused before reading. Gzip-compressed files (as sent
// by mail) are read transparently.
func LoadSnapshot(path string) (*Snapshot, error) {
	snap, err := loadSnapshot(path)
	if err != nil {
		var se *SnapshotError
		if errors.As(err, &se) {
			se.Path = path
			return nil, se
		}
		return nil, &SnapshotError{Path: path, Reason: oneLine(err.Error()), Err: err}
	}
	return snap, nil
}

func loadSnapshot(path string) (*Snapshot, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer; the file's
	// kind is then checked on the open descriptor, not on the name.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fileError(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fileError(err)
	}
	switch {
	case st.IsDir():
		return nil, snapErr(ErrNotSnapshot, nil, "is a directory, not a snapshot file")
	case !st.Mode().IsRegular():
		return nil, snapErr(ErrNotSnapshot, nil, "is not a regular file (%s)", FileKind(st.Mode()))
	case st.Size() > MaxSnapshotBytes:
		return nil, snapErr(ErrSnapshotTooLarge, nil, "file is %s; snapshots larger than %s are refused",
			byteSize(st.Size()), byteSize(MaxSnapshotBytes))
	}
	return DecodeSnapshot(f, MaxSnapshotBytes)
}

func fileError(err error) error {
	var reason string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = "no such file"
	case errors.Is(err, fs.ErrPermission):
		reason = "permission denied"
	default:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		} else {
			reason = err.Error()
		}
	}
	return &SnapshotError{Reason: oneLine(reason), Err: err}
}

// DecodeSnapshot reads one snapshot from r, reading at most limit bytes
// (MaxSnapshotBytes when limit <= 0, counted after gzip decompression), and
// checks it. The limits are enforced while the bytes stream in (see
// jsonGuard), so memory stays bounded whatever the input. Bad input never
// panics; the error is a *SnapshotError whose text is one line saying what
// is wrong and where. Every string of the result is safe to draw (see
// model/safe): a snapshot is text someone else wrote.
func DecodeSnapshot(r io.Reader, limit int64) (*Snapshot, error) {
	if limit <= 0 {
		limit = MaxSnapshotBytes
	}
	br := bufio.NewReader(r)
	var src io.Reader = br
	magic, _ := br.Peek(6)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, snapErr(ErrSnapshotTrunc, err, "truncated gzip data")
			}
			return nil, snapErr(ErrSnapshotNotJSON, err, "damaged gzip data: %v", err)
		}
		defer zr.Close()
		src = &gzipErrors{r: zr}
	} else if name, tool := compression(magic); name != "" {
		return nil, snapErr(ErrSnapshotNotJSON, nil,
			"compressed with %s, which gputop does not read; decompress it first (%s) or send it gzip-compressed", name, tool)
	}
	g := newJSONGuard(src, limit)
	dec := json.NewDecoder(g)
	snap := new(Snapshot)
	err := dec.Decode(snap)
	if err == nil && g.err == nil {
		// Only white space may follow; the guard refuses anything else.
		_, err = io.Copy(io.Discard, g)
	}
	if g.err != nil {
		err = g.err
	}
	if err != nil {
		if schema, ok := g.schemaSeen(); ok {
			if serr := checkSchema(schema); serr != nil {
				return nil, serr
			}
		}
		return nil, decodeError(err, g.n)
	}
	if err := checkSchema(snap.Schema); err != nil {
		if snap.Schema == "" {
			return nil, snapErr(ErrNotSnapshot, nil, `not a gputop snapshot (no "schema" field)`)
		}
		return nil, err
	}
	if err := snap.Validate(); err != nil {
		return nil, err
	}
	safe.Walk(snap)
	return snap, nil
}

// gzipErrors names gzip's errors in the user's terms.
type gzipErrors struct {
	r io.Reader
	n int64
}

func (z *gzipErrors) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	z.n += int64(n)
	switch {
	case err == nil, err == io.EOF:
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = snapErr(ErrSnapshotTrunc, err, "truncated gzip data after %d bytes", z.n)
	default:
		err = snapErr(ErrSnapshotNotJSON, err, "damaged gzip data: %v", err)
	}
	return n, err
}

// compression names the compressed formats gputop does not read, by magic.
func compression(magic []byte) (name, tool string) {
	switch {
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd", "zstd -d FILE"
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return "xz", "xz -d FILE"
	case bytes.HasPrefix(magic, []byte("BZh")):
		return "bzip2", "bunzip2 FILE"
	case bytes.HasPrefix(magic, []byte{0x04, 0x22, 0x4d, 0x18}):
		return "lz4", "lz4 -d FILE"
	case bytes.HasPrefix(magic, []byte("PK\x03\x04")):
		return "zip", "unzip FILE"
	case bytes.HasPrefix(magic, []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}):
		return "7-Zip", "7z x FILE"
	}
	return "", ""
}

// checkSchema says whether the schema is one this gputop reads, and names
// a newer one as newer rather than as garbage.
func checkSchema(schema string) error {
	if schema == SnapshotSchema {
		return nil
	}
	if v, ok := strings.CutPrefix(schema, snapshotSchemaPrefix); ok {
		if n, err := strconv.Atoi(v); err == nil && n > snapshotSchemaVersion {
			return snapErr(ErrSnapshotNewer, nil, "schema %s is newer than this gputop understands (v%d); update gputop",
				schema, snapshotSchemaVersion)
		}
	}
	return snapErr(ErrNotSnapshot, nil, "schema %q is not one this gputop reads (%s)", clip(schema, 80), SnapshotSchema)
}

// decodeError turns encoding/json's errors into the user's terms: where the
// file ends early, where it stops being JSON, which field has the wrong type.
func decodeError(err error, read int64) error {
	var se *SnapshotError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return se
	case err == io.EOF:
		return snapErr(ErrSnapshotNotJSON, err, "empty file, not a snapshot")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return snapErr(ErrSnapshotTrunc, err,
			"truncated JSON: the file ends in the middle of a value at byte %d (incomplete download or copy?)", read)
	case errors.As(err, &syn):
		return snapErr(ErrSnapshotNotJSON, err, "not JSON: %s at byte %d", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			if typ.Value == "null" {
				return snapErr(ErrNotSnapshot, err, `not a gputop snapshot (no "schema" field)`)
			}
			return snapErr(ErrNotSnapshot, err, "not a gputop snapshot (the JSON is %s, not an object)", typ.Value)
		}
		if jsonPath(typ.Field) == "schema" {
			return snapErr(ErrNotSnapshot, err, `not a gputop snapshot ("schema" is not a string)`)
		}
		// No byte offset: for values inside an Opt it counts from the
		// start of that value, not of the file.
		return snapErr(ErrSnapshotInvalid, err, "field %s: %s is not a valid %s",
			jsonPath(typ.Field), typ.Value, typ.Type)
	}
	return snapErr(ErrSnapshotInvalid, err, "invalid snapshot: %v", err)
}

// jsonPath drops the Go names of embedded structs ("gpus.GPUInfo.index")
// from encoding/json's field path: the file's keys are all lower case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	kept := parts[:0]
	for _, p := range parts {
		if p != "" && p[0] >= 'A' && p[0] <= 'Z' {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, ".")
}

// Validate checks limits and physically possible values: what the UI and
// replay rely on. A violation is reported with its location, e.g.
// "gpus[1].samples[17]: temp_gpu 900 °C is outside -50..200".
func (s *Snapshot) Validate() error {
	v := validator{}
	v.text("host", s.Host, maxNameBytes)
	v.text("gputop_version", s.Version, maxNameBytes)
	v.text("driver_version", s.DriverVersion, maxNameBytes)
	v.text("nvml_version", s.NVMLVersion, maxNameBytes)
	v.text("source", s.Source, maxNameBytes)
	v.text("redaction", s.Redaction, maxNameBytes)
	v.interval("interval", s.Interval)
	v.interval("slow_interval", s.SlowInterval)
	v.versions(s.Versions)
	if len(s.GPUs) > MaxSnapshotGPUs {
		v.fail("", "%d GPUs; more than %d is not a real machine", len(s.GPUs), MaxSnapshotGPUs)
	}
	seen := make(map[int]bool, len(s.GPUs))
	for i := range s.GPUs {
		if v.err != nil {
			break
		}
		g := &s.GPUs[i]
		if seen[g.Index] {
			v.fail(fmt.Sprintf("gpus[%d]", i), "index %d appears twice", g.Index)
		}
		seen[g.Index] = true
		v.gpu(fmt.Sprintf("gpus[%d]", i), g, len(s.GPUs))
	}
	v.processes("processes", s.Processes, len(s.GPUs))
	if len(s.Events) > MaxSnapshotEvents {
		v.fail("events", "%d events; at most %d are read", len(s.Events), MaxSnapshotEvents)
	}
	for i := range s.Events {
		if v.err != nil {
			break
		}
		v.event(fmt.Sprintf("events[%d]", i), &s.Events[i], len(s.GPUs))
	}
	v.facts(&s.Facts)
	if len(s.Checks) > MaxSnapshotChecks {
		v.fail("checks", "%d checks; at most %d are read", len(s.Checks), MaxSnapshotChecks)
	}
	for i := range s.Checks {
		if v.err != nil {
			break
		}
		v.check(fmt.Sprintf("checks[%d]", i), &s.Checks[i], len(s.GPUs))
	}
	if v.err != nil {
		return v.err
	}
	return nil
}

// validator keeps the first problem found; later checks are no-ops.
type validator struct{ err *SnapshotError }

func (v *validator) fail(where, format string, args ...any) {
	if v.err != nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	v.err = snapErr(ErrSnapshotInvalid, nil, "%s", msg)
}

func (v *validator) text(where, s string, limit int) {
	if len(s) > limit {
		v.fail(where, "%d bytes of text; at most %d are read", len(s), limit)
	}
}

func (v *validator) list(where string, l []string, limit int) {
	if len(l) > maxListLen {
		v.fail(where, "%d entries; at most %d are read", len(l), maxListLen)
	}
	for i, s := range l {
		v.text(fmt.Sprintf("%s[%d]", where, i), s, limit)
	}
}

func (v *validator) interval(where string, d Duration) {
	if d < 0 || time.Duration(d) > maxInterval {
		v.fail(where, "%s is not a sampling interval", time.Duration(d))
	}
}

func (v *validator) versions(vs Versions) {
	v.text("versions.driver", vs.Driver, maxNameBytes)
	v.text("versions.cuda_driver", vs.CUDADriver, maxNameBytes)
	v.text("versions.pytorch", vs.PyTorch, maxNameBytes)
	v.list("versions.toolkit", vs.Toolkit, maxNameBytes)
	v.list("versions.cudnn", vs.CuDNN, maxNameBytes)
}

func (v *validator) gpuRef(where string, gpu, nGPUs int) {
	if gpu < 0 || gpu >= nGPUs {
		v.fail(where, "refers to GPU %d; the snapshot has %d", gpu, nGPUs)
	}
}

func (v *validator) temp(where, field string, t Opt[int32]) {
	if t.OK && (t.V < minTempC || t.V > maxTempC) {
		v.fail(where, "%s %d °C is outside %d..%d", field, t.V, minTempC, maxTempC)
	}
}

func (v *validator) util(where, field string, u Opt[uint32]) {
	if u.OK && u.V > maxUtilPercent {
		v.fail(where, "%s %d%% is impossible", field, u.V)
	}
}

func (v *validator) power(where, field string, p Opt[uint32]) {
	if p.OK && p.V > maxPowerMilliW {
		v.fail(where, "%s %d W is impossible", field, p.V/1000)
	}
}

func (v *validator) gpu(where string, g *GPURecord, nGPUs int) {
	v.gpuInfo(where, &g.GPUInfo)
	v.text(where+".health.reason", g.Health.Reason, maxTextBytes)

	if len(g.Samples) > MaxSamplesPerGPU {
		v.fail(where, "%d samples; at most %d per GPU are read", len(g.Samples), MaxSamplesPerGPU)
	}
	var prev Timestamp
	for i := range g.Samples {
		if v.err != nil {
			return
		}
		s := &g.Samples[i]
		at := fmt.Sprintf("%s.samples[%d]", where, i)
		v.sampleTime(at, s.Time, prev)
		prev = s.Time
		v.sample(at, s)
	}

	if len(g.SlowSamples) > MaxSlowSamplesPerGPU {
		v.fail(where, "%d slow samples; at most %d per GPU are read", len(g.SlowSamples), MaxSlowSamplesPerGPU)
	}
	prev = 0
	for i := range g.SlowSamples {
		if v.err != nil {
			return
		}
		s := &g.SlowSamples[i]
		at := fmt.Sprintf("%s.slow_samples[%d]", where, i)
		v.sampleTime(at, s.Time, prev)
		prev = s.Time
		v.slow(at, s, nGPUs)
	}
}

// gpuInfo checks a GPU's identity, in a recording or in the facts.
func (v *validator) gpuInfo(where string, g *GPUInfo) {
	if g.Index < 0 {
		v.fail(where, "index %d is negative", g.Index)
	}
	v.text(where+".name", g.Name, maxNameBytes)
	v.text(where+".uuid", g.UUID, maxNameBytes)
	v.text(where+".bus_id", g.BusID, maxNameBytes)
	v.text(where+".serial", g.Serial, maxNameBytes)
	v.text(where+".vbios", g.VBIOS, maxNameBytes)
	v.text(where+".architecture", g.Architecture, maxNameBytes)
	v.temp(where, "temp_slowdown_c", g.TempSlowdown)
	v.temp(where, "temp_shutdown_c", g.TempShutdown)
	v.temp(where, "temp_mem_max_c", g.TempMemMax)
	v.clock(where, "clock_max_sm_mhz", g.ClockMaxSM)
	v.clock(where, "clock_max_mem_mhz", g.ClockMaxMem)
	v.power(where, "power_limit_default_mw", g.PowerLimitDefault)
	v.power(where, "power_limit_min_mw", g.PowerLimitMin)
	v.power(where, "power_limit_max_mw", g.PowerLimitMax)
	v.bytes(where, "memory_total_bytes", g.MemoryTotal)
	v.bytes(where, "bar1_total_bytes", g.BAR1Total)
	v.small(where, "max_pcie_gen", g.MaxPCIeGen, 0, 16)
	v.small(where, "gpu_max_pcie_gen", g.GPUMaxPCIeGen, 0, 16)
	v.small(where, "max_pcie_width", g.MaxPCIeWidth, 0, 64)
	v.small(where, "cc_major", g.CCMajor, 0, 99)
	v.small(where, "cc_minor", g.CCMinor, 0, 99)
	v.small(where, "num_fans", g.NumFans, 0, 64)
}

// sample checks one fast reading.
func (v *validator) sample(at string, s *Sample) {
	v.util(at, "util_gpu", s.UtilGPU)
	v.util(at, "util_mem", s.UtilMem)
	v.temp(at, "temp_gpu", s.TempGPU)
	v.temp(at, "temp_mem", s.TempMem)
	v.power(at, "power_mw", s.PowerDraw)
	v.power(at, "power_limit_mw", s.PowerLimit)
	if s.PowerLimit.OK && s.PowerLimit.V == 0 {
		v.fail(at, "power_limit_mw 0 W is impossible (NVML reports no limit as unavailable)")
	}
	v.clock(at, "clock_sm_mhz", s.ClockSM)
	v.clock(at, "clock_mem_mhz", s.ClockMem)
	v.bytes(at, "mem_used", s.MemUsed)
	v.bytes(at, "mem_total", s.MemTotal)
	v.bytes(at, "mem_reserved", s.MemReserved)
	if s.MemUsed.OK && s.MemTotal.OK && s.MemUsed.V > s.MemTotal.V {
		v.fail(at, "mem_used %d bytes is more than mem_total %d", s.MemUsed.V, s.MemTotal.V)
	}
	if s.FanPercent.OK && s.FanPercent.V > 200 {
		v.fail(at, "fan_pct %d%% is impossible", s.FanPercent.V)
	}
	if s.PState.OK && (s.PState.V < 0 || s.PState.V > 15) {
		v.fail(at, "pstate %d is not 0..15", s.PState.V)
	}
}

// slow checks one slow-tier reading.
func (v *validator) slow(at string, s *SlowSample, nGPUs int) {
	v.util(at, "util_peak", s.UtilPeak)
	v.power(at, "power_peak_mw", s.PowerPeak)
	v.small(at, "pcie_gen", s.PCIeGen, 0, 16)
	v.small(at, "pcie_width", s.PCIeWidth, 0, 64)
	v.processes(at+".processes", s.Processes, nGPUs)
	v.signals(at+".signals", s.Signals) // MIG: signals_load.go
}

// facts checks the recorded facts like the rest: `check --from` judges
// them and their strings reach the terminal.
func (v *validator) facts(f *Facts) {
	if len(f.NVML.GPUs) > MaxSnapshotGPUs {
		v.fail("facts.nvml.gpus", "%d GPUs; more than %d is not a real machine", len(f.NVML.GPUs), MaxSnapshotGPUs)
	}
	seen := map[int]bool{}
	for i := range f.NVML.GPUs {
		if v.err != nil {
			return
		}
		g := &f.NVML.GPUs[i]
		at := fmt.Sprintf("facts.nvml.gpus[%d]", i)
		if seen[g.Info.Index] {
			v.fail(at, "index %d appears twice", g.Info.Index)
		}
		seen[g.Info.Index] = true
		v.gpuInfo(at+".info", &g.Info)
		if g.Sample.OK {
			v.sample(at+".sample", &g.Sample.V)
		}
		if g.Slow.OK {
			v.slow(at+".slow", &g.Slow.V, len(f.NVML.GPUs))
		}
		v.text(at+".health.reason", g.Health.Reason, maxTextBytes)
	}
	if len(f.Env) > maxListLen {
		v.fail("facts.env", "%d variables; at most %d are read", len(f.Env), maxListLen)
	}
	for k, val := range f.Env {
		v.text("facts.env."+clip(k, 40), k, maxNameBytes)
		v.text("facts.env."+clip(k, 40), val, maxTextBytes)
	}
	lists := map[string]int{
		"facts.pci.devices": len(f.PCI.Devices), "facts.toolkits": len(f.Toolkits), "facts.cudnn": len(f.CuDNN),
		"facts.torch": len(f.Torch), "facts.site_dirs": len(f.SiteDirs), "facts.dev_nodes.nodes": len(f.DevNodes.Nodes),
	}
	for where, n := range lists {
		if n > maxListLen {
			v.fail(where, "%d entries; at most %d are read", n, maxListLen)
		}
	}
	for i, d := range f.PCI.Devices {
		if len(d.BARs) > 16 {
			v.fail(fmt.Sprintf("facts.pci.devices[%d].bars", i), "%d BARs; a PCI function has at most 6", len(d.BARs))
		}
	}
	for _, t := range f.Torch {
		v.text("facts.torch.version", t.Version, maxTextBytes)
	}
	v.text("facts.nvml.driver_version", f.NVML.DriverVersion, maxTextBytes)
	v.text("facts.kernel_module.version", f.KernelModule.Version, maxTextBytes)
	v.text("facts.nvcc.version", f.NVCC.Version, maxTextBytes)
	v.text("facts.nvcc.output", f.NVCC.Output, maxTextBytes)
}

func (v *validator) clock(where, field string, c Opt[uint32]) {
	if c.OK && c.V > maxClockMHz {
		v.fail(where, "%s %d MHz is impossible", field, c.V)
	}
}

func (v *validator) bytes(where, field string, b Opt[uint64]) {
	if b.OK && b.V > 1<<44 { // 16 TiB: far above any GPU's memory
		v.fail(where, "%s %d bytes is impossible", field, b.V)
	}
}

func (v *validator) small(where, field string, n Opt[int], lo, hi int) {
	if n.OK && (n.V < lo || n.V > hi) {
		v.fail(where, "%s %d is outside %d..%d", field, n.V, lo, hi)
	}
}

func (v *validator) sampleTime(where string, t, prev Timestamp) {
	switch {
	case t <= 0:
		v.fail(where, "no time")
	case t < prev:
		v.fail(where, "samples out of time order (%s before %s)",
			t.Time().Format(time.RFC3339Nano), prev.Time().Format(time.RFC3339Nano))
	}
}

func (v *validator) processes(where string, ps []Process, nGPUs int) {
	if len(ps) > MaxProcessesPerSample {
		v.fail(where, "%d processes; at most %d are read", len(ps), MaxProcessesPerSample)
	}
	for i := range ps {
		if v.err != nil {
			return
		}
		p := &ps[i]
		at := fmt.Sprintf("%s[%d]", where, i)
		v.gpuRef(at, p.GPUIndex, nGPUs)
		v.text(at+".kind", p.Kind, maxNameBytes)
		v.text(at+".user", p.User, maxNameBytes)
		v.text(at+".name", p.Name, maxNameBytes)
		v.text(at+".command", p.Command, maxTextBytes)
		v.util(at, "sm_util", p.SMUtil)
		v.processMIG(at, p) // signals_load.go
		if c := p.CPUPercent; c.OK && (math.IsNaN(c.V) || c.V < 0 || c.V > 1e6) {
			v.fail(at, "cpu_pct %g is impossible", c.V)
		}
	}
}

func (v *validator) event(where string, e *Event, nGPUs int) {
	if e.GPU.OK {
		v.gpuRef(where, e.GPU.V, nGPUs)
	}
	v.text(where+".kind", string(e.Kind), maxNameBytes)
	v.text(where+".severity", string(e.Severity), maxNameBytes)
	v.text(where+".message", e.Message, maxTextBytes)
	v.text(where+".action", e.Action, maxTextBytes)
}

func (v *validator) check(where string, c *CheckResult, nGPUs int) {
	switch c.Status {
	case Pass, Warn, Fail, Skip:
	default:
		v.fail(where, "status %q is not pass, warn, fail or skip", clip(string(c.Status), 40))
	}
	if c.GPU.OK {
		v.gpuRef(where, c.GPU.V, nGPUs)
	}
	v.text(where+".id", c.ID, maxNameBytes)
	v.text(where+".title", c.Title, maxNameBytes)
	v.text(where+".evidence", c.Evidence, maxTextBytes)
	v.text(where+".why", c.Why, maxTextBytes)
	v.text(where+".fix", c.Fix, maxTextBytes)
	v.list(where+".commands", c.Commands, maxTextBytes)
}

// oneLine keeps an error message on one line and of a readable length, even
// when it quotes a damaged file.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			return '?' // no terminal escapes from a hostile file
		}
		return r
	}, s)
	return clip(s, 400)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
