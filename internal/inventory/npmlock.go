package inventory

// Our package-lock.json parser replaces osv-scalibr's (v0.5.3), which
// looks up each package's line with a JSON path query from the start of
// the file: time grows with the square of the size (2 / 5 / 10 MB took
// 2.5 / 14.5 / 56 s) and it never looks at its context. This one reads the
// file as a token stream (go-json-experiment's jsontext), decodes one
// entry at a time and checks ctx between entries: linear time, memory
// bounded by one entry plus the result (BenchmarkParsers measures it).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/purl"
)

const npmLockName = "javascript/packagelockjson"

// npmLock reads package-lock.json and npm-shrinkwrap.json (lockfile
// versions 1, 2 and 3; https://docs.npmjs.com/cli/configuring-npm/package-lock-json).
//
// Semantics follow npm's:
//   - v2/v3 "packages" is used when present, else v1 "dependencies";
//   - the root ("") and entries outside any node_modules/ directory are
//     the project itself and its workspace members (local code, not
//     registry packages): not listed; "link": true entries point at them;
//   - an entry resolved from a local path (file:) is local too;
//   - "dev": true marks a package only the devDependencies tree needs
//     (npm --omit=dev leaves it out); "devOptional" and "optional" ones
//     are installed without --omit=dev, so they are not dev;
//   - an alias ("node_modules/alias" with "name": "real") is the real
//     package; in v1 the version reads "npm:real@1.2.3";
//   - a package built from git has no registry version: listed without
//     one (counted as unchecked, not matched by a version it claims).
//
// Lockfiles under node_modules/ are not read: npm ignores them, and the
// installed package.json files cover what is there.
type npmLock struct{}

func (npmLock) name() string  { return npmLockName }
func (npmLock) streams() bool { return true }

func (npmLock) required(p string, _ fs.FileMode, _ int64) bool {
	b := pathBase(p)
	if b != "package-lock.json" && b != "npm-shrinkwrap.json" {
		return false
	}
	return !strings.Contains("/"+p, "/node_modules/")
}

// npmEntry is one value of "packages" (v2/v3; its "dependencies" are
// ranges, not read).
type npmEntry struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Resolved string `json:"resolved"`
	Link     bool   `json:"link"`
	Dev      bool   `json:"dev"`
}

// npmV1Entry is one value of v1 "dependencies", nested.
type npmV1Entry struct {
	Version      string                `json:"version"`
	Resolved     string                `json:"resolved"`
	Dev          bool                  `json:"dev"`
	Dependencies map[string]npmV1Entry `json:"dependencies"`
}

// jsonOpts are lenient where JavaScript's JSON.parse is: duplicate names
// (the last wins) and invalid UTF-8 in strings do not fail a lockfile.
var jsonOpts = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

func (n npmLock) extract(ctx context.Context, in *input) ([]Record, error) {
	dec := jsontext.NewDecoder(in.r, jsonOpts)
	if err := expectObject(dec); err != nil {
		return nil, err
	}
	var fromPackages, fromDeps []Record
	sawPackages := false
	for dec.PeekKind() == '"' {
		key, err := readName(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "packages":
			sawPackages = true
			fromPackages, err = n.packages(ctx, dec, in.path)
		case "dependencies":
			if sawPackages {
				err = dec.SkipValue()
				break
			}
			fromDeps, err = n.dependencies(ctx, dec, in.path)
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return append(fromPackages, fromDeps...), err
		}
	}
	if err := expectEnd(dec); err != nil {
		return append(fromPackages, fromDeps...), err
	}
	if sawPackages {
		return fromPackages, nil
	}
	return fromDeps, nil
}

// packages reads the v2/v3 "packages" object.
func (npmLock) packages(ctx context.Context, dec *jsontext.Decoder, loc string) ([]Record, error) {
	var out []Record
	err := eachMember(ctx, dec, func(key string) error {
		var e npmEntry
		if err := json.UnmarshalDecode(dec, &e, jsonOpts); err != nil {
			return fmt.Errorf("packages[%q]: %w", key, err)
		}
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 || e.Link || isLocalSpec(e.Resolved) {
			return nil // the project, a workspace member, or a link/file: to local code
		}
		name := e.Name
		if name == "" {
			name = key[i+len("node_modules/"):]
		}
		v := e.Version
		if isGitSpec(e.Resolved) || isGitSpec(v) {
			v = "" // built from a git commit: its package.json version is no registry release
		}
		out = append(out, pkgRecord(npmLockName, loc, name, v, purl.TypeNPM, e.Dev))
		return nil
	})
	return out, err
}

// dependencies reads the v1 "dependencies" tree, one top-level member at
// a time.
func (npmLock) dependencies(ctx context.Context, dec *jsontext.Decoder, loc string) ([]Record, error) {
	var out []Record
	var walk func(name string, e npmV1Entry)
	walk = func(name string, e npmV1Entry) {
		for n, d := range e.Dependencies {
			walk(n, d)
		}
		v := e.Version
		if isLocalSpec(v) {
			return
		}
		if rest, ok := strings.CutPrefix(v, "npm:"); ok {
			if at := strings.LastIndexByte(rest, '@'); at > 0 {
				name, v = rest[:at], rest[at+1:]
			}
		}
		if !looksLikeVersion(v) || isGitSpec(e.Resolved) {
			v = "" // a git or tarball URL: no registry version to match
		}
		out = append(out, pkgRecord(npmLockName, loc, name, v, purl.TypeNPM, e.Dev))
	}
	err := eachMember(ctx, dec, func(key string) error {
		var e npmV1Entry
		if err := json.UnmarshalDecode(dec, &e, jsonOpts); err != nil {
			return fmt.Errorf("dependencies[%q]: %w", key, err)
		}
		walk(key, e)
		return nil
	})
	return out, err
}

// isLocalSpec reports whether an npm version or resolved field names
// local code (file:, link:, workspace:) rather than a registry package.
func isLocalSpec(s string) bool {
	for _, p := range []string{"file:", "link:", "workspace:", "portal:"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// looksLikeVersion tells a version ("1.2.3", "1.0.0-rc.1") from a URL or
// path ("git+ssh://…", "github:u/r#sha", "https://…/x.tgz").
func looksLikeVersion(v string) bool {
	return v != "" && v[0] >= '0' && v[0] <= '9' && !strings.Contains(v, ":") && !strings.Contains(v, "/")
}

// pkgRecord builds a record the way scalibr's own extractors do, so the
// ecosystem and PURL mapping (newRecord) is the same for every parser.
func pkgRecord(ext, loc, name, version, purlType string, dev bool) Record {
	r := newRecord(&extractor.Package{Name: name, Version: version, PURLType: purlType}, ext, loc)
	r.Dev = dev
	return r
}

// checkEvery is how many entries a parser reads between looks at its
// context: frequent enough to stop within milliseconds, rare enough to cost
// nothing measurable.
const checkEvery = 256

// eachMember calls fn for each member of the object that comes next in
// dec, after reading its name; fn must consume the value.
func eachMember(ctx context.Context, dec *jsontext.Decoder, fn func(name string) error) error {
	if dec.PeekKind() != '{' {
		return dec.SkipValue() // null or another kind: nothing listed
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for n := 0; dec.PeekKind() == '"'; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		name, err := readName(dec)
		if err != nil {
			return err
		}
		if err := fn(name); err != nil {
			return err
		}
	}
	return expectEnd(dec)
}

// eachElement calls fn for each element of the array that comes next in
// dec; fn must consume the element.
func eachElement(ctx context.Context, dec *jsontext.Decoder, fn func() error) error {
	if dec.PeekKind() != '[' {
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for n := 0; dec.PeekKind() != ']'; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

func expectObject(dec *jsontext.Decoder) error {
	t, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if t.Kind() != '{' {
		return fmt.Errorf("not a JSON object (starts with %v)", t.Kind())
	}
	return nil
}

// expectEnd reads the closing token of an object or array. PeekKind
// returns 0 on a syntax error or a truncated file, so the error comes
// from ReadToken.
func expectEnd(dec *jsontext.Decoder) error {
	t, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if k := t.Kind(); k != '}' && k != ']' {
		return errors.New("malformed JSON")
	}
	return nil
}

func readName(dec *jsontext.Decoder) (string, error) {
	t, err := dec.ReadToken()
	if err != nil {
		return "", err
	}
	return t.String(), nil
}
