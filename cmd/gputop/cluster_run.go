//go:build !nofleet

package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/mattn/go-isatty"

	"github.com/gputop/gputop/sampler/promapi"
	"github.com/gputop/gputop/ui/cluster"
)

// runCluster opens the cluster view.
func runCluster(parent context.Context, o *options) error {
	c := &o.cluster
	client, err := promapi.NewClient(promapi.Config{URL: c.url, HTTPConfigFile: c.httpConfig, BearerTokenFile: c.bearerFile,
		BasicUser: c.user, BasicPassFile: c.passFile, CAFile: c.caFile, Insecure: c.insecure})
	if err != nil {
		return usageError("%v", err)
	}
	if !isatty.IsTerminal(os.Stdout.Fd()) || !isatty.IsTerminal(os.Stdin.Fd()) {
		return usageError("the cluster view needs a terminal")
	}
	ctx, cancel := signal.NotifyContext(parent, syscall.SIGTERM, syscall.SIGHUP)
	defer cancel()
	opts := promapi.Options{Match: c.match}
	m := cluster.New(cluster.Config{
		Fetch:   func(ctx context.Context) (*promapi.Fleet, error) { return promapi.Fetch(ctx, client, opts) },
		Refresh: c.refresh,
		Source:  client.URL(),
		Theme:   o.theme,
	})
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithFPS(20))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return &exitError{code: 2, err: err}
	}
	return nil
}
