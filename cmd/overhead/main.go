// Command overhead measures the CPU and memory cost of GPU monitors the way
// ../shared/reference/measurements.md did for the anchors: each tool runs in
// a tmux window (200x50 by default) for a warm-up, then for a measured span;
// CPU is the process's user+sys time over wall time (% of one core), RSS is
// the peak (VmHWM). It prints one Markdown table.
//
// It needs a Linux machine with tmux; the GPU tools it finds on PATH
// (nvidia-smi, nvtop, nvitop) are measured beside gputop.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type tool struct {
	label string
	argv  []string
	log   string // gputop's --log file, to read its sampler statistics
}

type result struct {
	tool   tool
	cpuPct float64
	rssMB  float64
	extra  string
	err    error
}

func main() {
	gputop := flag.String("gputop", "bin/gputop", "path to the gputop binary")
	warmup := flag.Duration("warmup", 5*time.Second, "time before measuring")
	span := flag.Duration("duration", 20*time.Second, "measured time per tool")
	size := flag.String("size", "200x50", "tmux window size")
	intervals := flag.String("intervals", "1s,100ms,10ms", "gputop intervals to measure")
	anchors := flag.Bool("anchors", true, "also measure nvidia-smi dmon, nvtop and nvitop when installed")
	extra := flag.String("gputop-args", "", "extra arguments for gputop (e.g. --demo)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: overhead [flags]\n\nMeasures CPU %% of one core and peak RSS of gputop and other GPU monitors in tmux.\n\n")
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

	var tools []tool
	for _, iv := range strings.Split(*intervals, ",") {
		iv = strings.TrimSpace(iv)
		if _, err := time.ParseDuration(iv); err != nil {
			fatalf("bad interval %q: %v", iv, err)
		}
		logFile := filepath.Join(logDir, "gputop-"+iv+".log")
		argv := []string{*gputop, "--interval", iv, "--log", logFile}
		if *extra != "" {
			argv = append(argv, strings.Fields(*extra)...)
		}
		tools = append(tools, tool{label: "gputop --interval " + iv, argv: argv, log: logFile})
	}
	if *anchors {
		if _, err := exec.LookPath("nvidia-smi"); err == nil {
			tools = append(tools, tool{label: "nvidia-smi dmon -d 1", argv: []string{"nvidia-smi", "dmon", "-d", "1"}})
		}
		if _, err := exec.LookPath("nvtop"); err == nil {
			tools = append(tools,
				tool{label: "nvtop -d 10 (1 s)", argv: []string{"nvtop", "-d", "10"}},
				tool{label: "nvtop -d 1 (100 ms)", argv: []string{"nvtop", "-d", "1"}})
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
		}
		results = append(results, r)
	}
	host, _ := os.Hostname()
	fmt.Printf("\nhost %s, %s window, %v measured after %v warm-up, CPU = (utime+stime)/wall, RSS = VmHWM\n\n", host, *size, *span, *warmup)
	fmt.Println("| tool and interval | CPU % of one core | peak RSS | sampler (gputop's own log) |")
	fmt.Println("|---|---|---|---|")
	for _, r := range results {
		if r.err != nil {
			fmt.Printf("| %s | error: %v | | |\n", r.tool.label, r.err)
			continue
		}
		fmt.Printf("| %s | %.2f | %.1f MB | %s |\n", r.tool.label, r.cpuPct, r.rssMB, r.extra)
	}
}

func measure(t tool, w, h string, warmup, span time.Duration) result {
	r := result{tool: t}
	socket := fmt.Sprintf("overhead-%d", os.Getpid())
	tm := func(args ...string) (string, error) {
		out, err := exec.Command("tmux", append([]string{"-L", socket}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	defer tm("kill-server")
	args := append([]string{"new-session", "-d", "-s", "m", "-x", w, "-y", h}, t.argv...)
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
	cpu0, err := cpuTime(pid)
	if err != nil {
		r.err = fmt.Errorf("%s exited during warm-up (%v); screen:\n%s", t.label, err, capture(tm))
		return r
	}
	wall0 := time.Now()
	time.Sleep(span)
	cpu1, err := cpuTime(pid)
	if err != nil {
		r.err = fmt.Errorf("%s exited while measured: %v", t.label, err)
		return r
	}
	wall := time.Since(wall0)
	r.cpuPct = 100 * (cpu1 - cpu0).Seconds() / wall.Seconds()
	r.rssMB, _ = peakRSS(pid)
	if t.log != "" {
		// q lets gputop shut down in order and log its sampler statistics.
		_, _ = tm("send-keys", "-t", "m", "q")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
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

// clockTick is USER_HZ; Linux fixes it at 100 for user space.
const clockTick = 100

// cpuTime is utime+stime of the process (all its threads, live and exited).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
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

func peakRSS(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return 0, err
			}
			return kb * 1024 / 1e6, nil
		}
	}
	return 0, errors.New("no VmHWM")
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
	return strings.Join(parts, "; ")
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "overhead: "+format+"\n", args...)
	os.Exit(2)
}
