package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// jsonGuard sits between the (decompressed) input and encoding/json and
// enforces the snapshot's limits on the bytes as they stream past, before
// the decoder allocates anything for them: total bytes, nesting depth,
// string and number lengths, entries per array and per object, and totals
// over the whole file (samples, processes, events...). A file that breaks a
// limit is refused at the first byte past it, so memory stays proportional
// to the limits, never to what the file claims (a 29 KB gzip file that
// expands to ten million empty GPU objects stops after the 65th).
//
// Array limits are looked up by the key the array is stored under, decoded
// and case-folded the way encoding/json matches keys, so "\u0073amples" or
// "SAMPLES" count as "samples". Arrays under other keys get maxListLen.
type jsonGuard struct {
	r     io.Reader
	limit int64
	n     int64
	err   error

	stack []guardFrame
	done  bool // the top-level value is complete

	inStr, esc, isKey bool
	strLen            int
	key               []byte // the key being read (raw, up to maxKeyCapture)
	lit               int    // length of the current number/literal

	containers int
	totals     map[string]int

	schema     []byte // raw text of the top-level "schema" string
	capSchema  bool
	schemaDone bool
}

type guardFrame struct {
	array     bool
	name      string // the key this container is stored under ("" for array elements)
	path      string // for messages: "gpus[3].samples"
	count     int
	seen      bool   // array: a value started since the last comma
	expectKey bool   // object: the next string is a key
	lastKey   string // object: the most recent key, folded
}

const (
	maxDepth          = 24
	maxObjectKeys     = 512
	maxLiteralBytes   = 512
	maxKeyCapture     = 256
	maxContainers     = 1_000_000 // objects + arrays in the whole file
	maxProcessesTotal = 256_000
)

// arrayLimits are the per-array limits, by key.
var arrayLimits = map[string]int{
	"gpus":         MaxSnapshotGPUs,
	"samples":      MaxSamplesPerGPU,
	"slow_samples": MaxSlowSamplesPerGPU,
	"processes":    MaxProcessesPerSample,
	"events":       MaxSnapshotEvents,
	"checks":       MaxSnapshotChecks,
}

// totalLimits bound the sum over every array stored under the key.
var totalLimits = map[string]int{
	"samples":      MaxSamplesTotal,
	"slow_samples": MaxSlowSamplesTotal,
	"processes":    maxProcessesTotal,
}

var unitOf = map[string]string{
	"gpus": "GPUs", "samples": "samples", "slow_samples": "slow samples",
	"processes": "processes", "events": "events", "checks": "checks",
}

func newJSONGuard(r io.Reader, limit int64) *jsonGuard {
	return &jsonGuard{r: r, limit: limit, totals: map[string]int{}}
}

func (g *jsonGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	for i := 0; i < n; {
		switch {
		case g.inStr && !g.esc && !g.capSchema:
			// Fast path: the plain bytes of a string, up to the next quote
			// or backslash, only need counting (and keys keeping).
			run := bytes.IndexAny(p[i:n], `"\`)
			if run < 0 {
				run = n - i
			}
			if g.n+int64(run) <= g.limit && g.strLen+run <= maxTextBytes {
				if g.isKey {
					g.key = append(g.key, p[i:i+min(run, maxKeyCapture-len(g.key))]...)
				}
				g.n += int64(run)
				g.strLen += run
				i += run
			}
		case g.lit > 0:
			// The rest of a number or literal.
			run := 0
			for i+run < n && literalByte(p[i+run]) {
				run++
			}
			if g.n+int64(run) <= g.limit && g.lit+run <= maxLiteralBytes {
				g.n += int64(run)
				g.lit += run
				i += run
			}
		}
		if i == n {
			break
		}
		if g.step(p[i]) {
			return i, g.err
		}
		i++
	}
	return n, err
}

func (g *jsonGuard) fail(kind error, format string, args ...any) bool {
	g.err = snapErr(kind, nil, format, args...)
	return true
}

func (g *jsonGuard) top() *guardFrame {
	if len(g.stack) == 0 {
		return nil
	}
	return &g.stack[len(g.stack)-1]
}

// step consumes one byte; it returns true when a limit is broken.
func (g *jsonGuard) step(c byte) bool {
	g.n++
	if g.n > g.limit {
		return g.fail(ErrSnapshotTooLarge, "larger than %s after decompression; refused", byteSize(g.limit))
	}
	if g.inStr {
		return g.strByte(c)
	}
	switch c {
	case ' ', '\t', '\r', '\n':
		g.lit = 0
		return false
	case '"':
		g.lit = 0
		if t := g.top(); t != nil && !t.array && t.expectKey {
			t.count++
			if t.count > maxObjectKeys {
				return g.fail(ErrSnapshotInvalid, "%s: more than %d keys in one object", g.where(), maxObjectKeys)
			}
			g.isKey = true
			g.key = g.key[:0]
		} else {
			if g.value() {
				return true
			}
			g.isKey = false
			g.capSchema = len(g.stack) == 1 && g.top().lastKey == "schema"
			if g.capSchema {
				g.schema = make([]byte, 0, 32)
			}
		}
		g.inStr, g.strLen = true, 0
		return false
	case '{', '[':
		g.lit = 0
		if g.value() {
			return true
		}
		if len(g.stack) >= maxDepth {
			return g.fail(ErrSnapshotInvalid, "%s: nested more than %d levels deep", g.where(), maxDepth)
		}
		g.containers++
		if g.containers > maxContainers {
			return g.fail(ErrSnapshotInvalid, "more than %d objects and arrays; refused", maxContainers)
		}
		f := guardFrame{array: c == '[', expectKey: c == '{'}
		if t := g.top(); t != nil {
			if t.array {
				f.path = t.path + "[" + strconv.Itoa(t.count-1) + "]"
			} else {
				f.name = t.lastKey
				f.path = t.path
				if f.path != "" {
					f.path += "."
				}
				f.path += t.lastKey
			}
		}
		g.stack = append(g.stack, f)
		return false
	case '}', ']':
		g.lit = 0
		if len(g.stack) > 0 {
			g.stack = g.stack[:len(g.stack)-1]
		}
		if len(g.stack) == 0 {
			g.done = true
		}
		return false
	case ',':
		g.lit = 0
		if t := g.top(); t != nil {
			if t.array {
				t.seen = false
			} else {
				t.expectKey = true
			}
		}
		return false
	case ':':
		g.lit = 0
		if t := g.top(); t != nil && !t.array {
			t.expectKey = false
		}
		return false
	}
	// A number or true/false/null (or garbage encoding/json will name).
	if g.lit == 0 && g.value() {
		return true
	}
	g.lit++
	if g.lit > maxLiteralBytes {
		return g.fail(ErrSnapshotInvalid, "%s: a number of more than %d characters", g.where(), maxLiteralBytes)
	}
	return false
}

func literalByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '.' || c == '-' || c == '+' || c == 'E'
}

// value is called where a value starts: it counts array entries.
func (g *jsonGuard) value() bool {
	t := g.top()
	if t == nil {
		if g.done {
			return g.fail(ErrSnapshotNotJSON, "not JSON: invalid character after top-level value at byte %d", g.n)
		}
		return false
	}
	if !t.array || t.seen {
		return false
	}
	t.seen = true
	t.count++
	limit, known := arrayLimits[t.name]
	if !known {
		limit = maxListLen
	}
	if t.count > limit {
		unit := unitOf[t.name]
		if unit == "" {
			unit = "entries"
		}
		return g.fail(ErrSnapshotInvalid, "%s: more than %d %s; refused", t.path, limit, unit)
	}
	if tl, ok := totalLimits[t.name]; ok {
		g.totals[t.name]++
		if g.totals[t.name] > tl {
			return g.fail(ErrSnapshotInvalid, "%s: more than %d %s in the whole snapshot; refused", t.path, tl, unitOf[t.name])
		}
	}
	return false
}

func (g *jsonGuard) strByte(c byte) bool {
	g.strLen++
	if g.strLen > maxTextBytes {
		what := "a string"
		if g.isKey {
			what = "a key"
		}
		return g.fail(ErrSnapshotInvalid, "%s: %s of more than %d bytes; refused", g.where(), what, maxTextBytes)
	}
	end := false
	switch {
	case g.esc:
		g.esc = false
	case c == '\\':
		g.esc = true
	case c == '"':
		end = true
	}
	if end {
		g.inStr = false
		if g.capSchema {
			g.schemaDone = true
		}
		g.capSchema = false
		if g.isKey {
			if t := g.top(); t != nil {
				t.lastKey = foldKey(g.key)
			}
		}
		return false
	}
	if g.isKey && len(g.key) < maxKeyCapture {
		g.key = append(g.key, c)
	}
	if g.capSchema && len(g.schema) < 128 {
		g.schema = append(g.schema, c)
	}
	return false
}

// where names the current position for messages.
func (g *jsonGuard) where() string {
	t := g.top()
	if t == nil {
		return "top level"
	}
	if t.array {
		return t.path + "[" + strconv.Itoa(max(t.count-1, 0)) + "]"
	}
	p := t.path
	if t.lastKey != "" && !t.expectKey {
		if p != "" {
			p += "."
		}
		p += t.lastKey
	}
	if p == "" {
		return "top level"
	}
	return p
}

// foldKey decodes a raw JSON key and folds it as encoding/json matches
// field names (case-insensitively, with the Kelvin sign and long s folding
// to ASCII).
func foldKey(raw []byte) string {
	k := string(raw)
	if strings.IndexByte(k, '\\') >= 0 {
		var s string
		if json.Unmarshal([]byte(`"`+k+`"`), &s) == nil {
			k = s
		}
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case 0x017F: // ſ
			return 's'
		case 0x212A: // Kelvin sign
			return 'k'
		}
		return unicode.ToLower(r)
	}, k)
}

// schemaSeen is the top-level "schema" string, if the guard saw one.
func (g *jsonGuard) schemaSeen() (string, bool) {
	if !g.schemaDone {
		return "", false
	}
	var s string
	if json.Unmarshal([]byte(`"`+string(g.schema)+`"`), &s) != nil {
		return string(g.schema), true
	}
	return s, true
}

// String is for debugging.
func (g *jsonGuard) String() string {
	return fmt.Sprintf("guard at byte %d, depth %d", g.n, len(g.stack))
}
