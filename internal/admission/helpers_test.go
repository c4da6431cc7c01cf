package admission

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sightline-sec/sightline/internal/scan"
)

// Digests the test caches index results under. plainDigest is the
// fixture's own; the others are assigned by the tests to derived variants
// (testdata/PROVENANCE.md).
const (
	plainDigest = "sha256:7623e02538ad9fee1e1b61a41f3fb3a0a642a7d84ab2aac74db604b1780c7283"
	cleanDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	nodbDigest  = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

const fixtureRepo = "registry.example.test/sightline/fixture"

// readFixture reads a scan result of testdata.
func readFixture(t testing.TB, name string) *scan.Result {
	t.Helper()
	res, err := readResult(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// cleanResult is the plain fixture without the findings the image policy
// refuses (KEV-listed, critical with a fix), under cleanDigest: a derived
// variant, not a real scan.
func cleanResult(t testing.TB) *scan.Result {
	res := readFixture(t, "scan-fixture-plain.json")
	var keep []scan.Finding
	for _, f := range res.Findings {
		if f.KEV == nil && !(f.Severity.Level == "critical" && f.FixState == "fixed") {
			keep = append(keep, f)
		}
	}
	if len(keep) == 0 || len(keep) == len(res.Findings) {
		t.Fatalf("clean variant: kept %d of %d findings", len(keep), len(res.Findings))
	}
	res.Findings = keep
	res.Target.Digest = cleanDigest
	return res
}

// testCacheDir writes the plain fixture (own digest), the clean variant
// and the no-database fixture (under nodbDigest) into a directory.
func testCacheDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	plain, err := os.ReadFile(filepath.Join("testdata", "scan-fixture-plain.json"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("plain.json", plain)
	b, _ := json.Marshal(cleanResult(t))
	write("clean.json", b)
	nodb := readFixture(t, "scan-fixture-nodb.json")
	nodb.Target.Digest = nodbDigest
	b, _ = json.Marshal(nodb)
	write("nodb.json", b)
	return dir
}

// manifest returns one object of the microservices-demo release manifest
// as JSON.
func manifest(t testing.TB, kind, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "microservices-demo-release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(b), "\n---") {
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Kind == kind && meta.Metadata.Name == name {
			j, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			return j
		}
	}
	t.Fatalf("no %s %s in the release manifest", kind, name)
	return nil
}

// privilegedPod is hand-written (a negative case): one privileged
// container running image.
func privilegedPod(name, image string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q},
"spec":{"containers":[{"name":"shell","image":%q,"securityContext":{"privileged":true}}]}}`, name, image)
}

// compliantPod is hand-written: the frontend container of the
// microservices-demo release as a bare Pod, with image.
func compliantPod(name, image string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q},
"spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":1000,"seccompProfile":{"type":"RuntimeDefault"}},
"automountServiceAccountToken":false,
"containers":[{"name":"server","image":%q,
"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"privileged":false,"readOnlyRootFilesystem":true},
"resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"cpu":"200m","memory":"128Mi"}}}]}}`, name, image)
}

// reviewBody wraps obj in an AdmissionReview request.
func reviewBody(t testing.TB, op admissionv1.Operation, group, kind, ns, name string, obj []byte) []byte {
	t.Helper()
	r := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "0d6f6a4c-7d2e-4b0e-9c51-aaaaaaaaaaaa", Kind: metav1.GroupVersionKind{Group: group, Version: "v1", Kind: kind},
			Namespace: ns, Name: name, Operation: op,
		},
	}
	r.Request.Object.Raw = obj
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body to h's /validate and decodes the answer (nil when the
// status is not 200).
func post(t testing.TB, h http.Handler, body []byte) (*httptest.ResponseRecorder, *admissionv1.AdmissionResponse) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/validate?timeout=10s", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return rec, nil
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("response: %v\n%s", err, rec.Body)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Response == nil {
		t.Fatalf("response is not an AdmissionReview: %s", rec.Body)
	}
	return rec, out.Response
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
