package snapshot

import (
	"net/url"
	"regexp"
	"sort"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

// Per-resource file names. The collector names the output of a call made
// for one resource <operation>/<layout.EncodeID(id)>.json: bytes outside
// [A-Za-z0-9._-] percent-encoded with upper-case hex, a leading '.' too, ids
// whose encoding exceeds 200 bytes shortened to 150 bytes + "~" + 32 hex
// digits of their SHA-256. The reader also accepts what people produce by
// hand (docs/aws-snapshot.md):
//   - other percent-encodings of the id (lower-case hex; jq's @uri and
//     Python's quote, which leave '~' alone; encoders that escape more
//     bytes): every file name is decoded and re-encoded with EncodeID;
//   - the first layout's lossy names, every byte outside [A-Za-z0-9._-]
//     replaced by '_': looked up through the id the engine asks for;
//   - several outputs for one resource as <name>.json, <name>.0.json,
//     <name>.1.json …, merged in file-name order.
// Keyed-object files ({"<id>": <output>, …}) are keyed by layout.EncodeID
// of the member name.

// argKey is the file key of a resource argument.
func argKey(arg string) string { return layout.EncodeID(arg) }

// legacyKey is the first layout's file-safe id: bytes outside
// [A-Za-z0-9._-] replaced by '_'.
func legacyKey(arg string) string {
	b := []byte(arg)
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// hashedName matches layout.EncodeID's shortened names, whose prefix must
// not be decoded (the digest is of the whole id).
var hashedName = regexp.MustCompile(`~[0-9a-f]{32}$`)

// fileKey is the key of a per-resource file named stem (without ".json"):
// the name decoded and re-encoded with layout.EncodeID, which leaves
// EncodeID's own names and the old '_' names as they are.
func fileKey(stem string) string {
	if hashedName.MatchString(stem) {
		return stem
	}
	id, err := url.PathUnescape(stem)
	if err != nil || id == "" {
		return stem
	}
	return layout.EncodeID(id)
}

var partSuffix = regexp.MustCompile(`\.[0-9]+$`)

// keyIndex holds the file keys a per-resource operation was collected for.
type keyIndex struct {
	keys  map[string]bool
	parts map[string][]string // "<key>" → "<key>.0", "<key>.1", …
}

func newKeyIndex() *keyIndex {
	return &keyIndex{keys: map[string]bool{}, parts: map[string][]string{}}
}

func (x *keyIndex) add(k string) {
	if k == "" || x.keys[k] {
		return
	}
	x.keys[k] = true
	if loc := partSuffix.FindStringIndex(k); loc != nil && loc[0] > 0 {
		base := k[:loc[0]]
		x.parts[base] = append(x.parts[base], k)
	}
}

// resolve returns the keys holding arg's outputs, in file-name order:
// the collector's name, else the first layout's name, plus their parts.
// A key "<k>.<n>" is read as a part of resource <k>; no argument of the
// operations read per resource (prefix-list ids, load balancer, listener
// and target group ARNs, ECS cluster and task definition ARNs) encodes to
// another one followed by ".<n>".
func (x *keyIndex) resolve(arg string) []string {
	if x == nil {
		return nil
	}
	for _, k := range []string{argKey(arg), legacyKey(arg)} {
		var out []string
		if x.keys[k] {
			out = append(out, k)
		}
		out = append(out, x.parts[k]...)
		if len(out) > 0 {
			sort.Slice(out, func(i, j int) bool { return out[i]+".json" < out[j]+".json" })
			return out
		}
	}
	return nil
}
