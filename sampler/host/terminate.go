package host

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// ErrRefused: Terminate will not signal this PID (init, or gputop itself).
var ErrRefused = errors.New("refusing to signal this process")

// killWait bounds the wait after SIGKILL. A process stuck in the kernel (a
// GPU driver call that does not return) ignores even SIGKILL until the call
// ends; the caller is told instead of the UI hanging.
var killWait = 2 * time.Second

// usePidfd is switched off by tests to exercise the fallback for kernels
// older than 5.3.
var usePidfd = true

// Terminate asks a process to exit: SIGTERM, up to grace for it to go, then
// SIGKILL. It returns nil once the process has exited (a zombie waiting for
// its parent counts as exited). It refuses PID 1 and below and gputop's own
// PID. The UI calls it only after the user confirmed; nothing calls it on
// its own.
//
// Where the kernel has pidfds, the signals go to the process that was found
// at the start even if it exits and its PID is reused during the grace time.
func Terminate(pid int32, grace time.Duration) error {
	if pid <= 1 || int(pid) == os.Getpid() {
		return fmt.Errorf("terminate PID %d: %w", pid, ErrRefused)
	}
	grace = max(grace, 0)
	if usePidfd {
		fd, err := unix.PidfdOpen(int(pid), 0)
		switch {
		case err == nil:
			defer unix.Close(fd)
			return terminatePidfd(pid, fd, grace)
		case errors.Is(err, unix.ESRCH):
			return fmt.Errorf("terminate PID %d: %w", pid, ErrNoProcess)
		}
		// ENOSYS (old kernel) or a seccomp filter: signal by number.
	}
	return terminateKill(pid, grace)
}

func terminatePidfd(pid int32, fd int, grace time.Duration) error {
	if err := unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil // exited between open and signal
		}
		return fmt.Errorf("terminate PID %d: SIGTERM: %w", pid, err)
	}
	if exited, err := waitPidfd(fd, grace); err != nil || exited {
		return wrapWait(pid, err)
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("terminate PID %d: SIGKILL: %w", pid, err)
	}
	exited, err := waitPidfd(fd, killWait)
	if err != nil {
		return wrapWait(pid, err)
	}
	if !exited {
		return fmt.Errorf("terminate PID %d: still running %v after SIGKILL (stuck in the kernel? see dmesg)", pid, killWait)
	}
	return nil
}

func wrapWait(pid int32, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("terminate PID %d: wait: %w", pid, err)
}

// waitPidfd waits until the process exits (the pidfd turns readable) or d passes.
func waitPidfd(fd int, d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, max(ms, 0))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
		if ms <= 0 {
			return false, nil
		}
	}
}

// pollEvery is how often the fallback looks whether the process is gone.
const pollEvery = 20 * time.Millisecond

func terminateKill(pid int32, grace time.Duration) error {
	if err := unix.Kill(int(pid), unix.SIGTERM); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("terminate PID %d: %w", pid, ErrNoProcess)
		}
		return fmt.Errorf("terminate PID %d: SIGTERM: %w", pid, err)
	}
	if waitGone(pid, grace) {
		return nil
	}
	if err := unix.Kill(int(pid), unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("terminate PID %d: SIGKILL: %w", pid, err)
	}
	if !waitGone(pid, killWait) {
		return fmt.Errorf("terminate PID %d: still running %v after SIGKILL (stuck in the kernel? see dmesg)", pid, killWait)
	}
	return nil
}

// waitGone polls until the PID is gone or a zombie, for at most d.
func waitGone(pid int32, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if gone(pid) {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(min(pollEvery, time.Until(deadline)))
	}
}

func gone(pid int32) bool {
	if err := unix.Kill(int(pid), 0); errors.Is(err, unix.ESRCH) {
		return true
	}
	// Signal 0 succeeds on a zombie: it has exited but its parent has not
	// collected it yet. The state letter after the name in /proc/PID/stat says.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(int(pid)) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] == 'Z' || b[i+2] == 'X'
	}
	return false
}
