// Package clip puts text on the user's clipboard by every path that can
// work where gputop runs, and says honestly which ones it used and whether
// any of them could confirm success.
//
// Inside tmux, OSC 52 wrapped in DCS passthrough is dropped by tmux 3.3+
// with default options, so the text goes into tmux's own buffer with
// `tmux load-buffer -w -` (-w also forwards it to the outer terminal's
// clipboard when tmux can), plus a plain OSC 52, which tmux takes when
// set-clipboard is on. Outside tmux, OSC 52 goes to the terminal, and
// wl-copy or xclip copy too where a display is set.
package clip

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"
)

// Path is one way the text went.
type Path struct {
	Name      string // "tmux buffer", "OSC 52", "wl-copy", "xclip"
	Confirmed bool   // the tool reported success; OSC 52 never can
	Err       error  // why the path failed (then it is not counted)
}

// Result is what a copy did.
type Result struct {
	Text  string
	Paths []Path
}

// Confirmed reports whether a path confirmed the copy.
func (r Result) Confirmed() bool {
	for _, p := range r.Paths {
		if p.Err == nil && p.Confirmed {
			return true
		}
	}
	return false
}

// Used lists the paths that did not fail.
func (r Result) Used() []Path {
	var out []Path
	for _, p := range r.Paths {
		if p.Err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Err is the first failure when no path worked at all.
func (r Result) Err() error {
	if len(r.Used()) > 0 {
		return nil
	}
	for _, p := range r.Paths {
		if p.Err != nil {
			return p.Err
		}
	}
	return errors.New("no clipboard path available")
}

// Summary is the footer's honest sentence.
func (r Result) Summary() string {
	used := r.Used()
	if len(used) == 0 {
		return "copy failed: " + r.Err().Error()
	}
	var sure, unsure []string
	for _, p := range used {
		if p.Confirmed {
			sure = append(sure, p.Name)
		} else {
			unsure = append(unsure, p.Name)
		}
	}
	var parts []string
	if len(sure) > 0 {
		parts = append(parts, "copied to the "+strings.Join(sure, " and "))
	}
	if len(unsure) > 0 {
		parts = append(parts, strings.Join(unsure, ", ")+" sent (unconfirmed: the terminal may ignore it)")
	}
	return strings.Join(parts, "; ")
}

// Env is where the copy goes; the zero fields are filled with the real ones.
type Env struct {
	Getenv   func(string) string
	Terminal io.Writer // receives OSC 52 (nil: no OSC 52)
	// Run runs a command with text on its standard input (exec by default;
	// tests record instead).
	Run func(ctx context.Context, stdin string, name string, args ...string) error
	// LookPath finds a tool (exec.LookPath by default).
	LookPath func(string) (string, error)
}

// runTimeout bounds each helper tool.
const runTimeout = 2 * time.Second

func execRun(ctx context.Context, stdin string, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if msg := strings.TrimSpace(string(out)); msg != "" {
			return errors.New(name + ": " + firstLine(msg))
		}
		return err
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Copy puts text on the clipboard by every path that applies. It runs
// helper tools, so call it off the UI goroutine.
func Copy(ctx context.Context, text string, env Env) Result {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Run == nil {
		env.Run = execRun
	}
	if env.LookPath == nil {
		env.LookPath = exec.LookPath
	}
	res := Result{Text: text}
	if env.Getenv("TMUX") != "" {
		err := env.Run(ctx, text, "tmux", "load-buffer", "-w", "-")
		if err != nil {
			// tmux before 3.2 has no -w: the buffer alone still pastes.
			err = env.Run(ctx, text, "tmux", "load-buffer", "-")
		}
		res.Paths = append(res.Paths, Path{Name: "tmux buffer", Confirmed: true, Err: err})
	}
	if env.Terminal != nil {
		_, err := osc52.New(text).WriteTo(env.Terminal)
		res.Paths = append(res.Paths, Path{Name: "OSC 52", Err: err})
	}
	if env.Getenv("WAYLAND_DISPLAY") != "" {
		if _, err := env.LookPath("wl-copy"); err == nil {
			res.Paths = append(res.Paths, Path{Name: "wl-copy clipboard", Confirmed: true,
				Err: env.Run(ctx, text, "wl-copy")})
		}
	} else if env.Getenv("DISPLAY") != "" {
		if _, err := env.LookPath("xclip"); err == nil {
			res.Paths = append(res.Paths, Path{Name: "xclip clipboard", Confirmed: true,
				Err: env.Run(ctx, text, "xclip", "-selection", "clipboard")})
		}
	}
	return res
}
