package ui

// Layout constants, in terminal cells.
const (
	chromeRows     = 3   // header, events strip, footer
	minWidth       = 60  // below this even the compact rows are unreadable
	cardMinWidth   = 44  // a GPU card narrower than this drops its graphs
	cardMaxWidth   = 100 // wider cards are split into more columns
	cardHeight     = 10  // 8 lines inside a border
	checksMinRows  = 5   // the checks pane below the GPUs, at its smallest
	sideChecksFrom = 150 // from this width the checks pane moves to the right
	wideChecksFrom = 160 // from this width no check title is cut
)

type gpuMode int

const (
	modeGrid    gpuMode = iota // one bordered card per GPU
	modeCompact                // one line per GPU
)

// layout is where everything goes for one terminal size. It is a pure
// function of the size and the GPU count so it can be tested on every size.
type layout struct {
	width, height int
	tooSmall      bool
	needW, needH  int

	mode       gpuMode
	cols       int // cards per row in grid mode
	gpuW, gpuH int

	checksSide       bool
	checksW, checksH int
}

func planLayout(width, height, gpus int) layout {
	l := layout{width: width, height: height}
	l.needW = minWidth
	l.needH = chromeRows + 1 + max(gpus, 1) + 2 // table header, rows, a checks summary
	if width < l.needW || height < l.needH {
		l.tooSmall = true
		return l
	}
	bodyH := height - chromeRows
	l.gpuW, l.checksW = width, width
	if width >= sideChecksFrom {
		l.checksSide = true
		l.checksW = min(max(width/3, 50), 72)
		if width >= wideChecksFrom {
			// Room for whole check titles (the longest, "Driver supports
			// nvcc 12.8.93 (/usr/local/cuda-12.8/bin/nvcc)", are about 62
			// cells) beside the status and 20 cells of evidence.
			l.checksW = min(max(width*2/5, 98), 120)
		}
		l.gpuW = width - l.checksW
		l.checksH = bodyH
	}
	reserve := checksMinRows
	if l.checksSide {
		reserve = 0
	}
	if gpus > 0 {
		// The fewest columns that fit vertically give the widest cards (and
		// the longest graphs), but past cardMaxWidth a card is mostly air.
		for cols := 1; cols <= min(gpus, l.gpuW/cardMinWidth); cols++ {
			rows := (gpus + cols - 1) / cols
			if (l.gpuW/cols > cardMaxWidth && cols < gpus) || rows*cardHeight+reserve > bodyH {
				continue
			}
			l.mode, l.cols = modeGrid, (gpus+rows-1)/rows // balance the rows
			l.gpuH = rows * cardHeight
			break
		}
	}
	if l.cols == 0 {
		l.mode = modeCompact
		l.gpuH = 1 + max(gpus, 1)
	}
	if !l.checksSide {
		l.checksH = bodyH - l.gpuH
	} else {
		l.gpuH = bodyH
	}
	return l
}
