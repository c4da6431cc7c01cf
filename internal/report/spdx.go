package report

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/scan"
)

// SPDXNamespaceBase prefixes documentNamespace; the rest is the target
// name and the content UUID, so the namespace is unique per scan content.
const SPDXNamespaceBase = "https://github.com/sightline-sec/sightline/spdx/"

var spdxIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// spdxID makes a valid SPDX element id (letters, digits, '.', '-') that is
// unique in the document: a readable prefix plus a short hash.
func spdxID(kind, name, key string) common.ElementID {
	n := strings.Trim(spdxIDUnsafe.ReplaceAllString(name, "-"), "-")
	if len(n) > 48 {
		n = n[:48]
	}
	return common.ElementID(fmt.Sprintf("%s-%s-%s", kind, n, fingerprint(key)[:12]))
}

func renderSPDX(w io.Writer, res *scan.Result, opts Options) error {
	uuid := contentUUID(res, opts.Now)
	name := res.Target.Name
	if name == "" {
		name = "scan"
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      name,
		DocumentNamespace: SPDXNamespaceBase + url.PathEscape(name) + "-" + uuid,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{
				{CreatorType: "Tool", Creator: opts.ToolName + "-" + opts.ToolVersion},
				{CreatorType: "Organization", Creator: "Sightline"},
			},
			Created: opts.Now.UTC().Format(time.RFC3339),
		},
	}
	if cp := coverageProps(res.Coverage); len(cp) > 0 {
		// SPDX 2.3 has no field for scan completeness; the document comment
		// carries the same sightline:coverage:* pairs CycloneDX does.
		var b strings.Builder
		for _, kv := range cp {
			b.WriteString(kv[0] + ": " + kv[1] + "\n")
		}
		doc.DocumentComment = strings.TrimSuffix(b.String(), "\n")
	}
	root := spdxTarget(res)
	doc.Packages = append(doc.Packages, root)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", string(root.PackageSPDXIdentifier)),
		Relationship: common.TypeRelationshipDescribe,
	})
	if res.OS != nil && res.OS.ID != "" {
		o := &spdx.Package{
			PackageName: res.OS.ID, PackageVersion: res.OS.VersionID,
			PackageSPDXIdentifier:   spdxID("OperatingSystem", res.OS.ID, "os\x00"+res.OS.ID+res.OS.VersionID),
			PackageDownloadLocation: "NOASSERTION", PrimaryPackagePurpose: "OPERATING_SYSTEM",
			PackageDescription: res.OS.PrettyName,
			PackageComment:     spdxComment(map[string]string{PropOSEcosystem: res.OS.Ecosystem}),
		}
		doc.Packages = append(doc.Packages, o)
		doc.Relationships = append(doc.Relationships, contains(root, o))
	}
	pkgs := packagesWithFindings(res)
	refs := bomRefs(pkgs)
	for i, p := range pkgs {
		sp := spdxPackage(p, refs[i])
		doc.Packages = append(doc.Packages, sp)
		doc.Relationships = append(doc.Relationships, contains(root, sp))
	}
	return spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
}

func contains(a, b *spdx.Package) *spdx.Relationship {
	return &spdx.Relationship{
		RefA:         common.MakeDocElementID("", string(a.PackageSPDXIdentifier)),
		RefB:         common.MakeDocElementID("", string(b.PackageSPDXIdentifier)),
		Relationship: common.TypeRelationshipContains,
	}
}

func spdxTarget(res *scan.Result) *spdx.Package {
	t := res.Target
	p := &spdx.Package{
		PackageName: t.Name, PackageSPDXIdentifier: spdxID("Target", t.Name, "target\x00"+t.Name+t.Digest),
		PackageDownloadLocation: "NOASSERTION", PrimaryPackagePurpose: "APPLICATION",
	}
	switch t.Kind {
	case "image":
		p.PrimaryPackagePurpose = "CONTAINER"
		p.PackageVersion = t.Digest
		if purl := ociPURL(t); purl != "" {
			p.PackageExternalReferences = []*spdx.PackageExternalReference{{
				Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: purl,
			}}
		}
	case "fs":
		p.PrimaryPackagePurpose = "FILE"
	}
	return p
}

// spdxPackage writes one inventory package. SPDX 2.3 has no property
// bags; source package, layer and locations go into the package comment
// as "key: value" lines (internal/sbom reads them back), and the PURL
// into a PACKAGE-MANAGER external reference.
func spdxPackage(p inventory.Package, ref string) *spdx.Package {
	sp := &spdx.Package{
		PackageName: p.Name, PackageVersion: p.Version,
		PackageSPDXIdentifier:   spdxID("Package", p.Name, ref),
		PackageDownloadLocation: "NOASSERTION",
		PackageLicenseConcluded: "NOASSERTION",
		PackageLicenseDeclared:  "NOASSERTION",
		PackageCopyrightText:    "NOASSERTION",
		PrimaryPackagePurpose:   "LIBRARY",
	}
	if len(p.Licenses) == 1 && spdxIDUnsafe.FindString(p.Licenses[0]) == "" {
		// A bare license id; anything else could be an invalid expression.
		sp.PackageLicenseDeclared = p.Licenses[0]
	}
	if p.PURL != "" {
		sp.PackageExternalReferences = []*spdx.PackageExternalReference{{
			Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: p.PURL,
		}}
	}
	if p.SourceName != "" {
		sp.PackageSourceInfo = "built from source package " + strings.TrimSpace(p.SourceName+" "+p.SourceVersion)
	}
	kv := map[string]string{
		PropType: p.Type, PropEcosystem: p.Ecosystem, PropSourceName: p.SourceName, PropSourceVersion: p.SourceVersion,
	}
	if p.NameCaseUnknown {
		kv[PropNameCase] = "true"
	}
	if l := p.Layer; l != nil {
		kv[PropLayerIndex] = fmt.Sprint(l.Index)
		kv[PropLayerDiffID] = l.DiffID
		kv[PropLayerDigest] = l.Digest
		kv[PropLayerCreated] = l.CreatedBy
		if l.Base != nil {
			kv[PropLayerBase] = fmt.Sprint(*l.Base)
		}
	}
	c := spdxComment(kv)
	for _, loc := range p.Locations {
		c += "sightline:location: " + loc + "\n"
	}
	sp.PackageComment = strings.TrimSuffix(c, "\n")
	return sp
}

// spdxComment renders non-empty key/value pairs, one "key: value" line
// each, in a fixed key order.
func spdxComment(kv map[string]string) string {
	var b strings.Builder
	for _, k := range []string{PropType, PropEcosystem, PropSourceName, PropSourceVersion, PropNameCase, PropLayerIndex,
		PropLayerDiffID, PropLayerDigest, PropLayerCreated, PropLayerBase, PropOSEcosystem} {
		if v := kv[k]; v != "" {
			b.WriteString(k + ": " + strings.ReplaceAll(v, "\n", " ") + "\n")
		}
	}
	return b.String()
}
