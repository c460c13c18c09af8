package ui

import (
	"testing"

	"github.com/gputop/gputop/model"
)

func TestListTitlePutsTheGPUFirst(t *testing.T) {
	for _, c := range []struct {
		r    model.CheckResult
		want string
	}{
		{model.CheckResult{Title: "PCIe link: GPU 3 (NVIDIA H100 80GB HBM3)", GPU: model.Some(3)}, "GPU 3 PCIe link"},
		{model.CheckResult{Title: "Persistence mode", GPU: model.Some(0)}, "GPU 0 Persistence mode"},
		{model.CheckResult{Title: "NVIDIA kernel driver loaded"}, "NVIDIA kernel driver loaded"},
	} {
		if got := listTitle(c.r); got != c.want {
			t.Errorf("listTitle(%q) = %q, want %q", c.r.Title, got, c.want)
		}
	}
}
