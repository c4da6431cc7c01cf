package inventory

import (
	"fmt"

	"github.com/sightline-sec/sightline/internal/gobin"
)

// goBinary adds what internal/gobin reads from a Go binary to the records
// osv-scalibr's go/binary extractor made of it: the build's GOOS/GOARCH
// and, per module record, the module's linked functions. It runs while the
// binary's bytes are in memory during the layer walk (layers are streamed,
// not kept). It returns a warning when the binary could not be read.
func (x *Extractor) goBinary(recs []Record, content []byte) string {
	b, err := gobin.Read(content)
	if err != nil {
		for i := range recs {
			recs[i].GoSymbolsNote = "build info unreadable"
		}
		return fmt.Sprintf("reading Go build info for platform and symbols: %v", err)
	}
	for i := range recs {
		r := &recs[i]
		r.GoOS, r.GoArch = b.GOOS, b.GOARCH
		r.GoSymbols = b.Symbols(x.gosyms, r.Name)
		if r.GoSymbols == nil {
			r.GoSymbolsNote = b.SymbolsErr.Error()
		}
	}
	return ""
}
