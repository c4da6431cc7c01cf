package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Property names in our SBOMs. internal/sbom reads them back, so a
// CycloneDX file we wrote restores layer attribution and source packages.
const (
	PropType          = "sightline:package:type"
	PropEcosystem     = "sightline:package:ecosystem"
	PropSourceName    = "sightline:package:source_name"
	PropSourceVersion = "sightline:package:source_version"
	PropNameCase      = "sightline:package:name_case_unknown" // "true" only; see inventory.Package.NameCaseUnknown
	PropLayerIndex    = "sightline:layer:index"
	PropLayerDiffID   = "sightline:layer:diff_id"
	PropLayerDigest   = "sightline:layer:digest"
	PropLayerCreated  = "sightline:layer:created_by"
	PropLayerBase     = "sightline:layer:base"
	PropOSEcosystem   = "sightline:os:ecosystem"
)

func renderCycloneDX(w io.Writer, res *scan.Result, opts Options, withVulns bool) error {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + contentUUID(res, opts.Now)
	root := targetComponent(res)
	bom.Metadata = &cdx.Metadata{
		Timestamp: opts.Now.UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: opts.ToolName, Version: opts.ToolVersion,
			ExternalReferences: &[]cdx.ExternalReference{{Type: cdx.ERTypeWebsite, URL: InformationURI}},
		}}},
		Component: &root,
	}
	if cp := coverageProps(res.Coverage); len(cp) > 0 {
		props := make([]cdx.Property, len(cp))
		for i, kv := range cp {
			props[i] = cdx.Property{Name: kv[0], Value: kv[1]}
		}
		bom.Metadata.Properties = &props
	}
	pkgs := packagesWithFindings(res)
	refs := bomRefs(pkgs)
	var comps []cdx.Component
	var deps []string
	if res.OS != nil && res.OS.ID != "" {
		osc := osComponent(res.OS)
		comps = append(comps, osc)
		deps = append(deps, osc.BOMRef)
	}
	for i, p := range pkgs {
		comps = append(comps, packageComponent(p, refs[i]))
		deps = append(deps, refs[i])
	}
	bom.Components = &comps
	slices.Sort(deps)
	bom.Dependencies = &[]cdx.Dependency{{Ref: root.BOMRef, Dependencies: &deps}}
	if withVulns {
		byKey := map[string]string{}
		for i, p := range pkgs {
			byKey[packageKey(p.PURL, p.Name, p.Version)] = refs[i]
		}
		vulns := cdxVulnerabilities(res, byKey)
		bom.Vulnerabilities = &vulns
	}
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.EncodeVersion(bom, cdx.SpecVersion1_6)
}

// packagesWithFindings is the inventory sorted, plus any finding package
// the inventory does not list (an SBOM scan may match a package we did not
// inventory ourselves), so every vulnerability's affects ref resolves.
func packagesWithFindings(res *scan.Result) []inventory.Package {
	pkgs := slices.Clone(res.Packages)
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[packageKey(p.PURL, p.Name, p.Version)] = true
	}
	for _, f := range append(slices.Clone(res.Findings), res.Suppressed...) {
		k := packageKey(f.Package.PURL, f.Package.Name, f.Package.Version)
		if !seen[k] {
			seen[k] = true
			pkgs = append(pkgs, inventory.Package{
				Name: f.Package.Name, Version: f.Package.Version, Ecosystem: f.Package.Ecosystem,
				PURL: f.Package.PURL, Layer: f.Package.Layer,
			})
		}
	}
	slices.SortStableFunc(pkgs, func(a, b inventory.Package) int {
		return cmp.Or(cmp.Compare(a.PURL, b.PURL), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version),
			cmp.Compare(strings.Join(a.Locations, "\n"), strings.Join(b.Locations, "\n")))
	})
	return pkgs
}

// bomRefs gives each package a unique bom-ref: its PURL, or name@version
// without one; duplicates (the same package at two paths) get "#2", "#3"…
func bomRefs(pkgs []inventory.Package) []string {
	refs := make([]string, len(pkgs))
	used := map[string]int{}
	for i, p := range pkgs {
		r := packageKey(p.PURL, p.Name, p.Version)
		used[r]++
		if n := used[r]; n > 1 {
			r += "#" + strconv.Itoa(n)
		}
		refs[i] = r
	}
	return refs
}

// contentUUID is a UUIDv8 (RFC 9562, custom) from a hash of the target,
// its packages and the timestamp: the same scan gives the same serial.
func contentUUID(res *scan.Result, now time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", res.Target.Name, res.Target.Digest, now.UTC().Format(time.RFC3339Nano))
	for _, p := range res.Packages {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", p.PURL, p.Name, p.Version)
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ociPURL is the pkg:oci purl of an image target, when it has a digest.
func ociPURL(t scan.Target) string {
	if t.Kind != "image" || t.Digest == "" {
		return ""
	}
	repo := t.Name
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	tag := ""
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo, tag = repo[:i], repo[i+1:]
	}
	name := strings.ToLower(repo[strings.LastIndex(repo, "/")+1:])
	q := url.Values{"repository_url": {repo}}
	if tag != "" {
		q.Set("tag", tag)
	}
	return "pkg:oci/" + name + "@" + url.PathEscape(t.Digest) + "?" + q.Encode()
}

func targetComponent(res *scan.Result) cdx.Component {
	t := res.Target
	c := cdx.Component{BOMRef: "target", Name: t.Name, Type: cdx.ComponentTypeApplication}
	switch t.Kind {
	case "image":
		c.Type = cdx.ComponentTypeContainer
		c.Version = t.Digest
		c.PackageURL = ociPURL(t)
		if c.PackageURL != "" {
			c.BOMRef = c.PackageURL
		}
	case "fs":
		c.Type = cdx.ComponentTypeFile
	}
	var props []cdx.Property
	add := func(k, v string) {
		if v != "" {
			props = append(props, cdx.Property{Name: k, Value: v})
		}
	}
	add("sightline:target:kind", t.Kind)
	add("sightline:image:platform", t.Platform)
	if cfg := t.Config; cfg != nil {
		add("sightline:image:user", cfg.User)
		for _, p := range cfg.ExposedPorts {
			add("sightline:image:exposed_port", p)
		}
		if len(cfg.Entrypoint) > 0 {
			b, _ := json.Marshal(cfg.Entrypoint)
			add("sightline:image:entrypoint", string(b))
		}
		if len(cfg.Cmd) > 0 {
			b, _ := json.Marshal(cfg.Cmd)
			add("sightline:image:cmd", string(b))
		}
		for _, k := range slices.Sorted(mapsKeys(cfg.Labels)) {
			add("sightline:image:label:"+k, cfg.Labels[k])
		}
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func osComponent(o *inventory.OS) cdx.Component {
	c := cdx.Component{
		BOMRef: "os:" + o.ID + "@" + o.VersionID, Type: cdx.ComponentTypeOS,
		Name: o.ID, Version: o.VersionID, Description: o.PrettyName,
	}
	if o.Ecosystem != "" {
		c.Properties = &[]cdx.Property{{Name: PropOSEcosystem, Value: o.Ecosystem}}
	}
	return c
}

func packageComponent(p inventory.Package, ref string) cdx.Component {
	c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: p.Name, Version: p.Version, PackageURL: p.PURL}
	var props []cdx.Property
	add := func(k, v string) {
		if v != "" {
			props = append(props, cdx.Property{Name: k, Value: v})
		}
	}
	add(PropType, p.Type)
	add(PropEcosystem, p.Ecosystem)
	add(PropSourceName, p.SourceName)
	add(PropSourceVersion, p.SourceVersion)
	if p.NameCaseUnknown {
		add(PropNameCase, "true")
	}
	if l := p.Layer; l != nil {
		add(PropLayerIndex, strconv.Itoa(l.Index))
		add(PropLayerDiffID, l.DiffID)
		add(PropLayerDigest, l.Digest)
		add(PropLayerCreated, l.CreatedBy)
		if l.Base != nil {
			add(PropLayerBase, strconv.FormatBool(*l.Base))
		}
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	if len(p.Locations) > 0 {
		occ := make([]cdx.EvidenceOccurrence, len(p.Locations))
		for i, l := range p.Locations {
			occ[i] = cdx.EvidenceOccurrence{Location: l}
		}
		c.Evidence = &cdx.Evidence{Occurrences: &occ}
	}
	if len(p.Licenses) > 0 {
		lic := make(cdx.Licenses, len(p.Licenses))
		for i, l := range p.Licenses {
			lic[i] = cdx.LicenseChoice{License: &cdx.License{Name: l}}
		}
		c.Licenses = &lic
	}
	return c
}

// vulnGroup is one CycloneDX vulnerability: an advisory and the packages
// it affects that share one analysis (suppressed findings get their own
// entry, so "not_affected" never covers a package it was not stated for).
type vulnGroup struct {
	key      string
	findings []scan.Finding
}

func cdxVulnerabilities(res *scan.Result, refs map[string]string) []cdx.Vulnerability {
	var groups []*vulnGroup
	idx := map[string]*vulnGroup{}
	all := append(SortFindings(res.Findings), SortFindings(res.Suppressed)...)
	for _, f := range all {
		k := f.ID + "\x00" + suppressionKey(f.Suppression)
		g := idx[k]
		if g == nil {
			g = &vulnGroup{key: k}
			idx[k] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, f)
	}
	out := make([]cdx.Vulnerability, 0, len(groups))
	seen := map[string]int{}
	for _, g := range groups {
		f := g.findings[0]
		ref := f.ID
		seen[ref]++
		if n := seen[ref]; n > 1 {
			ref += "#" + strconv.Itoa(n)
		}
		out = append(out, cdxVulnerability(ref, g.findings, refs))
	}
	return out
}

func suppressionKey(s *scan.Suppression) string {
	if s == nil {
		return ""
	}
	return strings.Join([]string{s.Kind, s.Status, s.Justification, s.Reason, s.Source, s.Expires}, "\x00")
}

func cdxVulnerability(ref string, fs []scan.Finding, refs map[string]string) cdx.Vulnerability {
	f := fs[0]
	v := cdx.Vulnerability{
		BOMRef: ref, ID: f.ID, Description: f.Summary,
		Source: &cdx.Source{Name: advisorySource(f.ID, f.Package.Ecosystem), URL: advisoryURL(f.ID)},
	}
	if len(f.Aliases) > 0 {
		vr := make([]cdx.VulnerabilityReference, len(f.Aliases))
		for i, a := range f.Aliases {
			vr[i] = cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: advisorySource(a, ""), URL: advisoryURL(a)}}
		}
		v.References = &vr
	}
	if r := cdxRatings(f.Severity); len(r) > 0 {
		v.Ratings = &r
	}
	if len(f.References) > 0 {
		adv := make([]cdx.Advisory, len(f.References))
		for i, u := range f.References {
			adv[i] = cdx.Advisory{URL: u}
		}
		v.Advisories = &adv
	}
	if !f.Published.IsZero() {
		v.Published = f.Published.UTC().Format(time.RFC3339)
	}
	if !f.Modified.IsZero() {
		v.Updated = f.Modified.UTC().Format(time.RFC3339)
	}
	var recs []string
	affects := make([]cdx.Affects, 0, len(fs))
	for _, x := range fs {
		status := cdx.VulnerabilityStatusAffected
		if s := x.Suppression; s != nil && s.Kind == "vex" {
			status = cdx.VulnerabilityStatusNotAffected
		}
		affects = append(affects, cdx.Affects{
			Ref:   refs[packageKey(x.Package.PURL, x.Package.Name, x.Package.Version)],
			Range: &[]cdx.AffectedVersions{{Version: x.Package.Version, Status: status}},
		})
		if x.FixState == vulndb.FixStateFixed && len(x.FixedVersions) > 0 {
			recs = append(recs, fmt.Sprintf("Upgrade %s to %s.", x.Package.Name, strings.Join(x.FixedVersions, " or ")))
		}
	}
	v.Affects = &affects
	v.Recommendation = strings.Join(slices.Compact(recs), " ")
	if f.FixState != vulndb.FixStateFixed {
		v.Recommendation = "No fixed version released yet."
	}
	var props []cdx.Property
	props = append(props, cdx.Property{Name: "sightline:fix_state", Value: f.FixState})
	if f.KEV != nil {
		props = append(props, cdx.Property{Name: "sightline:kev:date_added", Value: f.KEV.DateAdded})
	}
	if f.EPSS != nil {
		props = append(props,
			cdx.Property{Name: "sightline:epss:cve", Value: f.EPSS.CVE},
			cdx.Property{Name: "sightline:epss:score", Value: strconv.FormatFloat(f.EPSS.Score, 'f', -1, 64)})
	}
	v.Properties = &props
	v.Analysis = cdxAnalysis(f.Suppression)
	return v
}

// cdxRatings turns every CVSS vector into a rating, or the ecosystem's own
// rating when there is no vector. Each rating's source names the advisory
// record the severity came from (vulndb.Severity.Source: the finding's
// own id, or an alias such as a GO- finding's GHSA).
func cdxRatings(s vulndb.Severity) []cdx.VulnerabilityRating {
	var out []cdx.VulnerabilityRating
	var src *cdx.Source
	if s.Source != "" {
		src = &cdx.Source{Name: s.Source, URL: advisoryURL(s.Source)}
	}
	add := func(c *vulndb.CVSS, m cdx.ScoringMethod) {
		if c == nil {
			return
		}
		score := c.Score
		out = append(out, cdx.VulnerabilityRating{Source: src, Score: &score, Severity: cdxSeverityFromScore(score), Method: m, Vector: c.Vector})
	}
	if s.CVSSv3 != nil {
		m := cdx.ScoringMethodCVSSv3
		if strings.HasPrefix(s.CVSSv3.Vector, "CVSS:3.1/") {
			m = cdx.ScoringMethodCVSSv31
		}
		add(s.CVSSv3, m)
	}
	add(s.CVSSv4, cdx.ScoringMethodCVSSv4)
	add(s.CVSSv2, cdx.ScoringMethodCVSSv2)
	if len(out) == 0 && levelRank(s.Level) > 0 {
		r := cdx.VulnerabilityRating{Source: src, Severity: cdx.Severity(strings.ToLower(s.Level)), Method: cdx.ScoringMethodOther}
		if s.Ecosystem != "" {
			r.Justification = "ecosystem rating: " + s.Ecosystem
		}
		out = append(out, r)
	}
	return out
}

func cdxSeverityFromScore(s float64) cdx.Severity {
	switch {
	case s >= 9:
		return cdx.SeverityCritical
	case s >= 7:
		return cdx.SeverityHigh
	case s >= 4:
		return cdx.SeverityMedium
	case s > 0:
		return cdx.SeverityLow
	}
	return cdx.SeverityNone
}

// vexToCDX maps OpenVEX justifications to CycloneDX ones (the inverse of
// the mapping CISA's "Minimum Requirements for VEX" table gives).
var vexToCDX = map[string]cdx.ImpactAnalysisJustification{
	"component_not_present":                             cdx.IAJCodeNotPresent,
	"vulnerable_code_not_present":                       cdx.IAJCodeNotPresent,
	"vulnerable_code_not_in_execute_path":               cdx.IAJCodeNotReachable,
	"vulnerable_code_cannot_be_controlled_by_adversary": cdx.IAJRequiresEnvironment,
	"inline_mitigations_already_exist":                  cdx.IAJProtectedByMitigatingControl,
}

// cdxAnalysis records why a finding is suppressed: VEX statements map to
// states; an ignore-file entry is an accepted risk (response will_not_fix);
// --ignore-unfixed only says no fix exists.
func cdxAnalysis(s *scan.Suppression) *cdx.VulnerabilityAnalysis {
	if s == nil {
		return nil
	}
	a := &cdx.VulnerabilityAnalysis{Detail: s.Reason}
	if s.Source != "" {
		a.Detail = strings.TrimSpace(a.Detail + " (" + s.Source + ")")
	}
	switch s.Kind {
	case "vex":
		switch s.Status {
		case "not_affected":
			a.State = cdx.IASNotAffected
			a.Justification = vexToCDX[s.Justification]
		case "fixed":
			a.State = cdx.IASResolved
		}
	case "ignore":
		a.Response = &[]cdx.ImpactAnalysisResponse{cdx.IARWillNotFix}
		if s.Expires != "" {
			a.Detail += "; accepted until " + s.Expires
		}
	}
	return a
}

// advisorySource names the database an id comes from.
func advisorySource(id, ecosystem string) string {
	switch {
	case strings.HasPrefix(id, "GHSA-"):
		return "GitHub Advisory Database"
	case strings.HasPrefix(id, "GO-"):
		return "Go Vulnerability Database"
	case strings.HasPrefix(id, "DSA-"), strings.HasPrefix(id, "DLA-"), strings.HasPrefix(id, "DTSA-"),
		strings.HasPrefix(id, "DEBIAN-"):
		return "Debian Security Tracker"
	case strings.HasPrefix(id, "PYSEC-"):
		return "PyPA Advisory Database"
	case strings.HasPrefix(id, "CVE-"):
		if strings.HasPrefix(ecosystem, "Debian") {
			return "Debian Security Tracker"
		}
		return "NVD"
	}
	return "OSV"
}
