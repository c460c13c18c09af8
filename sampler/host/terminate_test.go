package host

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestTerminateRefuses(t *testing.T) {
	for _, pid := range []int32{-5, 0, 1, int32(os.Getpid())} {
		if err := Terminate(pid, time.Second); !errors.Is(err, ErrRefused) {
			t.Errorf("Terminate(%d) = %v, want ErrRefused", pid, err)
		}
	}
}

// child is a process this test started, reaped by a goroutine so that it
// does not linger as a zombie.
type child struct {
	cmd  *exec.Cmd
	done chan error
}

// startChild starts sh -c script and waits for it to print "ready", so that
// any trap the script sets is in place before it is signalled.
func startChild(t *testing.T, script string) *child {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sh: %v", err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child did not get ready: %q %v", line, err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	return c
}

// signal waits for the child to be reaped and returns the signal that ended it.
func (c *child) signal(t *testing.T) syscall.Signal {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err // for Cleanup
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("child ended with %v, want a signal", err)
		}
		ws := ee.Sys().(syscall.WaitStatus)
		if !ws.Signaled() {
			t.Fatalf("child exited with status %d, want a signal", ws.ExitStatus())
		}
		return ws.Signal()
	case <-time.After(10 * time.Second):
		t.Fatal("child still running after Terminate returned")
	}
	return 0
}

func TestTerminate(t *testing.T) {
	for _, pidfd := range []bool{true, false} {
		name := "pidfd"
		if !pidfd {
			name = "kill"
		}
		t.Run(name, func(t *testing.T) {
			usePidfd = pidfd
			defer func() { usePidfd = true }()

			t.Run("exits on SIGTERM", func(t *testing.T) {
				c := startChild(t, "echo ready; exec sleep 300")
				if err := Terminate(int32(c.cmd.Process.Pid), 5*time.Second); err != nil {
					t.Fatalf("Terminate = %v", err)
				}
				if sig := c.signal(t); sig != syscall.SIGTERM {
					t.Errorf("ended by %v, want SIGTERM", sig)
				}
			})
			t.Run("ignores SIGTERM, gets SIGKILL after grace", func(t *testing.T) {
				// An ignored signal stays ignored across exec.
				c := startChild(t, `trap "" TERM; echo ready; exec sleep 300`)
				if err := Terminate(int32(c.cmd.Process.Pid), 100*time.Millisecond); err != nil {
					t.Fatalf("Terminate = %v", err)
				}
				if sig := c.signal(t); sig != syscall.SIGKILL {
					t.Errorf("ended by %v, want SIGKILL", sig)
				}
			})
			t.Run("already gone", func(t *testing.T) {
				c := startChild(t, "echo ready; exec sleep 300")
				pid := int32(c.cmd.Process.Pid)
				_ = c.cmd.Process.Kill()
				c.signal(t) // reaped: the PID is free
				if err := Terminate(pid, time.Second); !errors.Is(err, ErrNoProcess) {
					t.Errorf("Terminate(reaped PID) = %v, want ErrNoProcess", err)
				}
			})
		})
	}
}
