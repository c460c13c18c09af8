package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// memProfileBaseAfter is when --memprofile writes its baseline: after the
// start-up (checks, first readings, first frames), so that
// `go tool pprof -diff_base FILE.base FILE` shows what the steady state
// allocates.
const memProfileBaseAfter = 5 * time.Second

// startMemProfile samples every allocation of about 4 KiB (the runtime's
// default is one per 512 KiB: a monitor allocating a few hundred KB a second
// would give a handful of samples) and writes the allocation profile to
// path+".base" after memProfileBaseAfter and to path when stop is called.
func startMemProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	runtime.MemProfileRate = 4096
	base := time.AfterFunc(memProfileBaseAfter, func() {
		if b, err := os.Create(path + ".base"); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(b, 0)
			_ = b.Close()
		}
	})
	return func() error {
		base.Stop()
		err := pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}
