package host

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
)

// procFiles reads the three small /proc files of the host strip (stat,
// loadavg, meminfo) into one reused buffer with plain open/read/close and
// parses the few numbers the strip shows in place.
//
// It replaces gopsutil's cpu.Times, load.Avg, mem.VirtualMemory and
// mem.SwapMemory for this once-a-second reading: those read five files
// (vmstat too) and sysinfo(2), register each file with the runtime's
// poller, and split every line into strings: 173 µs, 594 allocations and
// 41 KB a reading on the development container, 9 % of gputop's CPU at a
// 1 s interval (perf, docs/performance.md "Fixed cost"). This costs a
// small fraction of that and allocates only the paths' C strings.
// gopsutil stays the oracle: TestProcFilesAgreeWithGopsutil compares the
// two on the live /proc.
type procFiles struct {
	stat, loadavg, meminfo string
	buf                    []byte
}

func newProcFiles(root string) *procFiles {
	return &procFiles{
		stat:    filepath.Join(root, "stat"),
		loadavg: filepath.Join(root, "loadavg"),
		meminfo: filepath.Join(root, "meminfo"),
		buf:     make([]byte, 8192),
	}
}

// read returns the start of the file at path (at most len(buf) bytes: the
// values read here are all near the top of their files). The slice is
// valid until the next read.
func (p *procFiles) read(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	for err == syscall.EINTR {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer syscall.Close(fd)
	n := 0
	for n < len(p.buf) {
		m, err := syscall.Read(fd, p.buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if m <= 0 {
			break
		}
		n += m
	}
	return p.buf[:n], nil
}

// cpuTimes parses the first line of /proc/stat ("cpu  user nice system
// idle iowait irq softirq steal guest guest_nice", in clock ticks) into
// busy and total ticks. Guest time is already in user time (Linux counts
// it there), so it is not added again; fields a kernel does not have count
// as zero.
func cpuTimes(b []byte) (busy, all float64, err error) {
	line, _ := cutLine(b)
	rest, ok := cutPrefix(line, "cpu ")
	if !ok {
		return 0, 0, errors.New("no cpu line")
	}
	var v [8]uint64 // user nice system idle iowait irq softirq steal
	n := 0
	for n < len(v) {
		var x uint64
		var ok bool
		x, rest, ok = nextUint(rest)
		if !ok {
			break
		}
		v[n] = x
		n++
	}
	if n < 4 {
		return 0, 0, errors.New("cpu line has fewer than 4 fields")
	}
	f := func(i int) float64 { return float64(v[i]) } // summed as floats: no wrap-around
	busy = f(0) + f(1) + f(2) + f(5) + f(6) + f(7)
	return busy, busy + f(3) + f(4), nil
}

// loadAvg parses /proc/loadavg's first three fields.
func loadAvg(b []byte) (l1, l5, l15 float64, err error) {
	var out [3]float64
	rest := b
	for i := range out {
		var ok bool
		out[i], rest, ok = nextDecimal(rest)
		if !ok {
			return 0, 0, 0, errors.New("malformed load average")
		}
	}
	return out[0], out[1], out[2], nil
}

// memInfo holds the /proc/meminfo lines the strip uses, in bytes.
type memInfo struct {
	total, available, swapTotal, swapFree uint64
	has                                   uint8 // bits: hasTotal...
}

const (
	hasTotal = 1 << iota
	hasAvailable
	hasSwapTotal
	hasSwapFree
)

// parseMemInfo reads "Key:   value kB" lines; it stops once it has all four.
func parseMemInfo(b []byte) memInfo {
	var m memInfo
	for len(b) > 0 && m.has != hasTotal|hasAvailable|hasSwapTotal|hasSwapFree {
		var line []byte
		line, b = cutLine(b)
		var dst *uint64
		var bit uint8
		var rest []byte
		var ok bool
		if rest, ok = cutPrefix(line, "MemTotal:"); ok {
			dst, bit = &m.total, hasTotal
		} else if rest, ok = cutPrefix(line, "MemAvailable:"); ok {
			dst, bit = &m.available, hasAvailable
		} else if rest, ok = cutPrefix(line, "SwapTotal:"); ok {
			dst, bit = &m.swapTotal, hasSwapTotal
		} else if rest, ok = cutPrefix(line, "SwapFree:"); ok {
			dst, bit = &m.swapFree, hasSwapFree
		} else {
			continue
		}
		v, rest, ok := nextUint(rest)
		if !ok {
			continue
		}
		unit := uint64(1)
		if u := trimSpace(rest); len(u) == 2 && u[0] == 'k' && u[1] == 'B' {
			unit = 1024
		} else if len(u) != 0 {
			continue // a unit this does not know: leave the value unavailable
		}
		if v > ^uint64(0)/unit {
			continue
		}
		*dst = v * unit
		m.has |= bit
	}
	return m
}

func cutLine(b []byte) (line, rest []byte) {
	for i, c := range b {
		if c == '\n' {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

func cutPrefix(b []byte, prefix string) ([]byte, bool) {
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return b, false
	}
	return b[len(prefix):], true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// nextUint skips blanks and reads one unsigned decimal; ok is false when
// there is none or it overflows.
func nextUint(b []byte) (v uint64, rest []byte, ok bool) {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (^uint64(0)-d)/10 {
			return 0, b, false
		}
		v = v*10 + d
	}
	return v, b[i:], i > 0
}

// nextDecimal skips blanks and reads a non-negative decimal such as 0.75
// (the load average's form: digits, a point, digits). The digits make one
// integer divided by a power of ten, both exact, so the result is the
// correctly rounded value strconv.ParseFloat gives.
func nextDecimal(b []byte) (v float64, rest []byte, ok bool) {
	num, rest, ok := nextUint(b)
	if !ok {
		return 0, b, false
	}
	div := uint64(1)
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if num > (1<<53)/10 || div > (1<<53)/10 {
				return 0, b, false
			}
			num = num*10 + uint64(rest[i]-'0')
			div *= 10
		}
		if i == 1 {
			return 0, b, false
		}
		rest = rest[i:]
	}
	if num > 1<<53 {
		return 0, b, false
	}
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\n' {
		return 0, b, false
	}
	return float64(num) / float64(div), rest, true
}
