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
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	"github.com/google/osv-scalibr/purl"

	"github.com/sightline-sec/sightline/internal/gobin"
)

// ExtractorVersion changes whenever extraction output may change; it is
// part of the layer cache key so stale cached results are never reused.
//
// 2: the OS is also read from /etc/oracle-release, /etc/system-release,
// /etc/redhat-release, /etc/alpine-release and /etc/debian_version (layer
// results now keep those files); rpm EVRs; lockfile parsers, dev marks;
// Go binaries' GOOS/GOARCH and function names (internal/gobin).
const ExtractorVersion = "scalibr-0.5.3/2"

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
	// Dev: only a development/test dependency of the project whose
	// lockfile listed it (devGroups in plugin.go, and each own parser).
	Dev bool `json:"dev,omitempty"`

	// Go binaries (go/binary extractor): the build settings GOOS/GOARCH
	// and the functions of this record's module linked into the binary.
	// GoSymbols is held in memory after extraction; the layer cache moves
	// it to a content-addressed side file named by GoSymbolsRef (its
	// SHA-256, hex), so cached layer entries stay small. Neither set:
	// not read, GoSymbolsNote says why.
	GoOS          string    `json:"goos,omitempty"`
	GoArch        string    `json:"goarch,omitempty"`
	GoSymbols     gobin.Set `json:"-"`
	GoSymbolsRef  string    `json:"go_symbols_ref,omitempty"`
	GoSymbolsNote string    `json:"go_symbols_note,omitempty"`

	// OS package metadata; its OS fields are filled from the final
	// os-release when the record becomes a Package.
	Dpkg *dpkgmeta.Metadata `json:"dpkg,omitempty"`
	Apk  *apkmeta.Metadata  `json:"apk,omitempty"`
	Rpm  *rpmmeta.Metadata  `json:"rpm,omitempty"`
}

// Key identifies a record across layers (for attribution and dedup).
func (r Record) Key() string { return r.PURLType + "\x00" + r.Name + "\x00" + r.Version }

func newRecord(p *extractor.Package, ext, loc string) Record {
	if m, ok := p.Metadata.(*depsjson.Metadata); ok && strings.EqualFold(m.Type, "runtimepack") {
		p.Name = NuGetID(p.Name)
	}
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
			r.PURL = languagePURL(u, p.Name)
		}
	}
	return r
}

// runtimePackPrefix is what the .NET SDK writes before a runtime pack's
// NuGet ID in a self-contained app's .deps.json (library type
// "runtimepack"; dotnet/sdk DependencyContextBuilder.WithRuntimePackAssets:
// "runtimepack." + package name). NuGet advisories name the pack itself
// (Microsoft.NETCore.App.Runtime.linux-x64, Microsoft.AspNetCore.App.Runtime.*).
const runtimePackPrefix = "runtimepack."

// NuGetID returns the NuGet package ID a .deps.json library or a nuget
// purl name stands for: the name without the SDK's "runtimepack." prefix.
func NuGetID(name string) string {
	if len(name) > len(runtimePackPrefix) && strings.EqualFold(name[:len(runtimePackPrefix)], runtimePackPrefix) {
		return name[len(runtimePackPrefix):]
	}
	return name
}

// specQualifiers are the qualifier keys the purl specification defines
// (PURL-SPECIFICATION "Known qualifiers", types/*-definition.json): the
// general ones (key ""), plus those of a type; npm, pypi, golang, cargo,
// composer and nuget define none of their own. osv-scalibr adds others
// (npm "source=PUBLIC_REGISTRY|LOCAL|UNKNOWN"); they are dropped.
var specQualifiers = map[string][]string{
	"":             {"repository_url", "download_url", "vcs_url", "file_name", "checksum"},
	purl.TypeMaven: {"classifier", "type"},
	purl.TypeGem:   {"platform"},
}

// languagePURL renders a language package's purl with only the
// specification's qualifiers, and a Go module path in its own case: the
// spec's golang type says lower case, but module paths are case-sensitive
// and advisories use the real path (see internal/purl's package doc).
func languagePURL(u *purl.PackageURL, name string) string {
	keep := u.Qualifiers[:0:0]
	for _, q := range u.Qualifiers {
		if slices.Contains(specQualifiers[""], q.Key) || slices.Contains(specQualifiers[u.Type], q.Key) {
			keep = append(keep, q)
		}
	}
	u.Qualifiers = keep
	if u.Type == purl.TypeGolang && strings.EqualFold(path.Join(u.Namespace, u.Name), name) {
		u.Namespace, u.Name = path.Dir(name), path.Base(name)
		if u.Namespace == "." {
			u.Namespace = ""
		}
	}
	return u.String()
}

// Package finalises a record with the image's os-release fields.
func (r Record) Package(osRelease map[string]string) Package {
	p := Package{Name: r.Name, Version: r.Version, Ecosystem: r.Ecosystem, PURL: r.PURL,
		Type: typeOf(r), Locations: []string{"/" + r.Location}, Licenses: cleanLicenses(r.Licenses), Dev: r.Dev}
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
	if r.Rpm != nil {
		rpmVersions(&p, r.Rpm, osRelease)
	}
	if p.SourceName != "" && p.SourceVersion == "" {
		p.SourceVersion = p.Version
	}
	if r.Extractor == gobinary.Name {
		if r.GoOS != "" && r.GoArch != "" {
			p.Platform = r.GoOS + "/" + r.GoArch
		}
		p.GoBinaries = []GoBinary{{Path: p.Locations[0], Symbols: r.GoSymbols, Ref: r.GoSymbolsRef, Note: r.GoSymbolsNote}}
	}
	if p.Type == "go-stdlib" {
		p.Name = "stdlib"
		p.PURL = "pkg:golang/stdlib@v" + strings.TrimPrefix(p.Version, "v")
	}
	return p
}

func ptrCopy[T any](v *T) *T { c := *v; return &c }

// rpmVersions gives an rpm package its epoch, architecture and ecosystem.
// osv-scalibr reports "version-release" and keeps the epoch in its
// metadata and purl only; advisories compare full EVRs, and a dropped
// epoch ≥ 1 sorts the installed package below every fix (openssl-libs
// 1:1.0.2k-… below 1:1.0.2k-12.el7 whatever the release). So Version and
// SourceVersion are EVRs ("1:3.0.8-1.amzn2023.0.4", as rpm -q
// --qf '%{EVR}' prints), the purl keeps "version-release" plus the epoch
// qualifier as the purl spec asks. All subpackages of an rpm spec share
// its Epoch, so the source version carries the binary's epoch.
func rpmVersions(p *Package, m *rpmmeta.Metadata, osRelease map[string]string) {
	p.Ecosystem = RPMEcosystem(osRelease, p.Version)
	p.Version = EVR(m.Epoch, p.Version)
	p.SourceVersion = EVR(m.Epoch, p.SourceVersion)
	p.Arch = m.Architecture
}

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
