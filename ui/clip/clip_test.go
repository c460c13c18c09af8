package clip

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCopyPaths(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		runErr    error
		tools     bool
		wantRun   string
		wantOSC   bool
		confirmed bool
		summary   string
	}{
		{"plain terminal: OSC 52 only, unconfirmed", nil, nil, true, "", true, false,
			"OSC 52 sent (unconfirmed: the terminal may ignore it)"},
		{"tmux: the buffer, confirmed, plus plain OSC 52", map[string]string{"TMUX": "x"}, nil, true,
			"tmux load-buffer -w -", true, true, "copied to the tmux buffer; OSC 52 sent (unconfirmed"},
		{"old tmux without -w falls back", map[string]string{"TMUX": "x"}, errOnce, true,
			"tmux load-buffer -w -|tmux load-buffer -", true, true, "copied to the tmux buffer"},
		{"wayland", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, nil, true, "wl-copy", true, true,
			"copied to the wl-copy clipboard"},
		{"X11", map[string]string{"DISPLAY": ":0"}, nil, true, "xclip -selection clipboard", true, true,
			"copied to the xclip clipboard"},
		{"X11 without xclip", map[string]string{"DISPLAY": ":0"}, nil, false, "", true, false, "OSC 52 sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var term bytes.Buffer
			var ran []string
			calls := 0
			env := Env{
				Getenv:   func(k string) string { return tt.env[k] },
				Terminal: &term,
				Run: func(_ context.Context, stdin, name string, args ...string) error {
					ran = append(ran, strings.TrimSpace(name+" "+strings.Join(args, " ")))
					if stdin != "nvidia-smi -pm 1" {
						t.Errorf("stdin %q", stdin)
					}
					calls++
					if tt.runErr != nil && calls == 1 {
						return tt.runErr
					}
					return nil
				},
				LookPath: func(string) (string, error) {
					if tt.tools {
						return "/usr/bin/x", nil
					}
					return "", errors.New("not found")
				},
			}
			res := Copy(context.Background(), "nvidia-smi -pm 1", env)
			if got := strings.Join(ran, "|"); got != tt.wantRun {
				t.Errorf("ran %q, want %q", got, tt.wantRun)
			}
			if got := strings.HasPrefix(term.String(), "\x1b]52;c;"); got != tt.wantOSC {
				t.Errorf("plain OSC 52 written: %v, want %v (%q)", got, tt.wantOSC, term.String())
			}
			if res.Confirmed() != tt.confirmed {
				t.Errorf("confirmed %v, want %v", res.Confirmed(), tt.confirmed)
			}
			if !strings.Contains(res.Summary(), tt.summary) {
				t.Errorf("summary %q lacks %q", res.Summary(), tt.summary)
			}
		})
	}
}

var errOnce = errors.New("unknown flag -w")

func TestCopyFailureIsSaid(t *testing.T) {
	res := Copy(context.Background(), "x", Env{Getenv: func(k string) string { return map[string]string{"TMUX": "x"}[k] },
		Run: func(context.Context, string, string, ...string) error { return errors.New("no server running") }})
	if res.Err() == nil || !strings.HasPrefix(res.Summary(), "copy failed: no server running") {
		t.Errorf("summary %q", res.Summary())
	}
}
