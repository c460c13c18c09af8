package ui

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

func TestGoldenDashboard(t *testing.T) {
	for _, n := range []int{1, 4, 8, 16} {
		for _, sz := range [][2]int{{80, 24}, {200, 50}} {
			t.Run(fmt.Sprintf("gpus%d_%dx%d", n, sz[0], sz[1]), func(t *testing.T) {
				cfg, _ := testConfig(n)
				m := New(withChecks(cfg))
				start(m, sz[0], sz[1])
				v := m.View()
				show(t, v)
				checkScreen(t, v, sz[0], sz[1])
				golden.RequireEqual(t, []byte(v))
			})
		}
	}
}
