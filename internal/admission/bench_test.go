package admission

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// BenchmarkReview is one review of the microservices-demo frontend
// Deployment through the handler (no TLS): the built-in rules and a
// cached image. bench/admission measures the same over TLS under load.
func BenchmarkReview(b *testing.B) {
	h := newTestHandlerTB(b, liveRules(b))
	body := reviewBody(b, admissionv1.Create, "apps", "Deployment", "shop", "frontend",
		bytes.ReplaceAll(manifest(b, "Deployment", "frontend"),
			[]byte("us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend:v0.10.6"),
			[]byte(fixtureRepo+"@"+plainDigest)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body)
		}
	}
}
