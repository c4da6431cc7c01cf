package inventory

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"testing/fstest"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/cpp/conanlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/packageslockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/elixir/mixlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/swift/packageresolved"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	"github.com/google/osv-scalibr/extractor/filesystem/osv"
	scalibrlog "github.com/google/osv-scalibr/log"

	"github.com/sightline-sec/sightline/internal/gobin"
)

func init() {
	// osv-scalibr logs through a package-level logger to stdout by
	// default; our stdout carries the scan result, so silence it. Problems
	// we care about surface as returned errors and our own warnings.
	scalibrlog.SetLogger(quietLogger{})
}

// plugin is one file parser: an osv-scalibr extractor behind scalibrPlugin,
// or one of ours (npmlock.go, …) where scalibr has none or its parser is
// superlinear or drops information we need.
type plugin interface {
	name() string
	// required decides from the path, mode and size alone (a tar header)
	// whether the parser wants the file. It must not reject by size:
	// ExtractFile reports a file too large to read.
	required(p string, mode fs.FileMode, size int64) bool
	// streams reports whether extract reads in.r once from front to back
	// with memory bounded by a record, not by the file; such a parser gets
	// the tar stream itself, whatever the file's size.
	streams() bool
	// extract parses one file. Records read before an error are returned
	// with it. It stops soon after ctx is done.
	extract(ctx context.Context, in *input) ([]Record, error)
}

// scalibrConstructors are the osv-scalibr extractors we use, with whether
// each reads its input as a stream (dpkg and apk parse record by record
// with bufio; the others read the whole file first).
var scalibrConstructors = []struct {
	new    func(*cpb.PluginConfig) (filesystem.Extractor, error)
	stream bool
	fix    func(*extractor.Package) // adjusts a package to our meaning; optional
}{
	{new: dpkg.New, stream: true}, {new: apk.New, stream: true}, {new: rpm.New},
	{new: gobinary.New}, {new: cargoauditable.New}, {new: cargolock.New},
	{new: packagejson.New},
	{new: wheelegg.New}, {new: javaarchive.New}, {new: gemspec.New}, {new: depsjson.New},
	// Source-tree lockfiles and manifests.
	{new: requirements.New, fix: pinnedOnly},
	{new: pylock.New},
	{new: packageslockjson.New},
	{new: conanlock.New}, {new: mixlock.New},
	{new: packageresolved.New},
}

// ownPlugins are our parsers (one file each, named for the format).
func ownPlugins() []plugin {
	return []plugin{npmLock{}, composerLock{}, bunLock{}, gradleLock{}, condaMeta{}, goMod{}, poetryLock{}, yarnLock{}, packagesConfig{}, uvLock{}, pnpmLock{}, pubspecLock{}, pipfileLock{}, pdmLock{}, pomXML{}, podfileLock{}, gemfileLock{}}
}

func newPlugins() ([]plugin, error) {
	// Every scalibr extractor has its own file size limit, and the one in
	// FileRequired silently answers "not wanted" above it (dpkg: 100 MiB,
	// so a 150 MiB status file gave no packages and no word). Lifting
	// them all here leaves one limit, ours, which is reported.
	cfg := &cpb.PluginConfig{MaxFileSizeBytes: math.MaxInt64}
	codec, err := gobin.NewCodec()
	if err != nil {
		return nil, err
	}
	var ps []plugin
	for _, c := range scalibrConstructors {
		e, err := c.new(cfg)
		if err != nil {
			return nil, fmt.Errorf("initialising extractor: %w", err)
		}
		var pl plugin = scalibrPlugin{e: e, stream: c.stream, fix: c.fix}
		if e.Name() == gobinary.Name {
			pl = goBinaryPlugin{scalibrPlugin: pl.(scalibrPlugin), syms: codec}
		}
		ps = append(ps, pl)
	}
	return append(ps, ownPlugins()...), nil
}

// scalibrPlugin adapts an osv-scalibr extractor. The extractor sees an FS
// holding only its own file (buffered input) or nothing (a stream):
// extractors that look at sibling files (go.mod's go.sum below go 1.17,
// package-lock.json's npm-shrinkwrap.json) find none.
type scalibrPlugin struct {
	e      filesystem.Extractor
	stream bool
	fix    func(*extractor.Package)
}

func (s scalibrPlugin) name() string  { return s.e.Name() }
func (s scalibrPlugin) streams() bool { return s.stream }

func (s scalibrPlugin) required(p string, mode fs.FileMode, size int64) bool {
	return s.e.FileRequired(fileAPI{p: p, info: fileInfo{name: pathBase(p), size: size, mode: mode}})
}

func (s scalibrPlugin) extract(ctx context.Context, in *input) ([]Record, error) {
	si := &filesystem.ScanInput{FS: fstest.MapFS{}, Path: in.path, Info: in.info(), Reader: in.r}
	if in.ra != nil {
		// The file alone, read at offsets: no copy of its content.
		si.FS = oneFileFS{p: in.path, info: in.info(), r: in.ra}
	}
	inv, err := s.e.Extract(ctx, si)
	recs := make([]Record, 0, len(inv.Packages))
	for _, pkg := range inv.Packages {
		if s.fix != nil {
			s.fix(pkg)
		}
		r := newRecord(pkg, s.e.Name(), in.path)
		if g, ok := pkg.Metadata.(osv.DepGroups); ok {
			r.Dev = devGroups(s.e.Name(), g.DepGroups())
		}
		recs = append(recs, r)
	}
	return recs, err
}

// devGroups tells from a scalibr package's dependency groups whether it is
// only a development/test dependency, in each format's own terms:
//   - conan.lock: "build-requires" (tools run at build time, not linked).
func devGroups(ext string, groups []string) bool {
	if len(groups) == 0 {
		return false
	}
	switch ext {
	case conanlock.Name:
		return slices.Contains(groups, "build-requires")
	}
	return slices.Contains(groups, "dev")
}

// pinnedOnly keeps a requirements.txt version only when it is pinned
// ("==1.2.3", "===1.2.3"): scalibr reports the lowest version a range
// allows ("keyring >= 4.1.1" as 4.1.1), which is not what is installed and
// would report that version's advisories. An unpinned requirement is
// listed without a version (counted as unchecked), as Trivy does.
func pinnedOnly(p *extractor.Package) {
	m, ok := p.Metadata.(*requirements.Metadata)
	if !ok {
		return
	}
	if (m.VersionComparator != "==" && m.VersionComparator != "===") || strings.Contains(p.Version, "*") {
		p.Version = ""
	}
}

func pathBase(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
