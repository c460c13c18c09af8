package ui

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

func TestPlanLayout(t *testing.T) {
	tests := []struct {
		name      string
		w, h, n   int
		tooSmall  bool
		mode      gpuMode
		cols      int
		sideCheck bool
	}{
		{"1 GPU 80x24 card", 80, 24, 1, false, modeGrid, 1, false},
		{"4 GPUs 80x24 rows", 80, 24, 4, false, modeCompact, 0, false},
		{"16 GPUs 80x24 rows", 80, 24, 16, false, modeCompact, 0, false},
		{"4 GPUs 200x50 2x2", 200, 50, 4, false, modeGrid, 2, true},
		{"8 GPUs 200x50 2x4", 200, 50, 8, false, modeGrid, 2, true},
		{"16 GPUs 200x50 rows", 200, 50, 16, false, modeCompact, 0, true},
		{"16 GPUs 250x70 grid", 250, 70, 16, false, modeGrid, 3, true},
		{"16 GPUs need 22 rows", 80, 21, 16, true, 0, 0, false},
		{"narrow", 59, 40, 1, true, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := planLayout(tt.w, tt.h, tt.n)
			if l.tooSmall != tt.tooSmall {
				t.Fatalf("tooSmall = %v, want %v", l.tooSmall, tt.tooSmall)
			}
			if l.tooSmall {
				return
			}
			if l.mode != tt.mode || (tt.mode == modeGrid && l.cols != tt.cols) || l.checksSide != tt.sideCheck {
				t.Errorf("got mode %v cols %d side %v, want mode %v cols %d side %v",
					l.mode, l.cols, l.checksSide, tt.mode, tt.cols, tt.sideCheck)
			}
			body := tt.h - chromeRows
			if !l.checksSide && l.gpuH+l.checksH != body {
				t.Errorf("GPU area %d + checks %d != body %d", l.gpuH, l.checksH, body)
			}
			if l.checksSide && l.gpuW+l.checksW != tt.w {
				t.Errorf("GPU area %d + checks %d != width %d", l.gpuW, l.checksW, tt.w)
			}
		})
	}
}

// Every size from 1x1 to 300x100 with 0..16 GPUs, in every view, must give
// exactly the terminal's size: never a panic, a wrapped line or a scroll.
// All sizes for a few GPU counts would be 500 000 screens; instead every
// width and every height is covered at the edges, plus a random sample.
func TestEverySizeFits(t *testing.T) {
	type size struct{ w, h int }
	var sizes []size
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		sizes = append(sizes, size{1 + r.IntN(300), 1 + r.IntN(100)})
	}
	if !testing.Short() && !raceEnabled {
		for w := 1; w <= 300; w++ {
			sizes = append(sizes, size{w, 24})
		}
		for h := 1; h <= 100; h++ {
			sizes = append(sizes, size{1, h}, size{80, h}, size{300, h})
		}
	}
	views := []struct {
		name string
		keys []string
	}{
		{"main", nil},
		{"help", []string{"?"}},
		{"zoom", []string{"enter"}},
		{"fix", []string{"shift+tab", "enter"}},
	}
	counts := []int{0, 1, 2, 3, 5, 8, 12, 16}
	if raceEnabled {
		counts = []int{0, 1, 16}
	}
	for _, n := range counts {
		for _, v := range views {
			m := screen(t, n, 80, 24, nil, v.keys...)
			for _, s := range sizes {
				drive(m, winSize(s.w, s.h))
				out := m.View()
				if !fitsExactly(out, s.w, s.h) {
					t.Fatalf("%d GPUs, %s view, %dx%d: screen does not fit:\n%s", n, v.name, s.w, s.h, out)
				}
			}
			m.cancel()
		}
	}
}

func fitsExactly(view string, w, h int) bool {
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		return false
	}
	for _, l := range lines {
		if lipgloss.Width(l) > w {
			return false
		}
	}
	return true
}

func FuzzViewSize(f *testing.F) {
	f.Add(80, 24, 4, uint8(0))
	f.Add(1, 1, 0, uint8(1))
	f.Add(300, 100, 16, uint8(2))
	f.Fuzz(func(t *testing.T, w, h, n int, view uint8) {
		w, h, n = 1+abs(w)%300, 1+abs(h)%100, abs(n)%17
		keys := [][]string{nil, {"?"}, {"enter"}, {"shift+tab", "enter"}}[int(view)%4]
		m := screen(t, n, w, h, nil, keys...)
		defer m.cancel()
		if out := m.View(); !fitsExactly(out, w, h) {
			t.Fatalf("%dx%d with %d GPUs does not fit:\n%s", w, h, n, out)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		if x == -x { // math.MinInt
			return 0
		}
		return -x
	}
	return x
}

// The table component keeps columns by rank while they fit and gives the
// spare cells to the flexible ones, the last flexible one taking the rest.
func TestTableLayout(t *testing.T) {
	cols := []tableCol{
		{Title: "A", Width: 4}, {Title: "NAME", Width: 6, Grow: 4}, {Title: "B", Width: 5, Keep: 2},
		{Title: "C", Width: 3, Keep: 1}, {Title: "REST", Width: 4, Grow: -1, Keep: 1},
	}
	tests := []struct {
		width        int
		keep, widths []int
	}{
		{10, []int{0, 3}, []int{4, 3}},                     // NAME (6+gap) does not fit with A; C, a lower rank, does
		{11, []int{0, 1}, []int{4, 6}},                     // A and NAME exactly
		{20, []int{0, 1, 3, 4}, []int{4, 6, 3, 4}},         // rank 1 fits, B (rank 2) does not
		{40, []int{0, 1, 2, 3, 4}, []int{4, 10, 5, 3, 14}}, // NAME grows by 4, REST takes the rest
	}
	for _, tt := range tests {
		keep, widths := tableLayout(cols, tt.width)
		if fmt.Sprint(keep) != fmt.Sprint(tt.keep) || fmt.Sprint(widths) != fmt.Sprint(tt.widths) {
			t.Errorf("width %d: keep %v widths %v, want %v %v", tt.width, keep, widths, tt.keep, tt.widths)
		}
		total := len(keep) - 1
		for _, w := range widths {
			total += w
		}
		if total > tt.width {
			t.Errorf("width %d: the table is %d cells", tt.width, total)
		}
	}
}
