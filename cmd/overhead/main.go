// Command overhead measures the CPU and memory cost of GPU monitors the way
// ../shared/reference/measurements.md did for the anchors: each tool runs in
// a tmux window (200x50 by default) for a warm-up, then for a measured span;
// CPU is the process's user+sys time over wall time (% of one core), RSS is
// the peak (VmHWM). It prints one Markdown table.
//
// Beside CPU and RSS it reports what explains them: the number of threads,
// wake-ups per second (voluntary context switches of all threads, from
// /proc/PID/task/*/status) and the busiest thread's share of a core. With
// -diag DIR it keeps, per gputop run, a CPU profile (gputop's --cpuprofile)
// and a per-thread table (name, CPU, wake-ups, wchan, and for a thread that
// burns CPU a few samples of its current system call and kernel stack).
//
// It needs a Linux machine with tmux. nvidia-smi dmon, nvtop and nvitop are
// measured beside gputop when found on PATH; -nvtop names an nvtop binary
// elsewhere (a lib/ folder next to it is put on LD_LIBRARY_PATH, so a
// bundle unpacked from Debian's package runs on a machine without it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gputop/gputop/sampler/procmem"
)

type tool struct {
	label string
	argv  []string
	env   []string // extra environment for the tool
	log   string   // gputop's --log file, to read its sampler statistics
	prof  string   // gputop's --cpuprofile file (kept with -diag)
	diag  string   // per-thread report file (with -diag)
}

type result struct {
	tool    tool
	cpuPct  float64
	cpuNs   bool // cpuPct from the threads' schedstat (ns), not clock ticks
	rssMB   float64
	threads int
	wakeups float64 // voluntary context switches per second, all threads
	hottest string  // busiest thread: "NN.N % (comm)"
	extra   string
	err     error
}

func main() {
	gputop := flag.String("gputop", "bin/gputop", "path to the gputop binary")
	label := flag.String("label", "gputop", "name of the gputop binary in the table (to compare two builds)")
	warmup := flag.Duration("warmup", 5*time.Second, "time before measuring")
	span := flag.Duration("duration", 20*time.Second, "measured time per tool")
	size := flag.String("size", "200x50", "tmux window size")
	intervals := flag.String("intervals", "1s,100ms,10ms", "gputop intervals to measure, in order; repeat one to start it again (10ms,10ms,10ms)")
	anchors := flag.Bool("anchors", true, "also measure nvidia-smi dmon, nvtop and nvitop when installed")
	nvtop := flag.String("nvtop", "", "nvtop binary to measure (default: nvtop on PATH); a lib/ folder beside it goes on LD_LIBRARY_PATH")
	extra := flag.String("gputop-args", "", "extra arguments for gputop (e.g. --demo)")
	genv := flag.String("gputop-env", "", "extra environment for gputop, space-separated (e.g. GOMAXPROCS=2)")
	diag := flag.String("diag", "", "keep a CPU profile and a per-thread report of every gputop run in `DIR`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: overhead [flags]\n\nMeasures CPU %% of one core, peak RSS, threads and wake-ups of gputop and other GPU monitors in tmux.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	w, h, ok := strings.Cut(*size, "x")
	if !ok {
		fatalf("bad -size %q: want WxH", *size)
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		fatalf("tmux is needed: %v", err)
	}
	logDir, err := os.MkdirTemp("", "overhead")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(logDir)
	if *diag != "" {
		if err := os.MkdirAll(*diag, 0o755); err != nil {
			fatalf("-diag: %v", err)
		}
	}

	var tools []tool
	starts := map[string]int{}
	for _, iv := range strings.Split(*intervals, ",") {
		iv = strings.TrimSpace(iv)
		if iv == "" {
			continue
		}
		if _, err := time.ParseDuration(iv); err != nil {
			fatalf("bad interval %q: %v", iv, err)
		}
		starts[iv]++
		name := fmt.Sprintf("%s-%s-%d", *label, iv, starts[iv])
		dir := logDir
		if *diag != "" {
			dir = *diag // keep the logs with the profiles
		}
		t := tool{label: *label + " --interval " + iv, log: filepath.Join(dir, name+".log")}
		if starts[iv] > 1 {
			t.label += fmt.Sprintf(" (start %d)", starts[iv])
		}
		t.argv = []string{*gputop, "--interval", iv, "--log", t.log}
		if *diag != "" {
			t.prof = filepath.Join(*diag, name+".prof")
			t.diag = filepath.Join(*diag, name+".threads.txt")
			t.argv = append(t.argv, "--cpuprofile", t.prof)
		}
		if *extra != "" {
			t.argv = append(t.argv, strings.Fields(*extra)...)
		}
		if *genv != "" {
			t.env = strings.Fields(*genv)
			t.label += " [" + *genv + "]"
		}
		tools = append(tools, t)
	}
	if *anchors {
		if _, err := exec.LookPath("nvidia-smi"); err == nil {
			tools = append(tools, tool{label: "nvidia-smi dmon -d 1", argv: []string{"nvidia-smi", "dmon", "-d", "1"}})
		}
		nv := *nvtop
		if nv == "" {
			nv, _ = exec.LookPath("nvtop")
		}
		if nv != "" {
			var env []string
			if lib := filepath.Join(filepath.Dir(nv), "lib"); isDir(lib) {
				env = append(env, "LD_LIBRARY_PATH="+lib)
			}
			tools = append(tools,
				tool{label: "nvtop -d 10 (1 s)", argv: []string{nv, "-d", "10"}, env: env},
				tool{label: "nvtop -d 1 (100 ms)", argv: []string{nv, "-d", "1"}, env: env})
		}
		if _, err := exec.LookPath("nvitop"); err == nil {
			tools = append(tools,
				tool{label: "nvitop --interval 1", argv: []string{"nvitop", "--interval", "1"}},
				tool{label: "nvitop --interval 0.25", argv: []string{"nvitop", "--interval", "0.25"}})
		}
	}

	var results []result
	for i, t := range tools {
		fmt.Fprintf(os.Stderr, "[%d/%d] %s: %v warm-up + %v ...\n", i+1, len(tools), t.label, *warmup, *span)
		r := measure(t, w, h, *warmup, *span)
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "  %s: %v\n", t.label, r.err)
		} else {
			fmt.Fprintf(os.Stderr, "  %.3f %% of a core, %.1f MB, %d threads, %.0f wake-ups/s\n", r.cpuPct, r.rssMB, r.threads, r.wakeups)
		}
		results = append(results, r)
	}
	host, _ := os.Hostname()
	fmt.Printf("\nhost %s, %s window, %v measured after %v warm-up, CPU = the threads' time on a CPU (schedstat, ns) / wall, or (utime+stime)/wall where marked \"ticks\" (a thread exited, or no schedstat), RSS = VmHWM, wake-ups = voluntary context switches of all threads per second\n\n", host, *size, *span, *warmup)
	fmt.Println("| tool and interval | CPU % of one core | peak RSS | threads | wake-ups/s | busiest thread | sampler (gputop's own log) |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range results {
		if r.err != nil {
			fmt.Printf("| %s | error: %v | | | | | |\n", r.tool.label, r.err)
			continue
		}
		cpu := fmt.Sprintf("%.3f", r.cpuPct)
		if !r.cpuNs {
			cpu = fmt.Sprintf("%.2f (ticks)", r.cpuPct)
		}
		fmt.Printf("| %s | %s | %.1f MB | %d | %.0f | %s | %s |\n", r.tool.label, cpu, r.rssMB, r.threads, r.wakeups, r.hottest, r.extra)
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// measurements counts measure's calls (main goroutine only).
var measurements int

func measure(t tool, w, h string, warmup, span time.Duration) result {
	r := result{tool: t}
	// A server of its own per measurement: kill-server returns before the
	// previous server has gone, and a new session on the same socket could
	// reach the dying one ("server exited unexpectedly", seen on an H200).
	measurements++
	socket := fmt.Sprintf("overhead-%d-%d", os.Getpid(), measurements)
	tm := func(args ...string) (string, error) {
		out, err := exec.Command("tmux", append([]string{"-L", socket}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	defer tm("kill-server")
	argv := t.argv
	if len(t.env) > 0 {
		argv = append(append([]string{"env"}, t.env...), argv...)
	}
	args := append([]string{"new-session", "-d", "-s", "m", "-x", w, "-y", h}, argv...)
	if out, err := tm(args...); err != nil {
		r.err = fmt.Errorf("tmux: %v: %s", err, out)
		return r
	}
	pidText, err := tm("display-message", "-p", "-t", "m", "#{pane_pid}")
	if err != nil {
		r.err = fmt.Errorf("pane pid: %v", err)
		return r
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil {
		r.err = fmt.Errorf("pane pid %q: %v", pidText, err)
		return r
	}
	time.Sleep(warmup)
	cpu0, err := cpuTime(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		r.err = fmt.Errorf("%s exited during warm-up (%v); screen:\n%s", t.label, err, capture(tm))
		return r
	}
	th0 := threads(pid)
	wall0 := time.Now()
	time.Sleep(span)
	cpu1, err := cpuTime(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		r.err = fmt.Errorf("%s exited while measured: %v", t.label, err)
		return r
	}
	th1 := threads(pid)
	wall := time.Since(wall0)
	r.cpuPct = 100 * (cpu1 - cpu0).Seconds() / wall.Seconds()
	// The threads' run time in nanoseconds, where every thread is still
	// there to be read: utime+stime come in 10 ms clock ticks, 0.08 % of a
	// core over 12 s, a tenth of a figure near 1 %.
	if run, ok := runDelta(th0, th1); ok {
		r.cpuPct = 100 * run.Seconds() / wall.Seconds()
		r.cpuNs = true
	}
	r.rssMB, _ = peakRSS(pid)
	r.threads = len(th1)
	rows := threadRows(th0, th1, wall)
	for _, row := range rows {
		r.wakeups += row.wakeups
	}
	if len(rows) > 0 {
		r.hottest = fmt.Sprintf("%.1f %% (%s)", rows[0].pct, rows[0].comm)
	}
	if t.diag != "" {
		writeThreadReport(t.diag, pid, rows)
	}
	if t.log != "" {
		// q lets gputop shut down in order, write its profile and log its
		// sampler statistics.
		_, _ = tm("send-keys", "-t", "m", "q")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for ctx.Err() == nil {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		r.extra = samplerStats(t.log)
	}
	return r
}

func capture(tm func(...string) (string, error)) string {
	out, _ := tm("capture-pane", "-p", "-t", "m")
	return out
}

// thread is one task of the process at one instant.
type thread struct {
	comm      string
	cpu       time.Duration
	run       time.Duration // schedstat's time on a CPU, in ns; -1 where unreadable
	voluntary int64
}

// threads reads every task of pid.
func threads(pid int) map[string]thread {
	out := map[string]thread{}
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return out
	}
	for _, e := range ents {
		base := filepath.Join(dir, e.Name())
		cpu, err := cpuTime(filepath.Join(base, "stat"))
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join(base, "comm"))
		out[e.Name()] = thread{comm: strings.TrimSpace(string(comm)), cpu: cpu, run: runTime(filepath.Join(base, "schedstat")),
			voluntary: statusField(filepath.Join(base, "status"), "voluntary_ctxt_switches")}
	}
	return out
}

type threadRow struct {
	tid     string
	comm    string
	pct     float64
	wakeups float64
}

// threadRows is each thread's CPU and wake-ups over the span, busiest first.
// A thread born during the span counts from zero.
func threadRows(before, after map[string]thread, wall time.Duration) []threadRow {
	var rows []threadRow
	for tid, a := range after {
		b, had := before[tid] // a thread born in between counts from zero
		cpu := a.cpu - b.cpu
		if a.run >= 0 && (!had || b.run >= 0) {
			cpu = a.run - b.run
		}
		rows = append(rows, threadRow{tid: tid, comm: a.comm,
			pct:     100 * cpu.Seconds() / wall.Seconds(),
			wakeups: float64(a.voluntary-b.voluntary) / wall.Seconds()})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].pct > rows[j].pct })
	return rows
}

// writeThreadReport lists the threads and, for any that used more than 10 %
// of a core, samples what it is doing (system call, kernel stack).
func writeThreadReport(path string, pid int, rows []threadRow) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "pid %d, %d threads\n%-8s %-16s %8s %10s  %s\n", pid, len(rows), "tid", "comm", "cpu%", "wakeups/s", "wchan")
	for _, r := range rows {
		wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/wchan", pid, r.tid))
		fmt.Fprintf(&sb, "%-8s %-16s %8.2f %10.1f  %s\n", r.tid, r.comm, r.pct, r.wakeups, wchan)
	}
	for _, r := range rows {
		if r.pct < 10 {
			break
		}
		fmt.Fprintf(&sb, "\nthread %s (%s) at %.1f %%: 10 samples 20 ms apart\n", r.tid, r.comm, r.pct)
		for range 10 {
			sc, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/syscall", pid, r.tid))
			st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stack", pid, r.tid))
			fmt.Fprintf(&sb, "syscall: %s", sc)
			if len(st) > 0 {
				fmt.Fprintf(&sb, "stack:\n%s", st)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		sb.WriteString("\nsmaps_rollup:\n")
		sb.Write(maps)
	}
	sb.WriteString("\nlargest mappings by RSS:\n")
	sb.WriteString(topMappings(pid, 15))
	_ = os.WriteFile(path, []byte(sb.String()), 0o644)
}

// topMappings lists the n mappings of pid with the most resident memory.
func topMappings(pid, n int) string {
	maps, err := procmem.ReadSmaps(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return err.Error() + "\n"
	}
	sort.SliceStable(maps, func(i, j int) bool { return maps[i].RssKB > maps[j].RssKB })
	var sb strings.Builder
	for _, m := range maps[:min(n, len(maps))] {
		fmt.Fprintf(&sb, "%8d kB  %s %s %s\n", m.RssKB, m.Range, m.Perms, m.Name)
	}
	return sb.String()
}

// runTime is the first field of a task's schedstat: its time on a CPU in
// nanoseconds (what utime+stime are scaled from), or -1.
func runTime(path string) time.Duration {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return -1
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || ns < 0 {
		return -1
	}
	return time.Duration(ns)
}

// runDelta is the process's CPU time between two readings of its threads,
// in nanoseconds: false where a thread of the first reading is gone (its
// last run time is lost; the clock-tick total still has it) or a schedstat
// could not be read. A thread born in between counts from zero.
func runDelta(before, after map[string]thread) (time.Duration, bool) {
	if len(after) == 0 {
		return 0, false
	}
	var d time.Duration
	for tid, b := range before {
		a, ok := after[tid]
		if !ok || a.run < 0 || b.run < 0 {
			return 0, false
		}
		d += a.run - b.run
	}
	for tid, a := range after {
		if _, ok := before[tid]; !ok {
			if a.run < 0 {
				return 0, false
			}
			d += a.run
		}
	}
	return d, true
}

// clockTick is USER_HZ; Linux fixes it at 100 for user space.
const clockTick = 100

// cpuTime is utime+stime from a stat file (a process's: all its threads,
// live and exited; a task's: that thread).
func cpuTime(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The command name may contain spaces; fields resume after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad utime/stime")
	}
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// statusField is an integer field of a /proc status file ("VmHWM",
// "voluntary_ctxt_switches"), or 0 where the file or the field is missing.
func statusField(path, key string) int64 {
	st, err := procmem.ReadStatus(path)
	if err != nil {
		return 0
	}
	return st[key]
}

func peakRSS(pid int) (float64, error) {
	kb := statusField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM")
	if kb == 0 {
		return 0, errors.New("no VmHWM")
	}
	return float64(kb) * 1024 / 1e6, nil
}

// samplerStats pulls the last "sampler stats" lines gputop logs at shutdown.
func samplerStats(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "no log: " + err.Error()
	}
	var parts []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "sampler stats") {
			continue
		}
		var keep []string
		for _, kv := range strings.Fields(line) {
			for _, k := range []string{"gpu=", "fast_mean=", "late_p99=", "skipped=", "fast_reads="} {
				if strings.HasPrefix(kv, k) {
					keep = append(keep, kv)
				}
			}
		}
		parts = append(parts, strings.Join(keep, " "))
	}
	if len(parts) == 0 {
		return "no sampler stats in log"
	}
	// Driver calls that took over half a millisecond on average: a call in
	// a slow path shows here (gputop then spaces it out).
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "nvml call") {
			continue
		}
		var name, count, mean string
		for _, kv := range strings.Fields(line) {
			switch {
			case strings.HasPrefix(kv, "call="):
				name = strings.Trim(strings.TrimPrefix(kv, "call="), `"`)
			case strings.HasPrefix(kv, "count="):
				count = strings.TrimPrefix(kv, "count=")
			case strings.HasPrefix(kv, "mean="):
				mean = strings.TrimPrefix(kv, "mean=")
			}
		}
		if d, err := time.ParseDuration(mean); err == nil && d > 500*time.Microsecond {
			parts = append(parts, fmt.Sprintf("%s %sx%v", name, count, d.Round(10*time.Microsecond)))
		}
	}
	return strings.Join(parts, "; ")
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "overhead: "+format+"\n", args...)
	os.Exit(2)
}
