package report

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// SARIF 2.1.0 model: only the objects and properties we write. Names and
// shapes follow the OASIS schema (testdata/report/schemas).
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool      `json:"tool"`
	Results    []sarifResult  `json:"results"`
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifMessage   `json:"shortDescription"`
	FullDescription      *sarifMessage  `json:"fullDescription,omitempty"`
	Help                 *sarifMessage  `json:"help,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration *sarifConfig   `json:"defaultConfiguration,omitempty"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifMessage       `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifMessage  `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status,omitempty"`
	Justification string `json:"justification,omitempty"`
}

// sarifSchemaURI is the schema location OASIS publishes for 2.1.0 (errata 01).
const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// sarifLevel maps the resolved severity (an alias's when the advisory has
// none, see vulndb.Severity.Source) to SARIF result levels: critical and
// high are errors, medium a warning, low a note. Unknown is a warning: an
// unrated finding cannot be shown to be minor (gates count it, too).
func sarifLevel(level string) string {
	switch levelRank(level) {
	case 4, 3:
		return "error"
	case 2:
		return "warning"
	case 1:
		return "note"
	}
	return "warning"
}

func renderSARIF(w io.Writer, res *scan.Result, opts Options) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: opts.ToolName, Version: opts.ToolVersion, InformationURI: InformationURI, Rules: []sarifRule{},
		}},
		Results:    []sarifResult{},
		Properties: sarifRunProperties(res),
	}
	ruleIndex := map[string]int{}
	locs := locationsByPackage(res)
	active, suppressed := SortFindings(res.Findings), SortFindings(res.Suppressed)
	byID := map[string][]scan.Finding{}
	for _, f := range SortFindings(append(slices.Clone(res.Findings), res.Suppressed...)) {
		byID[f.ID] = append(byID[f.ID], f)
	}
	add := func(f scan.Finding) {
		i, ok := ruleIndex[f.ID]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			ruleIndex[f.ID] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleFor(f, byID[f.ID]))
		}
		run.Results = append(run.Results, sarifResultFor(f, i, sarifURI(res, f.Package, locs)))
	}
	for _, f := range active {
		add(f)
	}
	for _, f := range suppressed {
		add(f)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}})
}

func sarifRunProperties(res *scan.Result) map[string]any {
	p := map[string]any{"target": res.Target.Name, "targetKind": res.Target.Kind}
	if res.Target.Digest != "" {
		p["targetDigest"] = res.Target.Digest
	}
	if res.OS != nil && res.OS.Ecosystem != "" {
		p["os"] = res.OS.Ecosystem
	}
	if res.Coverage != nil {
		p["coverage"] = res.Coverage // what was not checked (docs/json.md "coverage")
	}
	return p
}

// sarifURI is the artifact a result points at. GitHub code scanning needs
// a repository-relative path (or file: URI) there and rejects other
// schemes such as pkg:, so the purl never goes here (it is the logical
// location and the "purl" property): an SBOM scan points at the SBOM
// file, image and filesystem scans at the file the package was found in.
func sarifURI(res *scan.Result, p scan.PackageRef, locs map[string][]string) string {
	file := res.Target.File
	if res.Target.Kind == "sbom" && file == "" {
		file = res.Target.Name
	}
	if res.Target.Kind == "sbom" {
		return sarifFileURI(file)
	}
	if l := locs[packageKey(p.PURL, p.Name, p.Version)]; len(l) > 0 {
		return strings.TrimPrefix(l[0], "/")
	}
	if file != "" {
		return sarifFileURI(file)
	}
	return sarifFileURI(p.Name)
}

// sarifRuleFor describes one advisory. The help text lists the fixed
// versions of every package the advisory was found on, so a reviewer sees
// the fix in the code-scanning UI without leaving it.
func sarifRuleFor(f scan.Finding, all []scan.Finding) sarifRule {
	short := f.Summary
	if short == "" {
		short = f.ID
	}
	r := sarifRule{
		ID:                   f.ID,
		ShortDescription:     sarifMessage{Text: short},
		HelpURI:              advisoryURL(f.ID),
		DefaultConfiguration: &sarifConfig{Level: sarifLevel(f.Severity.Level)},
	}
	if f.Summary != "" {
		r.FullDescription = &sarifMessage{Text: f.ID + ": " + f.Summary}
	}
	text, md := sarifHelp(f.ID, all)
	r.Help = &sarifMessage{Text: text, Markdown: md}
	props := map[string]any{"tags": []string{"security", "vulnerability", strings.ToLower(levelOr(f.Severity.Level))}}
	if f.Severity.Score > 0 {
		// GitHub code scanning reads this to rank alerts.
		props["security-severity"] = fmt.Sprintf("%.1f", f.Severity.Score)
	}
	if f.Severity.Source != "" {
		props["severitySource"] = f.Severity.Source
	}
	if len(f.Aliases) > 0 {
		props["aliases"] = f.Aliases
	}
	r.Properties = props
	return r
}

func levelOr(l string) string {
	if l == "" {
		return "unknown"
	}
	return l
}

// sarifHelp builds the help of advisory id from all its findings (sorted).
func sarifHelp(id string, all []scan.Finding) (text, md string) {
	var t, m strings.Builder
	m.WriteString("| Package | Installed | Fixed in |\n| --- | --- | --- |\n")
	var summary string
	var refs []string
	for _, f := range all {
		summary, refs = f.Summary, f.References
		fix := "no fix released"
		if f.FixState == vulndb.FixStateFixed && len(f.FixedVersions) > 0 {
			fix = strings.Join(f.FixedVersions, ", ")
		}
		fmt.Fprintf(&t, "%s %s (%s): %s\n", f.Package.Name, f.Package.Version, f.Package.Ecosystem, fixOrUpgrade(fix))
		fmt.Fprintf(&m, "| %s (%s) | %s | %s |\n", f.Package.Name, f.Package.Ecosystem, f.Package.Version, fix)
	}
	head := id
	if summary != "" {
		head += ": " + summary
	}
	mh := "**" + head + "**\n\n" + m.String()
	if len(refs) > 0 {
		mh += "\nReferences:\n"
		for _, r := range refs {
			mh += "- " + r + "\n"
		}
	}
	return head + "\n" + t.String(), mh
}

func fixOrUpgrade(fix string) string {
	if fix == "no fix released" {
		return fix
	}
	return "upgrade to " + fix
}

func sarifResultFor(f scan.Finding, rule int, uri string) sarifResult {
	p := f.Package
	fix := "no fix released yet"
	if f.FixState == vulndb.FixStateFixed && len(f.FixedVersions) > 0 {
		fix = "fixed in " + strings.Join(f.FixedVersions, ", ")
	}
	sev := levelOr(f.Severity.Level)
	if f.Severity.Score > 0 {
		sev += fmt.Sprintf(" %.1f", f.Severity.Score)
	}
	r := sarifResult{
		RuleID: f.ID, RuleIndex: rule, Level: sarifLevel(f.Severity.Level),
		Message: sarifMessage{Text: fmt.Sprintf("%s %s (%s) is affected by %s (%s); %s.",
			p.Name, p.Version, p.Ecosystem, f.ID, sev, fix)},
		PartialFingerprints: map[string]string{"sightlineFinding/v1": fingerprint(f.ID, p.PURL, p.Name, p.Version)},
	}
	logical := []sarifLogical{{Name: p.Name, FullyQualifiedName: p.PURL, Kind: "package"}}
	r.Locations = []sarifLocation{{
		PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}},
		LogicalLocations: logical,
	}}
	props := map[string]any{"purl": p.PURL, "fixState": f.FixState, "fixedVersions": f.FixedVersions}
	if p.Layer != nil {
		props["layerIndex"] = p.Layer.Index
		props["layerDiffID"] = p.Layer.DiffID
		if p.Layer.CreatedBy != "" {
			props["layerCreatedBy"] = p.Layer.CreatedBy
		}
	}
	if f.KEV != nil {
		props["kev"] = true
	}
	if f.EPSS != nil {
		props["epss"] = f.EPSS.Score
	}
	r.Properties = props
	if s := f.Suppression; s != nil {
		just := s.Kind
		if s.Reason != "" {
			just += ": " + s.Reason
		}
		if s.Source != "" {
			just += " (" + s.Source + ")"
		}
		r.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: just}}
	}
	return r
}

// packageKey identifies a package across Findings and Packages.
func packageKey(purl, name, version string) string {
	if purl != "" {
		return purl
	}
	return name + "@" + version
}

// locationsByPackage gives the file paths of each inventory package;
// findings carry only the package ref.
func locationsByPackage(res *scan.Result) map[string][]string {
	m := map[string][]string{}
	for _, p := range res.Packages {
		k := packageKey(p.PURL, p.Name, p.Version)
		if _, ok := m[k]; !ok {
			m[k] = p.Locations
		}
	}
	return m
}

// fingerprint is stable across runs for the same advisory on the same
// package, so code-scanning UIs track an alert instead of reopening it.
func fingerprint(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return fmt.Sprintf("%x", sum[:16])
}
