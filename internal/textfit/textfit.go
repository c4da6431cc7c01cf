// Package textfit lays out text for a terminal of a given width: word
// wrapping, shortening with an ellipsis, and tables whose last column
// wraps instead of running past the edge.
//
// Widths are counted in runes, which is the display width for the text
// Sightline prints (ASCII identifiers, version strings, English prose and
// the "…" and "—" punctuation). East Asian wide characters would count as
// one column and could overflow; no table prints such text today.
//
// Why our own code: the layouts needed are three small functions; the
// terminal table libraries (tablewriter, lipgloss) bring colour, borders
// and Unicode width tables we do not use, and their wrapping does not
// indent continuation lines under the wrapped column.
package textfit

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultWidth is the width used when the output is not a terminal: the
// classic 80 columns, which also fit a CI log viewer and an e-mail.
const DefaultWidth = 80

// Len is the display width of s in columns (runes; see the package doc).
func Len(s string) int { return utf8.RuneCountInString(s) }

// Visible replaces every control character (C0 including newline and
// tab, DEL, C1; ECMA-48 escape sequences start with one) and every bidi
// formatting character (Unicode UAX #9: they reorder what follows) with
// a visible Go escape (\x1b, \u202e), so text from an input file can
// neither move the cursor, recolour or clear the terminal, nor break a
// line or a table. Table.Write applies it to every cell; Wrap and Hang
// to every word (whitespace, newlines included, only separates words).
func Visible(s string) string {
	if !strings.ContainsFunc(s, invisible) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !invisible(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// invisible is a rune Visible escapes.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// Cut shortens s to at most n columns, replacing the tail with "…".
// n < 1 returns "".
func Cut(s string, n int) string {
	if n < 1 {
		return ""
	}
	if Len(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// CutMiddle shortens s to at most n columns by replacing its middle with
// "…", keeping both ends: identifiers differ at their start (type) and end
// (unique suffix), as in "arn:aws:ecs:…:task/web/8c1f…".
func CutMiddle(s string, n int) string {
	if n < 1 {
		return ""
	}
	if Len(s) <= n {
		return s
	}
	r := []rune(s)
	head := (n - 1) / 2
	tail := n - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// CutLeft shortens s to at most n columns by replacing its head with
// "…", keeping the tail: the part of an image reference or a name that
// tells similar ones apart ("…/adservice:v0.10.6").
func CutLeft(s string, n int) string {
	if n < 1 {
		return ""
	}
	if Len(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-(n-1):])
}

// Wrap breaks s into lines of at most width columns at spaces. A word
// longer than width (URLs, long ids) is split after its last separator
// ("/", "-", ".", ":", ",", ";", "_", "=", "@") that leaves at least half
// a line, else at width, so no line is ever longer than width and an
// identifier is cut between its parts where it has any. Runs of spaces collapse; an empty s gives no lines.
// width < 1 is treated as 1.
func Wrap(s string, width int) []string {
	width = max(width, 1)
	var lines []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if curLen > 0 {
			lines = append(lines, cur.String())
			cur.Reset()
			curLen = 0
		}
	}
	for _, w := range strings.Fields(s) {
		w = Visible(w) // whitespace controls (newline, tab) separate words
		for Len(w) > width {
			flush()
			r := []rune(w)
			at := splitAt(r, width)
			lines = append(lines, string(r[:at]))
			w = string(r[at:])
		}
		n := Len(w)
		if curLen > 0 && curLen+1+n > width {
			flush()
		}
		if curLen > 0 {
			cur.WriteByte(' ')
			curLen++
		}
		cur.WriteString(w)
		curLen += n
	}
	flush()
	return lines
}

// splitAt is where a word of runes r longer than width is split: after
// the last separator within width that keeps at least half the line.
func splitAt(r []rune, width int) int {
	for i := width; i > width/2; i-- {
		if strings.ContainsRune("/-.:,;_=@", r[i-1]) {
			return i
		}
	}
	return width
}

// Indent wraps s to width columns and prefixes every line with indent
// spaces, the first line included; the prefix counts against width.
func Indent(s string, indent, width int) []string {
	pad := strings.Repeat(" ", indent)
	lines := Wrap(s, width-indent)
	for i := range lines {
		lines[i] = pad + lines[i]
	}
	return lines
}

// Hang lays out text after prefix: as many words as fit on the first
// line (width minus the prefix), the rest wrapped on lines indented by
// cont spaces. A word longer than a whole line is split. The prefix is
// kept whole, so only a prefix longer than width gives a longer line.
func Hang(prefix, text string, cont, width int) []string {
	prefix = Visible(prefix)
	width = max(width, 1)
	if cont >= width { // no room after the indent: continuation lines start at 0
		cont = 0
	}
	indent := strings.Repeat(" ", cont)
	line, room, used := prefix, width-Len(prefix), 0
	var lines []string
	newLine := func() {
		lines = append(lines, line)
		line, room, used = indent, width-cont, 0
	}
	for _, w := range strings.Fields(text) {
		w = Visible(w) // whitespace controls (newline, tab) separate words
		for w != "" {
			n := Len(w)
			switch {
			case used > 0 && used+1+n <= room:
				line += " " + w
				used += 1 + n
				w = ""
			case used == 0 && n <= room:
				line += w
				used = n
				w = ""
			case used > 0 || room < 1 || n <= width-cont:
				newLine()
			default: // longer than the room of an empty line: split it
				r := []rune(w)
				at := splitAt(r, room)
				line += string(r[:at])
				w = string(r[at:])
				newLine()
			}
		}
	}
	return append(lines, line)
}
