package scan

import (
	"regexp"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sightline-sec/sightline/internal/inventory"
)

// cmdEntry matches the history line of a CMD or ENTRYPOINT instruction, as
// the classic builder ("/bin/sh -c #(nop)  CMD [...]") and BuildKit
// ("CMD [...]") write it.
var cmdEntry = regexp.MustCompile(`^(/bin/sh -c #\(nop\)\s+)?(CMD|ENTRYPOINT)\b`)

// markBase sets LayerRef.Base from the image history. An image built FROM
// another inherits its history; a base image built from a Dockerfile ends
// with a CMD or ENTRYPOINT (every official image on Docker Hub does). So,
// walking the history back from the end past the image's own last layer,
// the first CMD/ENTRYPOINT entry is the end of the base: layers before it
// are the base image's, layers after it were added on top. The same
// heuristic is what other scanners use to tell base from added layers.
//
// Base stays nil — cannot be told — when the history does not account for
// every layer, when no such entry exists (a FROM scratch image, a base
// without CMD), or when the image adds no layer of its own after the
// entry.
func markBase(refs []inventory.LayerRef, hist []v1.History) {
	// layerAt[i] is the layer index of history entry i (-1: empty).
	layerAt := make([]int, len(hist))
	n := 0
	for i, h := range hist {
		layerAt[i] = -1
		if !h.EmptyLayer {
			layerAt[i] = n
			n++
		}
	}
	if n != len(refs) || n == 0 {
		return
	}
	end := -1
	seenOwn := false
	for i := len(hist) - 1; i >= 0; i-- {
		if layerAt[i] >= 0 {
			seenOwn = true
			continue
		}
		if seenOwn && cmdEntry.MatchString(hist[i].CreatedBy) {
			end = i
			break
		}
	}
	if end < 0 {
		return
	}
	for i, l := range layerAt {
		if l >= 0 {
			base := i < end
			refs[l].Base = &base
		}
	}
}
