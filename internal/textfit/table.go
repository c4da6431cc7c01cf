package textfit

import (
	"bufio"
	"io"
	"slices"
	"strings"
)

// gap is the space between two table columns.
const gap = 2

// defaultMinLast is the narrowest the wrapping last column may get
// before the other columns are shortened to make room.
const defaultMinLast = 24

// Table is rows of cells laid out in columns that fit Width: every column
// but the last is as wide as its widest cell; the last column takes the
// rest of the line and wraps, its continuation lines indented under it.
// When the fixed columns alone leave the last one fewer than MinLast columns,
// the widest fixed columns are shortened (CutMiddle), a column at a time
// so they end equally wide, until it fits or
// every fixed column is at most MaxCell wide.
type Table struct {
	Header []string
	Rows   [][]string
	Width  int // total line width; 0 means DefaultWidth
	// MinLast is the narrowest the last column may get before fixed
	// columns are shortened; 0 means 24.
	MinLast int
	// Squeeze lists the fixed columns to shorten first (e.g. an image
	// reference rather than an instance ID); the others are shortened only
	// once these are down to MaxCell. Empty: any column.
	Squeeze []int
	// Cut shortens the cells of a fixed column that does not fit, by
	// column index; CutMiddle for a column not listed.
	Cut map[int]func(s string, n int) string
}

// Add appends one row.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

// MaxCell is the width fixed columns are never shortened below.
const MaxCell = 12

// Write writes the table, one line per row plus continuation lines.
// No written line is longer than Width.
func (t *Table) Write(w io.Writer) error {
	width := t.Width
	if width <= 0 {
		width = DefaultWidth
	}
	rows := make([][]string, 0, len(t.Rows)+1)
	if len(t.Header) > 0 {
		rows = append(rows, t.Header)
	}
	rows = append(rows, t.Rows...)
	for i, r := range rows {
		rows[i] = visibleCells(r)
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return nil
	}
	minLast := t.MinLast
	if minLast <= 0 {
		minLast = defaultMinLast
	}
	widths := t.widths(rows, cols, width, minLast)
	bw := bufio.NewWriter(w)
	for _, r := range rows {
		writeRow(bw, r, widths, cols, width, minLast, t.Cut)
	}
	return bw.Flush()
}

// visibleCells is r with every cell passed through Visible (a copy
// only when a cell changes).
func visibleCells(r []string) []string {
	out := r
	for j, c := range r {
		if v := Visible(c); v != c {
			if &out[0] == &r[0] {
				out = slices.Clone(r)
			}
			out[j] = v
		}
	}
	return out
}

// widths sizes the fixed columns (all but the last).
func (t *Table) widths(rows [][]string, cols, width, minLast int) []int {
	widths := make([]int, cols-1)
	for _, r := range rows {
		for i := 0; i < cols-1 && i < len(r); i++ {
			widths[i] = max(widths[i], Len(r[i]))
		}
	}
	fixed := func() int {
		n := 0
		for _, w := range widths {
			n += w + gap
		}
		return n
	}
	widestOf := func(cols []int) int {
		widest := -1
		for _, i := range cols {
			if i < len(widths) && widths[i] > MaxCell && (widest < 0 || widths[i] > widths[widest]) {
				widest = i
			}
		}
		return widest
	}
	all := make([]int, len(widths))
	for i := range all {
		all[i] = i
	}
	for width-fixed() < minLast {
		widest := widestOf(t.Squeeze)
		if widest < 0 {
			widest = widestOf(all)
		}
		if widest < 0 {
			break
		}
		// One column at a time, a column each step: the widest columns
		// end equally wide rather than one losing everything.
		widths[widest]--
	}
	// Too many columns for the line even at MaxCell: shrink further, so
	// the fixed part itself never runs past the edge.
	for fixed() > width {
		widest := 0
		for i, w := range widths {
			if w > widths[widest] {
				widest = i
			}
		}
		if widths[widest] <= 1 {
			break
		}
		widths[widest]--
	}
	return widths
}

func writeRow(bw *bufio.Writer, r []string, widths []int, cols, width, minLast int, cuts map[int]func(string, int) string) {
	var line strings.Builder
	indent := 0
	for i := 0; i < cols-1; i++ {
		cell := ""
		if i < len(r) {
			cut := cuts[i]
			if cut == nil {
				cut = CutMiddle
			}
			cell = cut(r[i], widths[i])
			if Len(cell) > widths[i] { // a cutter that does not fit: never past the column
				cell = CutMiddle(cell, widths[i])
			}
		}
		line.WriteString(cell)
		line.WriteString(strings.Repeat(" ", widths[i]-Len(cell)+gap))
		indent += widths[i] + gap
	}
	last := ""
	if len(r) == cols {
		last = r[cols-1]
	}
	room := width - indent
	if room < minLast/2 { // fixed columns already fill the line: wrap under them
		bw.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		for _, l := range Indent(last, 4, width) {
			bw.WriteString(l + "\n")
		}
		return
	}
	parts := Wrap(last, room)
	if len(parts) == 0 {
		bw.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		return
	}
	bw.WriteString(line.String() + parts[0] + "\n")
	pad := strings.Repeat(" ", indent)
	for _, p := range parts[1:] {
		bw.WriteString(pad + p + "\n")
	}
}
