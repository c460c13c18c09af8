package cluster

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gputop/gputop/sampler/promapi"
)

// A whole program: the first fetch draws the fleet, the refresh timer
// fetches again, keys open a node and quit.
func TestFlowRefreshAndKeys(t *testing.T) {
	var fetches atomic.Int32
	m := New(Config{Source: "http://prom:9090/", Theme: "mono", Refresh: 50 * time.Millisecond,
		Fetch: func(context.Context) (*promapi.Fleet, error) {
			n := fetches.Add(1)
			return testFleet(min(int(n), 3)), nil // the fleet grows by a node per refresh
		}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 50))
	var seen bytes.Buffer
	wait := func(want string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			seen.Write(b)
			return bytes.Contains(seen.Bytes(), []byte(want))
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
		seen.Reset()
	}
	wait("1 nodes · 8 GPUs")
	wait("3 nodes · 24 GPUs") // refreshed by the timer
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("Checklist")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}
