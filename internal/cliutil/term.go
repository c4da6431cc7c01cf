package cliutil

import (
	"io"
	"os"

	"golang.org/x/term"

	"github.com/sightline-sec/sightline/internal/textfit"
)

// minWidth keeps layouts usable on absurdly narrow terminals.
const minWidth = 40

// TermWidth is the width tables written to w must fit: the terminal's
// column count when w is a terminal, else textfit.DefaultWidth (80), so
// piped and redirected output is the same on every machine.
func TermWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return textfit.DefaultWidth
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols <= 0 {
		return textfit.DefaultWidth
	}
	return max(cols, minWidth)
}

// Width is TermWidth of the command's standard output.
func (g *Globals) Width() int { return TermWidth(g.Stdout) }
