package scan

import (
	"path"
	"slices"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/inventory"
)

// view is the final (squashed) filesystem as far as the inventory cares:
// for each wanted path, the layer whose copy is visible.
type view struct {
	layers []*LayerResult
	files  map[string]int    // path → index of the layer providing it
	links  map[string]string // path → symlink target, for visible links
	wh, op []map[string]bool // per layer: whiteouts, opaque dirs
	keys   map[fileAt]map[string]bool
}

// fileAt names one file in one layer.
type fileAt struct {
	layer int
	path  string
}

// has reports whether layer l's copy of p lists a record with key.
func (v *view) has(l int, p, key string) bool {
	fa := fileAt{l, p}
	set, ok := v.keys[fa]
	if !ok {
		set = map[string]bool{}
		for _, r := range v.layers[l].Files[p] {
			set[r.Key()] = true
		}
		v.keys[fa] = set
	}
	return set[key]
}

// compose applies the layers top-down. A path in layer i is visible when
// no higher layer has an entry at it, whited it (or a parent directory)
// out, or made a parent directory opaque. An opaque marker at a layer's
// root (Opaque path "") hides every lower layer (OCI image-spec layer.md,
// "Opaque Whiteout").
func compose(layers []*LayerResult) *view {
	v := &view{layers: layers, files: map[string]int{}, links: map[string]string{},
		wh: make([]map[string]bool, len(layers)), op: make([]map[string]bool, len(layers)),
		keys: map[fileAt]map[string]bool{}}
	seen := map[string]bool{}
	whited := map[string]bool{}
	opaque := map[string]bool{}
	hidden := func(p string) bool {
		if seen[p] || whited[p] || opaque[""] { // "": an opaque layer root
			return true
		}
		for d := parent(p); d != ""; d = parent(d) {
			if whited[d] || opaque[d] {
				return true
			}
		}
		return false
	}
	for i := len(layers) - 1; i >= 0; i-- {
		l := layers[i]
		var add []string
		for p := range l.Files {
			if !hidden(p) {
				v.files[p] = i
				add = append(add, p)
			}
		}
		for p := range l.OSRelease {
			if _, ok := l.Files[p]; !ok && !hidden(p) {
				v.files[p] = i
				add = append(add, p)
			}
		}
		for p, t := range l.Links {
			if !hidden(p) {
				v.links[p] = t
				add = append(add, p)
			}
		}
		for _, p := range add {
			seen[p] = true
		}
		v.wh[i], v.op[i] = map[string]bool{}, map[string]bool{}
		for _, p := range l.Whiteouts {
			whited[p], v.wh[i][p] = true, true
		}
		for _, p := range l.Opaque {
			opaque[p], v.op[i][p] = true, true
		}
	}
	return v
}

func parent(p string) string {
	d := path.Dir(p)
	if d == "." || d == "/" {
		return ""
	}
	return d
}

// osRelease returns the visible os-release fields, following symlinks
// (Debian's /etc/os-release points to ../usr/lib/os-release) within the
// image root.
func (v *view) osRelease() map[string]string {
	for _, p := range inventory.OSReleasePaths {
		for hops := 0; hops < 8; hops++ {
			if t, ok := v.links[p]; ok {
				p = image.ResolveLink(p, t)
				continue
			}
			if i, ok := v.files[p]; ok {
				if m := v.layers[i].OSRelease[p]; m != nil {
					return m
				}
			}
			break
		}
	}
	return nil
}

// visibleRecord is one extracted record and the layer that introduced it.
type visibleRecord struct {
	inventory.Record
	layer int
}

// records lists the records of all visible files, each attributed to the
// lowest layer of the unbroken run of layers whose copy of the same file
// already listed the same package: a dpkg status rewritten by every
// `apt-get install` still credits libc6 to the base layer.
func (v *view) records() []visibleRecord {
	paths := make([]string, 0, len(v.files))
	for p := range v.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var out []visibleRecord
	for _, p := range paths {
		top := v.files[p]
		for _, r := range v.layers[top].Files[p] {
			out = append(out, visibleRecord{Record: r, layer: v.introduced(p, top, r.Key())})
		}
	}
	return out
}

func (v *view) introduced(p string, top int, key string) int {
	at := top
	for l := top - 1; l >= 0; l-- {
		if v.breaksChain(l+1, p) {
			break
		}
		if _, ok := v.layers[l].Files[p]; !ok {
			if _, link := v.layers[l].Links[p]; link {
				break
			}
			continue
		}
		if !v.has(l, p, key) {
			break
		}
		at = l
	}
	return at
}

// breaksChain reports whether layer l whites out p or an ancestor, or
// makes an ancestor opaque, so lower copies of p are not its history.
func (v *view) breaksChain(l int, p string) bool {
	if v.wh[l][p] || v.op[l][""] {
		return true
	}
	for d := parent(p); d != ""; d = parent(d) {
		if v.wh[l][d] || v.op[l][d] {
			return true
		}
	}
	return false
}
