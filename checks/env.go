package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gputop/gputop/model"
)

// Env is the seam between the probes and the machine. Paths given to it are
// machine paths ("/proc/driver/nvidia/version"); Root is prepended when the
// file system is read, so tests point Root at a fixture tree.
type Env struct {
	// Root of the file system, "/" on the real machine.
	Root string
	// LookupEnv reads an environment variable (os.LookupEnv on the machine).
	LookupEnv func(key string) (string, bool)
	// LookPath finds an executable on PATH and returns its machine path.
	// Nil searches $PATH (from LookupEnv) under Root.
	LookPath func(name string) (string, error)
	// Run runs a command (a machine path) and returns its combined output. It
	// must honour ctx: Gather gives every command a hard timeout.
	Run func(ctx context.Context, name string, args ...string) ([]byte, error)
	// Access reports whether the current user may read and write the machine
	// path (access(2) with R_OK|W_OK). Nil allows everything that exists.
	Access func(path string) error
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// CommandTimeout bounds each command (2 s when zero).
	CommandTimeout time.Duration
}

// maxReadBytes bounds every file read: the probes read small text files,
// and a FIFO or a huge file must not stall or bloat gathering.
const maxReadBytes = 1 << 20

// DefaultEnv is the real machine.
func DefaultEnv() Env {
	return Env{
		Root:      "/",
		LookupEnv: os.LookupEnv,
		LookPath:  exec.LookPath,
		Run:       runCommand,
		Access: func(p string) error {
			// R_OK|W_OK: CUDA opens the nodes read-write.
			return syscall.Access(p, 0x4|0x2)
		},
		Now: time.Now,
	}
}

// Command output is read through a bounded buffer that keeps the newest
// bytes: a command never costs more memory than its policy allows, however
// much it prints, and its time is bounded by the command timeout.
//
// nvcc --version prints about 300 bytes: more than maxCommandOutput is a
// hostile or broken nvcc, and it is killed at once (`yes` as nvcc took
// 1.32 GB and 4.9 s, issue 11). Other commands (dmesg, journalctl) may
// print megabytes; the newest maxLogOutput bytes are kept.
const (
	maxCommandOutput = 64 << 10
	maxLogOutput     = 4 << 20
)

// errOutputLimit ends a command that printed more than its policy allows.
var errOutputLimit = fmt.Errorf("printed more than %d bytes", maxCommandOutput)

// outputPolicy is how much of a command's output is kept, and whether
// printing more ends the command.
type outputPolicy struct {
	max  int
	kill bool
}

type outputPolicyKey struct{}

// policyFor chooses the policy by the command's name.
func policyFor(name string) outputPolicy {
	if path.Base(name) == "nvcc" {
		return outputPolicy{max: maxCommandOutput, kill: true}
	}
	return outputPolicy{max: maxLogOutput}
}

func policyOf(ctx context.Context) outputPolicy {
	if p, ok := ctx.Value(outputPolicyKey{}).(outputPolicy); ok {
		return p
	}
	return outputPolicy{max: maxLogOutput}
}

// runCommand runs a command in its own process group, so that the timeout
// (and, for nvcc, a flood of output) kills it with everything it forked.
func runCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	pol := policyOf(ctx)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	cmd := exec.CommandContext(ctx, name, args...)
	out := &limitedBuffer{max: pol.max}
	if pol.kill {
		out.full = func() { cancel(errOutputLimit) }
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The whole group: a child nvcc forks must not outlive us.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// A child that forks and keeps the pipes open must not hold us past
	// the deadline.
	cmd.WaitDelay = 100 * time.Millisecond
	err := cmd.Run()
	if cmd.Process != nil {
		// Whatever the command left behind in its group goes with it.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if errors.Is(context.Cause(ctx), errOutputLimit) {
		return out.Bytes(), fmt.Errorf("run %s: %w", name, errOutputLimit)
	}
	if err != nil {
		return out.Bytes(), fmt.Errorf("run %s: %w", name, err)
	}
	return out.Bytes(), nil
}

// limitedBuffer keeps the newest max bytes written to it and calls full
// (if set) once when more than max arrived. Writes never fail, so a
// command is ended by full or its timeout rather than by a broken pipe.
type limitedBuffer struct {
	mu    sync.Mutex
	buf   []byte
	max   int
	total int64
	full  func()
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	before := l.total
	l.total += int64(len(p))
	if len(p) >= l.max {
		l.buf = append(l.buf[:0], p[len(p)-l.max:]...)
	} else {
		if len(l.buf)+len(p) > 2*l.max {
			// Drop the oldest, keeping the newest max bytes.
			l.buf = append(l.buf[:0], l.buf[len(l.buf)-(l.max-len(p)):]...)
		}
		l.buf = append(l.buf, p...)
	}
	if l.full != nil && before <= int64(l.max) && l.total > int64(l.max) {
		l.full()
	}
	return len(p), nil
}

// Bytes is the newest max bytes written.
func (l *limitedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.buf[max(len(l.buf)-l.max, 0):])
}

// host maps a machine path to the path to open here.
func (e Env) host(p string) string {
	root := e.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

func (e Env) getenv(key string) (string, bool) {
	if e.LookupEnv == nil {
		return "", false
	}
	return e.LookupEnv(key)
}

func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

func (e Env) commandTimeout() time.Duration {
	if e.CommandTimeout > 0 {
		return e.CommandTimeout
	}
	return 2 * time.Second
}

// hostResolved maps a machine path to a host path with its symbolic links
// resolved inside Root: under a fixture root an absolute link
// (/usr/local/cuda -> /etc/alternatives/cuda) must not escape to the host's
// own /etc. On the real machine the kernel resolves links correctly.
func (e Env) hostResolved(p string) string {
	if e.Root == "" || e.Root == "/" {
		return p
	}
	_, final, err := e.resolveLinks(p)
	if err != nil {
		return e.host(p)
	}
	return e.host(final)
}

// readTimeout bounds one file read: a file on a hung network mount must not
// stall the checklist.
const readTimeout = 2 * time.Second

// errNotRegular refuses FIFOs, devices and sockets where a probe expects a
// file: reading /dev/zero or a FIFO would never end.
var errNotRegular = errors.New("not a regular file")

// readFile reads a machine path, at most maxReadBytes, within readTimeout.
// It opens without blocking (a FIFO would block open(2) until a writer
// comes) and reads only regular files.
func (e Env) readFile(p string) ([]byte, error) {
	b, err := readRegular(e.hostResolved(p), maxReadBytes, readTimeout)
	if err != nil {
		return b, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// readRegular is the bounded read behind readFile: O_NONBLOCK open, fstat,
// regular files only, at most limit bytes, given up after timeout.
func readRegular(hostPath string, limit int64, timeout time.Duration) ([]byte, error) {
	return readRegularWith(hostPath, limit, timeout, func(r io.Reader, size int64) ([]byte, error) {
		// One buffer of the file's size (io.ReadAll alone grows by
		// doubling: about twice the file in garbage); /proc and /sys
		// files say 0 and grow as before.
		var buf bytes.Buffer
		if size > 0 {
			buf.Grow(int(min(size, limit)) + bytes.MinRead) // ReadFrom wants MinRead free to read EOF
		}
		_, err := buf.ReadFrom(r)
		return buf.Bytes(), err
	})
}

// readRegularWith opens a regular file as readRegular does and hands at
// most limit bytes of it to parse, which runs on its own goroutine: a
// parse that has not finished within timeout is abandoned and its result
// dropped. Large files (the dpkg database) are parsed as a stream instead
// of being read whole.
func readRegularWith[T any](hostPath string, limit int64, timeout time.Duration, parse func(r io.Reader, size int64) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		var zero T
		f, err := os.OpenFile(hostPath, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			done <- result{zero, err}
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			done <- result{zero, err}
			return
		}
		if !st.Mode().IsRegular() {
			done <- result{zero, fmt.Errorf("%w (%s)", errNotRegular, model.FileKind(st.Mode()))}
			return
		}
		v, err := parse(io.LimitReader(f, limit), st.Size())
		done <- result{v, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, fmt.Errorf("no answer within %s", timeout)
	}
}

func (e Env) exists(p string) bool {
	_, err := os.Stat(e.hostResolved(p))
	return err == nil
}

// glob matches a machine-path pattern and returns machine paths, sorted.
// The literal directory part of the pattern is resolved inside Root, and
// the matches keep the pattern's spelling of it.
func (e Env) glob(pattern string) []string {
	dir := pattern
	for strings.ContainsAny(dir, "*?[") {
		dir = path.Dir(dir)
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(pattern, dir), "/")
	base := e.hostResolved(dir)
	matches, err := filepath.Glob(filepath.Join(base, filepath.FromSlash(rest)))
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(matches))
	for _, m := range matches {
		rel, err := filepath.Rel(base, m)
		if err != nil {
			continue
		}
		out = append(out, path.Join(dir, filepath.ToSlash(rel)))
	}
	return out
}

// resolveLinks follows a machine path's symbolic links (also in parent
// directories) inside Root. It returns every link target met, in order, and
// the final path. A dangling link returns the chain so far and an error.
func (e Env) resolveLinks(p string) (chain []string, final string, err error) {
	const maxHops = 40
	cur := path.Clean(p)
	for hops := 0; ; hops++ {
		if hops > maxHops {
			return chain, cur, fmt.Errorf("resolve %s: too many links", p)
		}
		linkAt, target, ok, lerr := e.firstLink(cur)
		if lerr != nil {
			return chain, cur, fmt.Errorf("resolve %s: %w", p, lerr)
		}
		if !ok {
			return chain, cur, nil
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(linkAt), target)
		}
		rest := strings.TrimPrefix(cur, linkAt)
		cur = path.Clean(target + rest)
		chain = append(chain, cur)
	}
}

// firstLink finds the first component of p that is a symbolic link.
func (e Env) firstLink(p string) (linkAt, target string, ok bool, err error) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := ""
	for _, part := range parts {
		if part == "" {
			continue
		}
		cur += "/" + part
		fi, err := os.Lstat(e.host(cur))
		if err != nil {
			return "", "", false, fmt.Errorf("%s: %w", cur, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(e.host(cur))
			if err != nil {
				return "", "", false, fmt.Errorf("readlink %s: %w", cur, err)
			}
			return cur, filepath.ToSlash(t), true, nil
		}
	}
	return "", "", false, nil
}

// lookPath finds an executable on PATH under Root.
func (e Env) lookPath(name string) (string, error) {
	if e.LookPath != nil {
		return e.LookPath(name)
	}
	pathVar, _ := e.getenv("PATH")
	for _, dir := range filepath.SplitList(pathVar) {
		if dir == "" || !path.IsAbs(dir) {
			continue
		}
		p := path.Join(dir, name)
		fi, err := os.Stat(e.hostResolved(p))
		if err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("look up %s on PATH: %w", name, exec.ErrNotFound)
}

// run runs a command under the command timeout.
func (e Env) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if e.Run == nil {
		return nil, errors.New("no command runner")
	}
	ctx, cancel := context.WithTimeout(ctx, e.commandTimeout())
	defer cancel()
	ctx = context.WithValue(ctx, outputPolicyKey{}, policyFor(name))
	out, err := e.Run(ctx, name, args...)
	if err != nil && ctx.Err() != nil {
		return out, fmt.Errorf("%s timed out after %s: %w", name, e.commandTimeout(), ctx.Err())
	}
	return out, err
}

func (e Env) access(p string) error {
	if e.Access != nil {
		return e.Access(e.hostResolved(p))
	}
	_, err := os.Stat(e.hostResolved(p))
	return err
}
