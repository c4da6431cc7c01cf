package inventory

// Library choice: osv-scalibr (github.com/google/osv-scalibr) is the
// extraction library. Its extractors are split into FileRequired(path,
// info) and Extract(one file), which lets the layer walker decide from a tar
// header alone whether an entry matters and hand over just that file's
// bytes while the layer streams past — nothing is unpacked to disk. Its
// ecosystem and PURL mapping is the one OSV advisories are keyed by. syft's
// catalogers instead run over a file resolver of a whole source (its image
// source, stereoscope, unpacks every layer into a temp dir first), which is
// what the issue forbids. Measurement behind the choice: docs/scan.md.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	scalibrlog "github.com/google/osv-scalibr/log"
	"github.com/google/osv-scalibr/purl"
)

// ExtractorVersion changes whenever extraction output may change; it is
// part of the layer cache key so stale cached results are never reused.
const ExtractorVersion = "scalibr-0.5.3/1"

// DefaultMaxFileSize bounds the bytes buffered for one file (a Go binary,
// a jar, a status file). Larger files are skipped with a warning.
const DefaultMaxFileSize = 512 << 20

var constructors = []func(*cpb.PluginConfig) (filesystem.Extractor, error){
	dpkg.New, apk.New, rpm.New,
	gobinary.New, cargoauditable.New, cargolock.New,
	packagejson.New, packagelockjson.New, yarnlock.New, pnpmlock.New,
	wheelegg.New, javaarchive.New, gemspec.New, composerlock.New, depsjson.New,
}

func init() {
	// osv-scalibr logs through a package-level logger to stdout by
	// default; our stdout carries the scan result, so silence it. Problems
	// we care about surface as returned errors and our own warnings.
	scalibrlog.SetLogger(quietLogger{})
}

// Extractor decides which files matter and turns one file into records.
type Extractor struct {
	exts        []filesystem.Extractor
	MaxFileSize int64
}

// NewExtractor builds the extractor set: OS packages (dpkg incl. distroless
// status.d, apk, rpm), Go and Rust binaries, npm, Python, Java, Ruby,
// Rust, PHP and .NET metadata.
func NewExtractor() (*Extractor, error) {
	x := &Extractor{MaxFileSize: DefaultMaxFileSize}
	for _, c := range constructors {
		e, err := c(&cpb.PluginConfig{})
		if err != nil {
			return nil, fmt.Errorf("initialising extractor: %w", err)
		}
		x.exts = append(x.exts, e)
	}
	return x, nil
}

// Required reports whether any extractor wants the file at p
// (root-relative, slash-separated).
func (x *Extractor) Required(p string, mode fs.FileMode, size int64) bool {
	api := fileAPI{p: p, info: fileInfo{name: path.Base(p), size: size, mode: mode}}
	for _, e := range x.exts {
		if e.FileRequired(api) {
			return true
		}
	}
	return false
}

// Extract runs every interested extractor on one file's content. An
// extractor that fails on the file yields a warning, not an error: one
// corrupt file must not hide the rest of the image.
func (x *Extractor) Extract(ctx context.Context, p string, mode fs.FileMode, content []byte) ([]Record, []string) {
	return x.ExtractAt(ctx, p, mode, bytes.NewReader(content), int64(len(content)))
}

// ExtractAt is Extract for size bytes of content behind r, such as a
// large file spilled to a temp file. Each extractor gets its own
// io.SectionReader (an io.Reader and io.ReaderAt), so those that read at
// offsets (Go and Rust binaries, jars, wheels) read only the parts they
// need instead of loading the whole file, and the extractor's view of the
// filesystem is that one file (oneFileFS), not a copy of it.
func (x *Extractor) ExtractAt(ctx context.Context, p string, mode fs.FileMode, r io.ReaderAt, size int64) ([]Record, []string) {
	info := fileInfo{name: path.Base(p), size: size, mode: mode}
	api := fileAPI{p: p, info: info}
	var recs []Record
	var warns []string
	for _, e := range x.exts {
		if !e.FileRequired(api) {
			continue
		}
		in := &filesystem.ScanInput{
			FS:     oneFileFS{p: p, info: info, r: r},
			Path:   p,
			Info:   info,
			Reader: io.NewSectionReader(r, 0, size),
		}
		inv, err := safeExtract(ctx, e, in)
		if err != nil {
			warns = append(warns, fmt.Sprintf("%s: %s extractor: %v", p, e.Name(), err))
		}
		for _, pkg := range inv {
			recs = append(recs, newRecord(pkg, e.Name(), p))
		}
	}
	return recs, warns
}

// safeExtract turns a panic inside a third-party parser into an error.
func safeExtract(ctx context.Context, e filesystem.Extractor, in *filesystem.ScanInput) (pkgs []*extractor.Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser panicked: %v", r)
		}
	}()
	inv, err := e.Extract(ctx, in)
	return inv.Packages, err
}

// Record is one package as extracted from one file, before the final
// OS is known. It is what the layer cache stores, so it is plain JSON.
type Record struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	PURLType  string   `json:"purl_type"`
	Extractor string   `json:"extractor"`
	Location  string   `json:"location"`
	Ecosystem string   `json:"ecosystem,omitempty"` // language packages: final already
	PURL      string   `json:"purl,omitempty"`      // language packages: final already
	Licenses  []string `json:"licenses,omitempty"`

	// OS package metadata; its OS fields are filled from the final
	// os-release when the record becomes a Package.
	Dpkg *dpkgmeta.Metadata `json:"dpkg,omitempty"`
	Apk  *apkmeta.Metadata  `json:"apk,omitempty"`
	Rpm  *rpmmeta.Metadata  `json:"rpm,omitempty"`
}

// Key identifies a record across layers (for attribution and dedup).
func (r Record) Key() string { return r.PURLType + "\x00" + r.Name + "\x00" + r.Version }

func newRecord(p *extractor.Package, ext, loc string) Record {
	r := Record{Name: p.Name, Version: p.Version, PURLType: p.PURLType, Extractor: ext,
		Location: loc, Licenses: p.Licenses}
	switch m := p.Metadata.(type) {
	case *dpkgmeta.Metadata:
		r.Dpkg = m
	case *apkmeta.Metadata:
		r.Apk = m
	case *rpmmeta.Metadata:
		r.Rpm = m
	default:
		r.Ecosystem = p.Ecosystem().String()
		if u := p.PURL(); u != nil {
			r.PURL = dropUnknownQualifiers(u.String())
		}
	}
	return r
}

// dropUnknownQualifiers removes "source=UNKNOWN", which osv-scalibr adds to
// npm PURLs when it cannot tell the registry; it carries no information.
func dropUnknownQualifiers(s string) string {
	base, q, ok := strings.Cut(s, "?")
	if !ok {
		return s
	}
	var keep []string
	for _, kv := range strings.Split(q, "&") {
		if !strings.HasSuffix(kv, "=UNKNOWN") {
			keep = append(keep, kv)
		}
	}
	if len(keep) == 0 {
		return base
	}
	return base + "?" + strings.Join(keep, "&")
}

// Package finalises a record with the image's os-release fields.
func (r Record) Package(osRelease map[string]string) Package {
	p := Package{Name: r.Name, Version: r.Version, Ecosystem: r.Ecosystem, PURL: r.PURL,
		Type: typeOf(r), Locations: []string{"/" + r.Location}, Licenses: cleanLicenses(r.Licenses)}
	var sp *extractor.Package
	switch {
	case r.Dpkg != nil:
		d := dpkgFill(ptrCopy(r.Dpkg), osRelease)
		sp = &extractor.Package{Metadata: d}
		p.SourceName, p.SourceVersion = d.SourceName, d.SourceVersion
		if p.SourceName == "" {
			p.SourceName = r.Name
		}
	case r.Apk != nil:
		a := apkFill(ptrCopy(r.Apk), osRelease)
		sp = &extractor.Package{Metadata: a}
		p.SourceName = a.OriginName
	case r.Rpm != nil:
		rm := rpmFill(ptrCopy(r.Rpm), osRelease)
		sp = &extractor.Package{Metadata: rm}
		p.SourceName, p.SourceVersion = splitSourceRPM(rm.SourceRPM)
	}
	if sp != nil {
		sp.Name, sp.Version, sp.PURLType = r.Name, r.Version, r.PURLType
		p.Ecosystem = sp.Ecosystem().String()
		if u := sp.PURL(); u != nil {
			p.PURL = u.String()
		}
	}
	if p.SourceName != "" && p.SourceVersion == "" {
		p.SourceVersion = p.Version
	}
	if p.Type == "go-stdlib" {
		p.Name = "stdlib"
		p.PURL = "pkg:golang/stdlib@v" + strings.TrimPrefix(p.Version, "v")
	}
	return p
}

func ptrCopy[T any](v *T) *T { c := *v; return &c }

func typeOf(r Record) string {
	switch r.PURLType {
	case purl.TypeDebian:
		return "deb"
	case purl.TypeApk:
		return "apk"
	case purl.TypeRPM:
		return "rpm"
	case purl.TypeGolang:
		if r.Name == "go" && r.Extractor == gobinary.Name {
			return "go-stdlib"
		}
		return "go-module"
	case purl.TypeNPM:
		return "npm"
	case purl.TypePyPi:
		return "python"
	case purl.TypeMaven:
		return "maven"
	case purl.TypeGem:
		return "gem"
	case purl.TypeCargo:
		return "cargo"
	case purl.TypeComposer:
		return "composer"
	case purl.TypeNuget:
		return "nuget"
	}
	return r.PURLType
}

// splitSourceRPM splits "openssl-3.0.7-25.el9.src.rpm" into
// ("openssl", "3.0.7-25.el9").
func splitSourceRPM(s string) (name, version string) {
	s = strings.TrimSuffix(s, ".rpm")
	s = strings.TrimSuffix(s, ".src")
	s = strings.TrimSuffix(s, ".nosrc")
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return s, ""
	}
	j := strings.LastIndexByte(s[:i], '-')
	if j <= 0 {
		return s, ""
	}
	return s[:j], s[j+1:]
}

func cleanLicenses(ls []string) []string {
	var out []string
	for _, l := range ls {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

type fileAPI struct {
	p    string
	info fileInfo
}

func (f fileAPI) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f fileAPI) Path() string               { return f.p }

type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }

type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Error(...any)          {}
func (quietLogger) Warn(...any)           {}
func (quietLogger) Info(...any)           {}
func (quietLogger) Debug(...any)          {}
