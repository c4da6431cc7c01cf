// Package reporttest builds the scan.Result that the renderer, suppression
// and CLI tests share. It is derived at test time from the real records in
// testdata/report (see its PROVENANCE.md): OSV advisories, a real dpkg
// status excerpt, real npm install metadata and a real EPSS day. Only the
// image name, config and layer history lines are written here by hand.
//
// Matching is deliberately tiny: each advisory is paired with the package it
// names, and the pairing is checked against the record's ranges (plain
// dotted-number SEMVER, or an ECOSYSTEM range "introduced: 0" with no fix),
// so a record that does not cover the installed version fails the build of
// the fixture instead of producing an invented finding.
package reporttest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Dir is the absolute path of testdata/report.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "report")
}

// osvRecord is the part of an OSV record the fixture reads.
type osvRecord struct {
	ID        string    `json:"id"`
	Aliases   []string  `json:"aliases"`
	Summary   string    `json:"summary"`
	Details   string    `json:"details"`
	Published time.Time `json:"published"`
	Modified  time.Time `json:"modified"`
	Severity  []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		EcosystemSpecific map[string]any `json:"ecosystem_specific"`
	} `json:"affected"`
	DatabaseSpecific map[string]any `json:"database_specific"`
	References       []struct {
		URL string `json:"url"`
	} `json:"references"`
}

// Layers of the fixture image, bottom first. The history lines have the
// shape `docker history --no-trunc` prints for such a Dockerfile.
var layerLines = []string{
	"ADD rootfs.tar / # buildkit",
	"COPY node_modules /srv/nodeapp/node_modules # buildkit",
	"COPY /out/app /usr/local/bin/app # buildkit",
	"RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends nginx && rm -rf /var/lib/apt/lists/* # buildkit",
}

// Fixture returns a fresh copy of the shared scan.Result.
func Fixture() (*scan.Result, error) {
	dir := Dir()
	layers := make([]*inventory.LayerRef, len(layerLines))
	for i, line := range layerLines {
		sum := sha256.Sum256([]byte(line))
		base := i == 0
		layers[i] = &inventory.LayerRef{Index: i, DiffID: fmt.Sprintf("sha256:%x", sum), CreatedBy: line, Base: &base}
	}
	pkgs, err := debPackages(filepath.Join(dir, "var_lib_dpkg_status"), layers[0])
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"express", "lodash", "minimist"} {
		p, err := npmPackage(filepath.Join(dir, "node_modules", name, "package.json"), layers[1])
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	pkgs = append(pkgs, inventory.Package{
		Name: "golang.org/x/text", Version: "v0.3.5", Ecosystem: "Go", Type: "go-module",
		PURL: "pkg:golang/golang.org/x/text@v0.3.5", Locations: []string{"/usr/local/bin/app"}, Layer: layers[2],
	})
	nginx, err := debPackages(filepath.Join(dir, "bookworm-security_Packages.nginx"), layers[3])
	if err != nil {
		return nil, err
	}
	pkgs = append(pkgs, nginx...)
	osInfo, err := readOSRelease(filepath.Join(dir, "etc_os-release"))
	if err != nil {
		return nil, err
	}
	epss, err := readEPSS(filepath.Join(dir, "epss-2021-08-31.subset.json"))
	if err != nil {
		return nil, err
	}
	kev, err := readKEV(filepath.Join(dir, "kev-2025.08.25.subset.json"))
	if err != nil {
		return nil, err
	}
	pairs := []struct{ record, pkg string }{
		{"CVE-2019-1010022", "libc6"},
		{"CVE-2023-50495", "libtinfo6"},
		{"CVE-2023-50495", "ncurses-base"},
		{"CVE-2022-0563", "util-linux"},
		{"GHSA-35jh-r3h4-6jhm", "lodash"},
		{"GHSA-p6mc-m468-83gw", "lodash"},
		{"GHSA-xvch-5gv4-984h", "minimist"},
		{"GHSA-vh95-rmgr-6w4m", "minimist"},
		{"GO-2021-0113", "golang.org/x/text"},
		{"GO-2022-1059", "golang.org/x/text"},
		{"CVE-2023-44487", "nginx"},
	}
	var findings []scan.Finding
	for _, pr := range pairs {
		rec, err := readRecord(filepath.Join(dir, "records", pr.record+".json"))
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(pkgs, func(p inventory.Package) bool { return p.Name == pr.pkg })
		f, err := match(rec, pkgs[i], epss, kev)
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", pr.record, pr.pkg, err)
		}
		findings = append(findings, f)
	}
	digest := sha256.Sum256([]byte(strings.Join(layerLines, "\n")))
	return &scan.Result{
		Schema: scan.Schema,
		Target: scan.Target{
			Kind: "image", Name: "registry.example.test/sightline/fixture:1",
			Digest: fmt.Sprintf("sha256:%x", digest), Platform: "linux/amd64", LayerCount: len(layers),
			Config: &scan.ImageConfig{
				User: "app", ExposedPorts: []string{"8080/tcp"},
				Entrypoint: []string{"/usr/local/bin/app"}, Cmd: []string{"serve"},
				Labels: map[string]string{"org.opencontainers.image.source": "https://github.com/sightline-sec/sightline"},
			},
		},
		OS:       osInfo,
		Packages: pkgs,
		Findings: findings,
		DB:       &scan.DBInfo{Path: "/cache/sightline/db/sightline.db", Built: "2026-11-05T23:49:57Z", Sources: 3},
		Coverage: CheckedAll(pkgs),
	}, nil
}

// CheckedAll is the coverage of a scan that checked every package (the
// fixture's advisory data covers all its ecosystems).
func CheckedAll(pkgs []inventory.Package) *scan.Coverage {
	c := &scan.Coverage{DB: scan.CoverageDBOK, Packages: len(pkgs), Checked: len(pkgs), Ecosystems: []scan.EcosystemCoverage{}}
	n := map[string]int{}
	for _, p := range pkgs {
		n[p.Ecosystem]++
	}
	for _, eco := range slices.Sorted(maps.Keys(n)) {
		c.Ecosystems = append(c.Ecosystems, scan.EcosystemCoverage{Ecosystem: eco, Packages: n[eco], Checked: n[eco]})
	}
	return c
}

func readRecord(path string) (*osvRecord, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r osvRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// match builds the finding of rec on p, failing when no range of rec covers
// p's version.
func match(rec *osvRecord, p inventory.Package, epss map[string]float64, kev map[string]*vulndb.KEV) (scan.Finding, error) {
	name := p.Name
	if p.SourceName != "" {
		name = p.SourceName
	}
	eco := strings.SplitN(p.Ecosystem, ":", 2)[0]
	var fixed []string
	covered := false
	var urgency string
	for _, a := range rec.Affected {
		if a.Package.Name != name || (a.Package.Ecosystem != p.Ecosystem && a.Package.Ecosystem != eco) {
			continue
		}
		if u, ok := a.EcosystemSpecific["urgency"].(string); ok {
			urgency = u
		}
		for _, r := range a.Ranges {
			in, fix, err := inRange(r.Type, r.Events, p.Version)
			if err != nil {
				return scan.Finding{}, err
			}
			if in {
				covered = true
				if fix != "" {
					fixed = append(fixed, fix)
				}
			}
		}
	}
	if !covered {
		return scan.Finding{}, fmt.Errorf("version %s not in any range", p.Version)
	}
	v := vulndb.Vulnerability{
		ID: rec.ID, Aliases: slices.Sorted(slices.Values(rec.Aliases)), Summary: rec.Summary,
		Published: rec.Published.UTC(), Modified: rec.Modified.UTC(),
		FixedVersions: fixed, FixState: vulndb.FixStateNotFixed,
	}
	if rec.Summary == "" {
		v.Summary = firstLine(rec.Details)
	}
	if v.Aliases == nil {
		v.Aliases = []string{}
	}
	if v.FixedVersions == nil {
		v.FixedVersions = []string{}
	}
	if len(fixed) > 0 {
		v.FixState = vulndb.FixStateFixed
	}
	for _, r := range rec.References {
		v.References = append(v.References, r.URL)
	}
	sev, err := severity(rec, urgency)
	if err != nil {
		return scan.Finding{}, err
	}
	v.Severity = sev
	for _, id := range append([]string{rec.ID}, rec.Aliases...) {
		if k, ok := kev[id]; ok && v.KEV == nil {
			v.KEV = k
		}
		if s, ok := epss[id]; ok && (v.EPSS == nil || s > v.EPSS.Score) {
			v.EPSS = &vulndb.EPSS{CVE: id, Score: s, Date: "2021-08-31"}
		}
	}
	return scan.Finding{Vulnerability: v, Package: scan.PackageRef{
		Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL, Layer: p.Layer,
	}}, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 120 {
		line = line[:120]
	}
	return line
}

// severity computes the CVSS v3 base score of the record's vector and the
// level from it (vulndb.Severity doc), keeping the ecosystem's own rating.
func severity(rec *osvRecord, urgency string) (vulndb.Severity, error) {
	s := vulndb.Severity{Level: "unknown"}
	if g, ok := rec.DatabaseSpecific["severity"].(string); ok {
		s.Ecosystem = g
	} else if urgency != "" {
		s.Ecosystem = urgency
	}
	for _, sv := range rec.Severity {
		if sv.Type != "CVSS_V3" {
			continue
		}
		var score float64
		switch {
		case strings.HasPrefix(sv.Score, "CVSS:3.1/"):
			c, err := cvss31.ParseVector(sv.Score)
			if err != nil {
				return s, err
			}
			score = c.BaseScore()
		case strings.HasPrefix(sv.Score, "CVSS:3.0/"):
			c, err := cvss30.ParseVector(sv.Score)
			if err != nil {
				return s, err
			}
			score = c.BaseScore()
		default:
			return s, fmt.Errorf("unexpected vector %q", sv.Score)
		}
		s.CVSSv3 = &vulndb.CVSS{Vector: sv.Score, Score: score}
		s.Score = score
	}
	switch {
	case s.Score >= 9:
		s.Level = "critical"
	case s.Score >= 7:
		s.Level = "high"
	case s.Score >= 4:
		s.Level = "medium"
	case s.Score > 0:
		s.Level = "low"
	}
	if s.Level != "unknown" {
		s.Source = rec.ID
	}
	return s, nil
}

// inRange reports whether version lies in the range and the range's fixed
// version. Only the range shapes the fixture's records use are supported.
func inRange(typ string, events []map[string]string, version string) (bool, string, error) {
	var introduced, fixed string
	for _, e := range events {
		if v, ok := e["introduced"]; ok {
			introduced = v
		}
		if v, ok := e["fixed"]; ok {
			fixed = v
		}
		if _, ok := e["last_affected"]; ok {
			return false, "", fmt.Errorf("last_affected ranges unsupported by the fixture")
		}
	}
	switch typ {
	case "ECOSYSTEM":
		if introduced != "0" || fixed != "" {
			return false, "", fmt.Errorf("ECOSYSTEM range %v unsupported by the fixture", events)
		}
		return true, "", nil
	case "SEMVER":
		v := strings.TrimPrefix(version, "v")
		if introduced != "0" && cmpDotted(v, introduced) < 0 {
			return false, "", nil
		}
		if fixed != "" && cmpDotted(v, fixed) >= 0 {
			return false, "", nil
		}
		return true, fixed, nil
	}
	return false, "", fmt.Errorf("range type %s unsupported", typ)
}

// cmpDotted compares plain x.y.z versions numerically.
func cmpDotted(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// readKEV reads the CISA catalog excerpt (the catalog's own JSON layout).
func readKEV(path string) (map[string]*vulndb.KEV, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Vulnerabilities []struct {
			CVE        string `json:"cveID"`
			DateAdded  string `json:"dateAdded"`
			DueDate    string `json:"dueDate"`
			Ransomware string `json:"knownRansomwareCampaignUse"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := map[string]*vulndb.KEV{}
	for _, v := range doc.Vulnerabilities {
		m[v.CVE] = &vulndb.KEV{CVE: v.CVE, DateAdded: v.DateAdded, DueDate: v.DueDate, KnownRansomware: v.Ransomware == "Known"}
	}
	return m, nil
}

// debPackages parses dpkg status or Packages-index stanzas (Package,
// Version, Source, Architecture) into Debian:12 packages.
func debPackages(path string, layer *inventory.LayerRef) ([]inventory.Package, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pkgs []inventory.Package
	for stanza := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n\n") {
		f := map[string]string{}
		sc := bufio.NewScanner(strings.NewReader(stanza))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ": ")
			if ok && !strings.HasPrefix(k, " ") {
				f[k] = v
			}
		}
		p := inventory.Package{
			Name: f["Package"], Version: f["Version"], Ecosystem: "Debian:12", Type: "deb",
			Locations: []string{"/var/lib/dpkg/status"}, Layer: layer,
		}
		if src := f["Source"]; src != "" {
			name, ver, _ := strings.Cut(src, " ")
			p.SourceName = name
			p.SourceVersion = strings.Trim(ver, "()")
		}
		if p.SourceName != "" && p.SourceVersion == "" {
			p.SourceVersion = p.Version
		}
		q := packageurl.QualifiersFromMap(map[string]string{"arch": f["Architecture"], "distro": "debian-12"})
		if p.SourceName != "" {
			q = packageurl.QualifiersFromMap(map[string]string{"arch": f["Architecture"], "distro": "debian-12", "upstream": p.SourceName})
		}
		p.PURL = packageurl.NewPackageURL("deb", "debian", p.Name, p.Version, q, "").ToString()
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func npmPackage(path string, layer *inventory.LayerRef) (inventory.Package, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return inventory.Package{}, err
	}
	var m struct{ Name, Version, License string }
	if err := json.Unmarshal(b, &m); err != nil {
		return inventory.Package{}, fmt.Errorf("%s: %w", path, err)
	}
	loc := "/srv/nodeapp/node_modules/" + m.Name + "/package.json"
	p := inventory.Package{
		Name: m.Name, Version: m.Version, Ecosystem: "npm", Type: "npm",
		PURL: "pkg:npm/" + m.Name + "@" + m.Version, Locations: []string{loc}, Layer: layer,
	}
	if m.License != "" {
		p.Licenses = []string{m.License}
	}
	return p, nil
}

func readOSRelease(path string) (*inventory.OS, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := map[string]string{}
	for line := range bytes.Lines(b) {
		k, v, ok := strings.Cut(strings.TrimSpace(string(line)), "=")
		if ok {
			f[k] = strings.Trim(v, `"`)
		}
	}
	return &inventory.OS{ID: f["ID"], VersionID: f["VERSION_ID"], PrettyName: f["PRETTY_NAME"], Ecosystem: "Debian:" + f["VERSION_ID"]}, nil
}

func readEPSS(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Data []struct {
			ID   string  `json:"id"`
			EPSS float64 `json:"epss"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := map[string]float64{}
	for _, d := range doc.Data {
		m[d.ID] = d.EPSS
	}
	return m, nil
}
