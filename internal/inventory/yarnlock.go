package inventory

// Our yarn.lock reader replaces osv-scalibr's, which skips only the root
// workspace: other workspace members ("pkg@workspace:packages/pkg",
// version 0.0.0-use.local) and file:/link:/portal: packages were listed as
// registry packages, to be matched against npm advisories by name.

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/google/osv-scalibr/purl"
)

const yarnLockName = "javascript/yarnlock"

// yarnLock reads yarn.lock, classic (v1, https://classic.yarnpkg.com/en/docs/yarn-lock)
// and Berry (v2+, YAML). Each block starts with an unindented header of
// descriptors ("name@range", comma-separated) and has two-space-indented
// fields; version and, in Berry, resolution ("name@npm:1.2.3") are used.
//
//   - workspace:, file:, link:, portal: packages are local code: not listed;
//   - a patch: package ("lodash@patch:lodash@npm%3A4.17.21#…") is the
//     registry package it patches, at that package's version;
//   - an alias ("alias@npm:real@1.2.3") is the real package;
//   - a git or URL package has no registry version: listed without one.
//
// yarn.lock records no dependency types, so no package is marked dev.
type yarnLock struct{}

func (yarnLock) name() string  { return yarnLockName }
func (yarnLock) streams() bool { return true }

func (yarnLock) required(p string, _ fs.FileMode, _ int64) bool {
	return pathBase(p) == "yarn.lock" && !strings.Contains("/"+p, "/node_modules/")
}

type yarnBlock struct {
	header, version, resolution, resolved string
}

func (y yarnLock) extract(ctx context.Context, in *input) ([]Record, error) {
	sc := bufio.NewScanner(in.r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var out []Record
	var cur *yarnBlock
	flush := func() {
		if cur != nil {
			if r, ok := cur.record(in.path); ok {
				out = append(out, r)
			}
		}
		cur = nil
	}
	for n := 1; sc.Scan(); n++ {
		if n%checkEvery == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case line[0] != ' ':
			flush()
			if h := strings.TrimSuffix(line, ":"); h != "__metadata" {
				cur = &yarnBlock{header: h}
			}
		case cur != nil && strings.HasPrefix(line, "  ") && line[2] != ' ':
			k, v := yarnField(line[2:])
			switch k {
			case "version":
				cur.version = v
			case "resolution":
				cur.resolution = v
			case "resolved":
				cur.resolved = v
			}
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("after %d packages: %w", len(out), err)
	}
	return out, nil
}

// yarnField splits `version "1.2.3"` (classic) or `version: 1.2.3` (Berry).
func yarnField(s string) (key, value string) {
	key, value, ok := strings.Cut(s, " ")
	if !ok {
		return "", ""
	}
	return strings.TrimSuffix(strings.Trim(key, `"`), ":"), strings.Trim(strings.TrimSpace(value), `"`)
}

// record turns a block into a package, or reports that it names none
// (local code).
func (b *yarnBlock) record(loc string) (Record, bool) {
	// Berry's resolution is the one locator the block resolved to; classic
	// headers list descriptors ("a@^1", "a@^1.2") that share the package.
	locator := b.resolution
	if locator == "" {
		locator, _, _ = strings.Cut(b.header, ",")
		locator = strings.Trim(strings.TrimSpace(locator), `"`)
	}
	name, spec := splitDescriptor(locator)
	if name == "" {
		return Record{}, false
	}
	if inner, ok := strings.CutPrefix(spec, "patch:"); ok {
		inner, _, _ = strings.Cut(inner, "#")
		if dec, err := url.PathUnescape(inner); err == nil {
			inner = dec
		}
		name, spec = splitDescriptor(inner)
	}
	if real, ok := strings.CutPrefix(spec, "npm:"); ok && len(real) > 1 && strings.Contains(real[1:], "@") {
		name, spec = splitDescriptor(real) // an alias
	}
	if isLocalSpec(spec) || isLocalSpec(b.resolved) {
		return Record{}, false
	}
	version := b.version
	if isGitSpec(spec) || isGitSpec(b.resolved) || strings.Contains(spec, "://") {
		version = ""
	}
	return pkgRecord(yarnLockName, loc, name, version, purl.TypeNPM, false), true
}

// splitDescriptor splits "name@range" and "@scope/name@range".
func splitDescriptor(d string) (name, spec string) {
	if d == "" {
		return "", ""
	}
	i := strings.IndexByte(d[1:], '@')
	if i < 0 {
		return d, ""
	}
	return d[:i+1], d[i+2:]
}

// isGitSpec reports whether a version, range or resolved field points at a
// git repository.
func isGitSpec(s string) bool {
	for _, p := range []string{"git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "ssh://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return strings.Contains(s, "#commit=") || strings.Contains(s, ".git#")
}
