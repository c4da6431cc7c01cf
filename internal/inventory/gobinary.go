package inventory

import (
	"context"
	"io"

	"github.com/sightline-sec/sightline/internal/gobin"
)

// goBinaryPlugin is osv-scalibr's go/binary extractor plus what
// internal/gobin reads from the same bytes: the build's GOOS/GOARCH and,
// per module record, the module's linked functions. It runs while the
// binary is at hand during the layer walk (in memory, or spilled to a
// temp file: layers are streamed, not kept); only its build info and name
// table are read.
type goBinaryPlugin struct {
	scalibrPlugin
	syms *gobin.Codec
}

func (g goBinaryPlugin) extract(ctx context.Context, in *input) ([]Record, error) {
	recs, err := g.scalibrPlugin.extract(ctx, in)
	if len(recs) > 0 && in.ra != nil {
		addGoBinary(recs, in.ra, in.size, g.syms)
	}
	return recs, err
}

// addGoBinary fills the records of one binary; when its build info
// cannot be read, each record says so (GoSymbolsNote), which the scan's
// evidence reports as "unknown" with that reason.
func addGoBinary(recs []Record, r io.ReaderAt, size int64, codec *gobin.Codec) {
	b, err := gobin.ReadAt(r, size)
	if err != nil {
		for i := range recs {
			recs[i].GoSymbolsNote = "build info unreadable: " + err.Error()
		}
		return
	}
	for i := range recs {
		r := &recs[i]
		r.GoOS, r.GoArch = b.GOOS, b.GOARCH
		r.GoSymbols = b.Symbols(codec, r.Name)
		if r.GoSymbols == nil {
			r.GoSymbolsNote = b.SymbolsErr.Error()
		}
	}
}
