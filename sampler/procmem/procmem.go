// Package procmem reads what a process's memory looks like to the kernel:
// the integer fields of /proc/PID/status (VmHWM, RssAnon, RssFile,
// voluntary_ctxt_switches...) and the resident memory of each mapping in
// /proc/PID/smaps. The measuring tool (cmd/overhead) and the real-GPU
// memory tests (sampler/nvmlbackend) both read them; it imports nothing
// but the standard library, so anything in the module can use it.
//
// The parsers skip what they cannot read (a line without a colon or a
// number, an Rss line before any mapping) rather than fail: these files
// gain fields from kernel to kernel, and one odd line must not hide the
// others.
package procmem

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
)

// Status is the integer fields of a /proc/PID/status file by name (without
// the colon): the first number after the colon, in the file's own unit
// (kB for the Vm* and Rss* fields). Fields whose value is not a decimal
// integer are left out: Name, State, SigQ's "n/m", and the octal and
// hexadecimal ones (Umask 0022, SigBlk, CapEff, Cpus_allowed), which the
// kernel pads with zeros, so a number with a leading zero is not taken.
// Where a name repeats, the first line wins.
type Status map[string]int64

// ParseStatus parses the text of a /proc/PID/status file.
func ParseStatus(b []byte) Status {
	st := Status{}
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		key, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(key) == 0 {
			continue
		}
		f := strings.Fields(string(rest)) // "123", "123 kB" or "0 0 0 0"
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || len(f[0]) > 1 && f[0][0] == '0' {
			continue
		}
		if _, seen := st[string(key)]; !seen {
			st[string(key)] = v
		}
	}
	return st
}

// ReadStatus reads and parses a status file (/proc/PID/status or
// /proc/PID/task/TID/status).
func ReadStatus(path string) (Status, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseStatus(b), nil
}

// Mapping is one mapping of a /proc/PID/smaps file.
type Mapping struct {
	Range string // "7f3c2a000000-7f3c2a021000"
	Perms string // "r-xp"
	// Name is the mapped file's path (spaces and " (deleted)" kept), a
	// kernel name such as [heap] or [stack], or [anon] for an anonymous
	// mapping.
	Name  string
	RssKB int64 // its Rss: line, in kB
}

// Anon is the Name of a mapping without a file or a kernel name.
const Anon = "[anon]"

// ParseSmaps parses the text of a /proc/PID/smaps file: one Mapping per
// header line, in the file's order, each with its Rss. It fails only when
// r does.
func ParseSmaps(r io.Reader) ([]Mapping, error) {
	var maps []Mapping
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if m, ok := parseHeader(line); ok {
			maps = append(maps, m)
			continue
		}
		v, ok := strings.CutPrefix(line, "Rss:")
		if !ok || len(maps) == 0 {
			continue
		}
		if f := strings.Fields(v); len(f) > 0 {
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				maps[len(maps)-1].RssKB = kb
			}
		}
	}
	return maps, sc.Err()
}

// ReadSmaps reads and parses /proc/PID/smaps (or any file in its format).
func ReadSmaps(path string) ([]Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseSmaps(f)
}

// parseHeader reads a mapping's header line,
// "START-END PERMS OFFSET DEV INODE [NAME]", as /proc/PID/maps has it. A
// field line ("Rss:  12 kB", "VmFlags: rd mr") is not one: its first
// word is not a range of two hexadecimal addresses.
func parseHeader(line string) (Mapping, bool) {
	rest := line
	var f [5]string
	for i := range f {
		rest = strings.TrimLeft(rest, " \t")
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		f[i], rest = rest[:end], rest[end:]
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok || !isHex(lo) || !isHex(hi) || f[4] == "" {
		return Mapping{}, false
	}
	m := Mapping{Range: f[0], Perms: f[1], Name: strings.TrimSpace(rest)}
	if m.Name == "" {
		m.Name = Anon
	}
	return m, true
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
