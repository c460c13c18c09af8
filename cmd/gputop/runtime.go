package main

import (
	"runtime"
	"runtime/debug"
)

// Runtime sizing for a monitor that must cost less than what it watches.
//
//   - GOMAXPROCS 2: gputop's Go work (one frame, a few samples) fits on one
//     core; its driver calls block in cgo and do not hold a P once the
//     runtime retakes it. With one P per core of a 32-core host, the runtime
//     kept 21 threads and more idle Ps to wake; measured on 2x H200 at
//     10 ms, same build: 21-25 -> 14 threads, 5.8-6.0 -> 5.2 % of a core
//     (with GOGC 25), peak RSS 38.8 -> 35.2 MB at 1 s. One P was
//     tried and rejected: on a loaded 2-core machine the demo at 10 ms on 8
//     GPUs then skipped 31 of 1260 ticks (p99 lateness 16 ms, 2 P: 5 ms).
//   - GOGC 50: the heap is small (a few MB of history rings); the default
//     lets it grow to twice its live size, and at least 4 MB, before a
//     collection, which is most of the gap between gputop's peak RSS and
//     the 30 MB goal. On the demo at 10 ms on 2 GPUs: 26.9 -> 22.9 MB.
//
// GOMAXPROCS and GOGC in the environment win, as they do for any Go program.
const (
	maxProcs  = 2
	gcPercent = 50
)

func tuneRuntime(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(min(runtime.NumCPU(), maxProcs))
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
