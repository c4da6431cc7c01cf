package risk

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/scan"
)

func TestReadScanResult(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"schema":"sightline.scan/v1","target":{"kind":"image","name":"x"},"coverage":{"db":"ok"}}`, ""},
		{`{"schema":"sightline.inventory/v1"}`, `f.json: schema "sightline.inventory/v1"`},
		{`{"schema":"sightline.scan/v1"}`, `f.json: no "coverage" block`},
		{`{"schema":"sightline.scan/v1","coverage":{}} {}`, "f.json: data after"},
		{`[1,2`, "f.json: not a scan result"},
		{``, "f.json: not a scan result: the file is empty"},
		{`{"schema":"sightline.scan/v1","findings":[{"id":"CVE-1","severity":{"level":"high","score":99}}],"coverage":{"db":"ok"}}`,
			"f.json: finding CVE-1: CVSS score 99 outside 0-10"},
		{`{"schema":"sightline.scan/v1","findings":[{"id":"CVE-1","severity":{"level":"high","cvss_v3":{"score":-1}}}],"coverage":{"db":"ok"}}`,
			"f.json: finding CVE-1: CVSS score -1 outside 0-10"},
		{`{"schema":"sightline.scan/v1","findings":[{"id":"GHSA-\u001b[2J\u001b[31mEVIL\nX"}],"coverage":{"db":"ok"}}`,
			`f.json: finding 0: advisory ID "GHSA-\x1b[2J\x1b[31mEVIL\nX" contains control characters`},
		{`{"schema":"sightline.scan/v1","findings":[{"id":"CVE-1","aliases":["A\u0085"]}],"coverage":{"db":"ok"}}`, "contains control characters"},
	} {
		_, err := ReadScanResult(strings.NewReader(tc.in), "f.json")
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: err %v, want %q", tc.in, err, tc.want)
		}
	}
}

func FuzzReadScanResult(f *testing.F) {
	f.Add([]byte(`{"schema":"sightline.scan/v1","target":{"kind":"image","name":"x","digest":"sha256:ab"},"findings":[{"id":"A","package":{"name":"p"}}],"coverage":{"db":"ok"}}`))
	f.Add([]byte(`{"schema":"sightline.scan/v1","coverage":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadScanResult(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz: ") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		// Whatever decodes must assess without panicking.
		Assess(nil, []*scan.Result{r}, Options{})
	})
}

func TestNormRef(t *testing.T) {
	for in, want := range map[string]string{
		"nginx:1.27":                         "index.docker.io/library/nginx:1.27",
		"docker.io/library/nginx:1.27":       "index.docker.io/library/nginx:1.27",
		"nginx":                              "index.docker.io/library/nginx:latest",
		"ghcr.io/o/a:2@sha256:" + hex64('1'): "ghcr.io/o/a:2",
		"not a ref!":                         "",
	} {
		if got := normRef(in); got != want {
			t.Errorf("normRef(%q) = %q, want %q", in, got, want)
		}
	}
}

func hex64(c byte) string { return strings.Repeat(string(c), 64) }

func TestAttackVector(t *testing.T) {
	for vec, want := range map[string]string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N":                    VectorNetwork,
		"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H":                    VectorLocal,
		"CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N": VectorPhysical,
		"AV:A/AC:L/Au:N/C:P/I:P/A:P":                                      VectorAdjacent,
		"garbage":                                                         VectorUnknown,
	} {
		if got := attackVector(vec); got != want {
			t.Errorf("%s: %s, want %s", vec, got, want)
		}
	}
}

// TestTagJoin: a container that names the scanned reference but not its
// digest joins at lower confidence, and says so.
func TestTagJoin(t *testing.T) {
	res := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "image", Name: "registry:nginx:1.27", Transport: "registry", Digest: "sha256:" + hex64('a')},
		Coverage: &scan.Coverage{DB: scan.CoverageDBOK}}
	res.Findings = []scan.Finding{{Package: scan.PackageRef{Name: "nginx", Version: "1.22.1-9", Ecosystem: "Debian:12"}}}
	res.Findings[0].ID = "DSA-X"
	inv := tagInventory()
	rep := Assess(inv, []*scan.Result{res}, Options{})
	if len(rep.Risks) != 1 || rep.Risks[0].Image.Join != "tag" || rep.Coverage.TagJoins != 1 ||
		!strings.Contains(strings.Join(rep.Risks[0].Reasons, "|"), "joined by tag only") {
		t.Fatalf("%+v", rep)
	}
	// The same tag running another digest is another build: not joined.
	inv = tagInventory()
	inv.Workloads[0].Containers[0].Image.Digest = "sha256:" + hex64('b')
	rep2 := Assess(inv, []*scan.Result{res}, Options{})
	if rep2.Risks[0].Image.Join != "none" || len(rep2.Coverage.ImagesNotScanned) != 1 || rep2.Coverage.TagJoins != 0 {
		t.Errorf("another digest under the tag joined: %+v", rep2.Coverage)
	}
	// nginx is a well-known server: port 80 served, 8080 another port.
	if pe := rep.Risks[0].PortEvidence; pe.Match != PortServed || pe.Source != "well_known_ports" || pe.Port != "tcp/80" {
		t.Errorf("port evidence: %+v", pe)
	}
}

// TestOtherPort: a wide path to a port the vulnerable server does not
// listen on ranks below a narrow path to its port, and says why.
func TestOtherPort(t *testing.T) {
	res := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "image", Name: "nginx:1.27", Digest: "sha256:" + hex64('a')},
		Coverage: &scan.Coverage{DB: scan.CoverageDBOK}}
	res.Findings = []scan.Finding{{Package: scan.PackageRef{Name: "nginx", Version: "1.22.1-9", Ecosystem: "Debian:12"}}}
	res.Findings[0].ID = "DSA-X"
	inv := tagInventory()
	ct := &inv.Workloads[0].Containers[0]
	ct.Image.Digest = res.Target.Digest
	ct.Exposure = ct.Exposure[:1] // only tcp/8080, wide
	rep := Assess(inv, []*scan.Result{res}, Options{})
	r := rep.Risks[0]
	if r.PortEvidence.Match != PortOtherPort || r.ScoreParts.Reachability != Weights.Reach[ReachWide]*Weights.OtherPortFactor ||
		!strings.Contains(strings.Join(r.Reasons, "|"), "nginx listens on tcp/80, tcp/443 by default, not on tcp/8080") {
		t.Errorf("%+v", r)
	}
}

// TestCoverageGaps: an incomplete scan and a second scan of the same
// digest are listed, not silently used or dropped.
func TestCoverageGaps(t *testing.T) {
	d := "sha256:" + hex64('c')
	full := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "image", Name: "a", Digest: d}, Coverage: &scan.Coverage{DB: scan.CoverageDBOK}}
	again := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "image", Name: "b", Digest: d}, Coverage: &scan.Coverage{DB: scan.CoverageDBOK}}
	nodb := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "image", Name: "c"}, Coverage: &scan.Coverage{DB: scan.CoverageDBNone, Packages: 3, Unchecked: 3}}
	rep := Assess(nil, []*scan.Result{full, again, nodb}, Options{})
	c := rep.Coverage
	if len(c.DuplicateScans) != 1 || c.DuplicateScans[0] != "b" || len(c.ScanGaps) != 1 || c.ScanGaps[0].Target != "c" ||
		c.ScanGaps[0].DB != scan.CoverageDBNone || c.ScanGaps[0].Unchecked != 3 {
		t.Errorf("coverage: %+v", c)
	}
}

// TestWriteJSONMatchesEncoder: the streaming writer prints the bytes of
// the standard encoder, for empty and non-empty reports.
func TestWriteJSONMatchesEncoder(t *testing.T) {
	res := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "image", Name: "nginx:1.27", Transport: "registry", Digest: "sha256:" + hex64('a')},
		Coverage: &scan.Coverage{DB: scan.CoverageDBOK}}
	res.Findings = []scan.Finding{{Package: scan.PackageRef{Name: "nginx", Version: "1.22.1-9", Ecosystem: "Debian:12"}}, {Package: scan.PackageRef{Name: "a<b>&", Version: "1"}}}
	res.Findings[0].ID, res.Findings[1].ID = "DSA-X", "DSA-Y"
	res.Findings[0].FixedVersions = []string{"1.22.1-9+deb12u1"}
	for _, rep := range []*Report{Assess(nil, nil, Options{}), Assess(tagInventory(), []*scan.Result{res}, Options{})} {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&got, rep); err != nil {
			t.Fatal(err)
		}
		if want.String() != got.String() {
			t.Errorf("WriteJSON differs:\n got %s\nwant %s", got.String(), want.String())
		}
	}
}
