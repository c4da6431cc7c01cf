package sbom

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/sightline-sec/sightline/internal/purl"
)

func parseSPDX(ctx context.Context, b []byte, tv bool) (doc *Document, err error) {
	var d *spdx.Document
	// tools-golang's tag-value reader indexes slices on malformed lines;
	// a panic there is an input error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("invalid SPDX: %v", r)
		}
	}()
	if tv {
		d, err = tagvalue.Read(bytes.NewReader(b))
	} else {
		d, err = spdxjson.Read(bytes.NewReader(b))
	}
	if err != nil {
		return nil, fmt.Errorf("invalid SPDX: %w", err)
	}
	if d == nil {
		return nil, fmt.Errorf("invalid SPDX: empty document")
	}
	doc = &Document{Format: "spdx", SpecVersion: d.SPDXVersion, Name: d.DocumentName}
	described := map[common.ElementID]bool{}
	for _, r := range d.Relationships {
		if r != nil && strings.EqualFold(r.Relationship, common.TypeRelationshipDescribe) && r.RefA.ElementRefID == "DOCUMENT" {
			described[r.RefB.ElementRefID] = true
		}
	}
	for _, p := range d.Packages {
		if p == nil {
			continue
		}
		if isOSPurpose(p.PrimaryPackagePurpose) && doc.OS == nil {
			doc.OS = osFrom(p.PackageName, p.PackageVersion, p.PackageDescription, commentProps(p.PackageComment))
		}
	}
	for _, p := range d.Packages {
		if p != nil && described[p.PackageSPDXIdentifier] && p.PackageName != "" {
			doc.Name = p.PackageName
			break
		}
	}
	osEco := ""
	if doc.OS != nil {
		osEco = doc.OS.Ecosystem
	}
	for _, p := range d.Packages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if p == nil || isOSPurpose(p.PrimaryPackagePurpose) {
			continue
		}
		ref := purlOf(p.PackageExternalReferences)
		if ref == "" {
			if !described[p.PackageSPDXIdentifier] {
				doc.Warnings = append(doc.Warnings, fmt.Sprintf("package %q %s has no purl; it cannot be matched", p.PackageName, p.PackageVersion))
				doc.Packages = append(doc.Packages, unidentified(p.PackageName, p.PackageVersion))
			}
			continue
		}
		if isTargetPURL(ref) {
			continue
		}
		pkg, err := purl.ToPackage(ref, osEco)
		if err != nil {
			doc.Warnings = append(doc.Warnings, fmt.Sprintf("package %q: %v", p.PackageName, err))
			doc.Packages = append(doc.Packages, unidentified(p.PackageName, p.PackageVersion))
			continue
		}
		if pkg.Version == "" {
			pkg.Version = p.PackageVersion
		}
		purl.CaseHint(&pkg, p.PackageName)
		commentProps(p.PackageComment).apply(&pkg)
		if l := p.PackageLicenseDeclared; l != "" && l != "NOASSERTION" && l != "NONE" {
			pkg.Licenses = []string{l}
		}
		doc.Packages = append(doc.Packages, pkg)
	}
	return doc, nil
}

func isOSPurpose(s string) bool {
	return s == "OPERATING_SYSTEM" || s == "OPERATING-SYSTEM"
}

// purlOf finds the purl external reference (category spelt either way:
// 2.3 JSON uses PACKAGE-MANAGER, some generators PACKAGE_MANAGER).
func purlOf(refs []*spdx.PackageExternalReference) string {
	for _, r := range refs {
		if r != nil && r.RefType == common.TypePackageManagerPURL &&
			strings.ReplaceAll(r.Category, "_", "-") == common.CategoryPackageManager {
			return r.Locator
		}
	}
	return ""
}

// commentProps reads the "sightline:key: value" lines our SPDX renderer
// writes into package comments; other comment text is ignored.
func commentProps(c string) props {
	p := props{}
	for line := range strings.SplitSeq(c, "\n") {
		if !strings.HasPrefix(line, "sightline:") {
			continue
		}
		i := strings.Index(line, ": ")
		if i < 0 {
			continue
		}
		p[line[:i]] = append(p[line[:i]], line[i+2:])
	}
	return p
}
