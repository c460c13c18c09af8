package ui

import "strings"

// tableCol is one typed column of a table: the GPU table, the process
// table and the overhead table are all laid out and drawn by this one
// component, so they narrow, align and mark sorting the same way.
type tableCol struct {
	Title string
	Width int  // cells; for a flexible column, its least width
	Right bool // numbers align right
	// Keep orders which columns stay when the table is narrow: lower
	// stays longer; columns of the same rank go together in their order.
	Keep int
	// Grow: a flexible column gets up to Grow spare cells (-1: every cell
	// left, for the last flexible column).
	Grow int
}

// tableLayout picks the columns of cols that fit width (one cell between
// columns) and hands the spare cells to the flexible ones. It returns the
// indexes kept, in order, and their widths.
func tableLayout(cols []tableCol, width int) (keep []int, widths []int) {
	used := 0
	kept := make([]bool, len(cols))
	maxKeep := 0
	for _, c := range cols {
		maxKeep = max(maxKeep, c.Keep)
	}
	for rank := 0; rank <= maxKeep; rank++ {
		for i, c := range cols {
			if c.Keep != rank {
				continue
			}
			gap := 1
			if used == 0 {
				gap = 0
			}
			if used+gap+c.Width <= width {
				kept[i] = true
				used += gap + c.Width
			}
		}
	}
	spare := max(width-used, 0)
	for i, c := range cols {
		if !kept[i] {
			continue
		}
		w := c.Width
		if c.Grow > 0 {
			g := min(spare, c.Grow)
			w, spare = w+g, spare-g
		}
		keep = append(keep, i)
		widths = append(widths, w)
	}
	// The last column that grows without bound takes what is left.
	for k := len(keep) - 1; k >= 0; k-- {
		if cols[keep[k]].Grow < 0 {
			widths[k] += spare
			break
		}
	}
	return keep, widths
}

// tableRow draws cells (one per kept column, in order) into their widths.
func tableRow(cols []tableCol, keep, widths []int, cells []string) string {
	var b strings.Builder
	for k, i := range keep {
		if k > 0 {
			b.WriteByte(' ')
		}
		v := ""
		if k < len(cells) {
			v = cells[k]
		}
		if cols[i].Right {
			b.WriteString(fitRight(v, widths[k]))
		} else {
			b.WriteString(fit(v, widths[k]))
		}
	}
	return b.String()
}

// tableHeader is the muted titles of the kept columns; mark (e.g. "↓")
// follows the title of column sorted, when it is kept (-1: none).
func tableHeader(st *Styles, cols []tableCol, keep, widths []int, sorted int, mark string) string {
	titles := make([]string, len(keep))
	for k, i := range keep {
		titles[k] = cols[i].Title
		if i == sorted {
			titles[k] += mark
		}
	}
	return st.muted.render(tableRow(cols, keep, widths, titles))
}
