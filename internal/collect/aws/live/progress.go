package live

import (
	"fmt"
	"io"
	"sync"
)

// progress redraws one status line ("12/36 account-regions, 2 gaps") on a
// terminal; with a nil writer it does nothing.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	done  int
	total int
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total}
	p.draw(0)
	return p
}

func (p *progress) unitDone(gaps int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.draw(gaps)
}

func (p *progress) draw(gaps int) {
	if p.w != nil {
		fmt.Fprintf(p.w, "\rcollecting: %d/%d account-regions done, %d gaps", p.done, p.total, gaps)
	}
}

func (p *progress) finish() {
	if p != nil && p.w != nil {
		fmt.Fprintln(p.w)
	}
}
