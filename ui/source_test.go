package ui

import (
	"testing"
	"time"
)

// The null Source of the no-GPU session has nothing, and says so safely.
func TestNullSource(t *testing.T) {
	var src Source = nullSource{}
	if src.GPUCount() != 0 || src.EventCount() != 0 || len(src.Events(nil, 10)) != 0 || src.Updates() != nil {
		t.Error("the null source is not empty")
	}
	f := newFrame(src)
	f.refresh(src, time.Unix(0, 0), true)
	if len(f.GPUs) != 0 {
		t.Error("a frame of the null source has GPUs")
	}
}
