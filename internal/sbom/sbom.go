// Package sbom reads software bills of materials — CycloneDX (JSON 1.2 to
// 1.7, and XML) and SPDX 2.x (JSON and tag-value) — into the inventory
// model, so `sightline scan sbom FILE` can match them like a scanned image.
//
// Design choices:
//   - Parsing uses the formats' own libraries (cyclonedx-go, spdx
//     tools-golang); this package only maps their models.
//   - The package URL is the identity: name, version and advisory
//     ecosystem come from it (purl.ToPackage), because component names differ
//     between generators (Maven group, npm scope, Go module path). A
//     component without a (valid) purl cannot be matched: it is reported in
//     Document.Warnings and kept as a package without an ecosystem, which
//     a scan counts as not checked; never silently dropped.
//   - Name case: when a golang/npm purl's name is all lower case (the purl
//     spec asks producers to lowercase them; Go paths and legacy npm names
//     are case-sensitive), the component's name (and group) restores the
//     case if it differs only in case (purl.CaseHint); otherwise the package
//     is marked NameCaseUnknown and matching folds case, with a warning
//     (docs/db.md, "Package names").
//   - Properties and SPDX package comments written by our own renderers
//     (internal/report: sightline:package:*, sightline:layer:*) are read
//     back, so a CycloneDX SBOM from `sightline scan image --format
//     cyclonedx` keeps layer attribution and source packages.
//   - Every error names the file; input over MaxSize is refused before it
//     is parsed.
package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/purl"
)

// MaxSize bounds an SBOM read into memory (the largest real-world SBOMs
// of big images are tens of MiB).
const MaxSize = 256 << 20

// Document is what an SBOM tells a scanner.
type Document struct {
	Format      string // "cyclonedx" or "spdx"
	SpecVersion string // "1.6", "SPDX-2.3"
	Name        string // the described target (image, application), or the document name
	OS          *inventory.OS
	Packages    []inventory.Package
	Warnings    []string // components that could not be used, and why
}

// Read parses the SBOM at path.
func Read(ctx context.Context, path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading SBOM %s: %w", path, err)
	}
	defer f.Close()
	doc, err := Parse(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("SBOM %s: %w", path, err)
	}
	return doc, nil
}

// ErrUnknownFormat is returned for input that is neither CycloneDX nor SPDX.
var ErrUnknownFormat = errors.New("not a CycloneDX (JSON/XML) or SPDX (JSON/tag-value) document")

// Parse detects the format and parses r.
func Parse(ctx context.Context, r io.Reader) (*Document, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("larger than %d MiB", MaxSize>>20)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(b)
	switch {
	case len(trimmed) == 0:
		return nil, errors.New("empty file")
	case trimmed[0] == '{':
		var head struct {
			BOMFormat   string `json:"bomFormat"`
			SPDXVersion string `json:"spdxVersion"`
		}
		if err := json.Unmarshal(trimmed, &head); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		switch {
		case head.BOMFormat == "CycloneDX":
			return parseCycloneDX(ctx, trimmed, false)
		case strings.HasPrefix(head.SPDXVersion, "SPDX-2."):
			return parseSPDX(ctx, trimmed, false)
		case strings.HasPrefix(head.SPDXVersion, "SPDX-"):
			return nil, fmt.Errorf("SPDX version %q is not supported (2.x only)", head.SPDXVersion)
		}
		return nil, ErrUnknownFormat
	case trimmed[0] == '<':
		if bytes.Contains(trimmed[:min(len(trimmed), 4096)], []byte("cyclonedx.org/schema/bom")) {
			return parseCycloneDX(ctx, trimmed, true)
		}
		return nil, ErrUnknownFormat
	case bytes.Contains(trimmed[:min(len(trimmed), 4096)], []byte("SPDXVersion:")):
		return parseSPDX(ctx, trimmed, true)
	}
	return nil, ErrUnknownFormat
}

// unidentified is a component whose ecosystem is unknown (no purl, or one
// that does not parse): it stays in the inventory without an ecosystem, so
// the scan counts it as not checked (no advisory source) instead of
// dropping it.
func unidentified(name, version string) inventory.Package {
	return inventory.Package{Name: name, Version: version}
}

// props are the sightline:* key/values of one component (CycloneDX
// properties or SPDX comment lines).
type props map[string][]string

func (p props) get(k string) string {
	if v := p[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// apply restores what our own renderers recorded beyond the purl.
func (p props) apply(pkg *inventory.Package) {
	if v := p.get("sightline:package:type"); v != "" {
		pkg.Type = v
		// Our renderers name each component with the package's own name
		// and say when its case is unknown; nothing else is a guess.
		pkg.NameCaseUnknown = p.get("sightline:package:name_case_unknown") == "true"
	}
	if v := p.get("sightline:package:ecosystem"); v != "" {
		pkg.Ecosystem = v
	}
	if v := p.get("sightline:package:source_name"); v != "" {
		pkg.SourceName = v
		pkg.SourceVersion = p.get("sightline:package:source_version")
	}
	if v := p.get("sightline:layer:diff_id"); v != "" {
		idx, _ := strconv.Atoi(p.get("sightline:layer:index"))
		l := &inventory.LayerRef{Index: idx, DiffID: v, Digest: p.get("sightline:layer:digest"), CreatedBy: p.get("sightline:layer:created_by")}
		if b, err := strconv.ParseBool(p.get("sightline:layer:base")); err == nil {
			l.Base = &b
		}
		pkg.Layer = l
	}
	pkg.Locations = append(pkg.Locations, p["sightline:location"]...)
}

// osFrom builds the OS of an operating-system component.
func osFrom(name, version, description string, pr props) *inventory.OS {
	o := &inventory.OS{ID: strings.ToLower(name), VersionID: version, PrettyName: description}
	o.Ecosystem = pr.get("sightline:os:ecosystem")
	if o.Ecosystem == "" {
		o.Ecosystem = purl.OSEcosystem(o.ID, o.VersionID)
	}
	return o
}

// isTargetPURL: purls that name the scanned artifact, not a package in it.
func isTargetPURL(purl string) bool {
	return strings.HasPrefix(purl, "pkg:oci/") || strings.HasPrefix(purl, "pkg:docker/")
}
