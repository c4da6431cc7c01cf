package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/sightline-sec/sightline/internal/scan"
)

// newTestHandler builds a handler over the test cache directory.
func newTestHandler(t *testing.T, mode Mode, imgFail, ruleFail Failure, rules Evaluator, scanFn ScanFunc) *Handler {
	t.Helper()
	return newHandlerTB(t, Config{Mode: mode, Rules: rules, ImageFailure: imgFail, RuleFailure: ruleFail}, scanFn)
}

// newTestHandlerTB is an enforce-mode handler for benchmarks.
func newTestHandlerTB(t testing.TB, rules Evaluator) *Handler {
	return newHandlerTB(t, Config{Mode: ModeEnforce, Rules: rules, ImageFailure: FailClosed, RuleFailure: FailClosed}, nil)
}

func newHandlerTB(t testing.TB, cfg Config, scanFn ScanFunc) *Handler {
	t.Helper()
	cache, err := OpenScanCache(context.Background(), testCacheDir(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Images = &ImagePolicy{Cache: cache, Scan: scanFn, Budget: 2 * time.Second}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func podReview(t *testing.T, name string, obj []byte) []byte {
	return reviewBody(t, admissionv1.Create, "", "Pod", "shop", name, obj)
}

func TestEnforceDeniesPrivilegedPodNamingTheRule(t *testing.T) {
	h := newTestHandler(t, ModeEnforce, FailOpen, FailClosed, liveRules(t), nil)
	_, resp := post(t, h, podReview(t, "priv", privilegedPod("priv", fixtureRepo+"@"+cleanDigest)))
	if resp == nil || resp.Allowed {
		t.Fatalf("privileged pod admitted: %+v", resp)
	}
	if resp.UID != "0d6f6a4c-7d2e-4b0e-9c51-aaaaaaaaaaaa" {
		t.Errorf("UID %q not echoed", resp.UID)
	}
	want := privilegedMessage
	if resp.Result == nil || resp.Result.Code != 403 || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("result %+v, want 403 naming %q", resp.Result, want)
	}
	if resp.AuditAnnotations["decision"] != "denied" || !strings.Contains(resp.AuditAnnotations["violations"], "SL-K8S-PSS-003") {
		t.Errorf("audit annotations %v", resp.AuditAnnotations)
	}
}

func TestEnforceAdmitsCompliantPodWithCleanImage(t *testing.T) {
	h := newTestHandler(t, ModeEnforce, FailClosed, FailClosed, liveRules(t), nil)
	_, resp := post(t, h, podReview(t, "web", compliantPod("web", fixtureRepo+"@"+cleanDigest)))
	if resp == nil || !resp.Allowed || len(resp.Warnings) != 0 {
		t.Fatalf("compliant pod: %+v", resp)
	}
	if resp.AuditAnnotations["decision"] != "admitted" {
		t.Errorf("annotations %v", resp.AuditAnnotations)
	}
}

func TestImagePolicyDeniesKEVAndCriticalFixable(t *testing.T) {
	h := newTestHandler(t, ModeEnforce, FailOpen, FailClosed, liveRules(t), nil)
	_, resp := post(t, h, podReview(t, "web", compliantPod("web", fixtureRepo+"@"+plainDigest)))
	if resp == nil || resp.Allowed {
		t.Fatalf("image with a KEV-listed vulnerability admitted: %+v", resp)
	}
	for _, want := range []string{
		"SL-IMG-001: image " + fixtureRepo + "@" + plainDigest + " has CVE-2023-44487 (nginx 1.22.1-9+deb12u11) listed in CISA KEV",
		"SL-IMG-002: image " + fixtureRepo + "@" + plainDigest + " has critical fixable GHSA-xvch-5gv4-984h (minimist 1.2.0)",
		"(spec.containers[0].image)",
	} {
		if !strings.Contains(resp.Result.Message, want) {
			t.Errorf("message %q lacks %q", resp.Result.Message, want)
		}
	}
	// The release's Deployment names its images by tag: not in the cache,
	// no scanner, failure open → admitted, and the warning says why. Its
	// rule violations are medium and low: warnings when only high and
	// critical ones deny.
	h.cfg.DenySeverity = "high"
	_, resp = post(t, h, reviewBody(t, admissionv1.Create, "apps", "Deployment", "shop", "frontend", manifest(t, "Deployment", "frontend")))
	if resp == nil || !resp.Allowed {
		t.Fatalf("frontend deployment: %+v", resp)
	}
	joined := strings.Join(resp.Warnings, "\n")
	for _, want := range []string{
		"sightline SL-K8S-004: container \"server\" image us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend:v0.10.6 is referenced by tag, not digest",
		"sightline SL-K8S-002: ", "sightline SL-K8S-PSS-105: ",
		"sightline SL-IMG-000: image us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend:v0.10.6 not checked: not in the scan cache, and scanning is off (failure choice open: admitted)",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", resp.Warnings, want)
		}
	}
	if len(resp.Warnings) != 4 {
		t.Errorf("%d warnings, want 4", len(resp.Warnings))
	}
	if !strings.Contains(resp.AuditAnnotations["unchecked"], "SL-IMG-000") {
		t.Errorf("annotations %v", resp.AuditAnnotations)
	}
}

func TestImageWithoutAdvisoryDatabaseFollowsFailureChoice(t *testing.T) {
	pod := podReview(t, "web", compliantPod("web", fixtureRepo+"@"+nodbDigest))
	_, resp := post(t, newTestHandler(t, ModeEnforce, FailClosed, FailClosed, liveRules(t), nil), pod)
	if resp == nil || resp.Allowed || !strings.Contains(resp.Result.Message, "SL-IMG-000") ||
		!strings.Contains(resp.Result.Message, "no advisory database") || !strings.Contains(resp.Result.Message, "failure choice closed") {
		t.Errorf("closed: %+v", resp)
	}
	_, resp = post(t, newTestHandler(t, ModeEnforce, FailOpen, FailClosed, liveRules(t), nil), pod)
	if resp == nil || !resp.Allowed || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "no advisory database") {
		t.Errorf("open: %+v", resp)
	}
}

func TestWarnModeAdmitsWithWarnings(t *testing.T) {
	h := newTestHandler(t, ModeWarn, FailOpen, FailClosed, liveRules(t), nil)
	_, resp := post(t, h, podReview(t, "priv", privilegedPod("priv", fixtureRepo+"@"+plainDigest)))
	if resp == nil || !resp.Allowed || resp.Result != nil {
		t.Fatalf("warn mode: %+v", resp)
	}
	joined := strings.Join(resp.Warnings, "\n")
	for _, want := range []string{"sightline " + privilegedMessage, "sightline SL-IMG-001:", "sightline SL-IMG-002:"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", resp.Warnings, want)
		}
	}
	if resp.AuditAnnotations["decision"] != "violations-admitted" {
		t.Errorf("annotations %v", resp.AuditAnnotations)
	}
}

func TestAuditModeAdmitsAndAnnotates(t *testing.T) {
	h := newTestHandler(t, ModeAudit, FailOpen, FailClosed, liveRules(t), nil)
	_, resp := post(t, h, podReview(t, "priv", privilegedPod("priv", fixtureRepo+"@"+cleanDigest)))
	if resp == nil || !resp.Allowed || len(resp.Warnings) != 0 {
		t.Fatalf("audit mode: %+v", resp)
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(resp.AuditAnnotations["violations"]), &vs); err != nil || !slices.Contains(ruleIDs(vs), "SL-K8S-PSS-003") {
		t.Errorf("violations annotation %q (%v)", resp.AuditAnnotations["violations"], err)
	}
}

func TestRuleEvaluationErrorIsNeverASilentPass(t *testing.T) {
	broken := EvaluatorFunc(func(context.Context, Object) ([]Violation, error) {
		return nil, errors.New("rule SL-K8S-PSS-003: no such key: containers")
	})
	pod := podReview(t, "web", compliantPod("web", fixtureRepo+"@"+cleanDigest))
	_, resp := post(t, newTestHandler(t, ModeEnforce, FailOpen, FailClosed, broken, nil), pod)
	if resp == nil || resp.Allowed || !strings.Contains(resp.Result.Message, "SL-RULES-000: the Kubernetes rules could not be evaluated: rule SL-K8S-PSS-003: no such key") {
		t.Errorf("closed: %+v", resp)
	}
	_, resp = post(t, newTestHandler(t, ModeEnforce, FailOpen, FailOpen, broken, nil), pod)
	if resp == nil || !resp.Allowed || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "SL-RULES-000") {
		t.Errorf("open: %+v", resp)
	}
}

func TestScanWithinBudgetThenCache(t *testing.T) {
	var scans atomic.Int32
	release := make(chan struct{})
	scanFn := func(ctx context.Context, ref string) (*scan.Result, error) {
		scans.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		res := cleanResult(t)
		res.Target.Name = ref
		return res, nil
	}
	cache, _ := OpenScanCache(context.Background(), t.TempDir(), nil)
	pol := &ImagePolicy{Cache: cache, Scan: scanFn, Budget: 50 * time.Millisecond}
	h, err := NewHandler(Config{Mode: ModeEnforce, Rules: liveRules(t), ImageFailure: FailClosed, RuleFailure: FailClosed, Images: pol})
	if err != nil {
		t.Fatal(err)
	}
	const ref = "registry.example.test/sightline/app:1.0"
	pod := podReview(t, "web", compliantPod("web", ref))
	_, resp := post(t, h, pod)
	if resp == nil || resp.Allowed || !strings.Contains(resp.Result.Message, "did not finish within the 50ms budget") {
		t.Fatalf("scan over budget, failure closed: %+v", resp)
	}
	close(release) // the background scan finishes and fills the cache
	deadline := time.Now().Add(5 * time.Second)
	for cache.Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// The tag itself is a low violation (SL-K8S-004): a warning here.
	h.cfg.DenySeverity = "medium"
	_, resp = post(t, h, pod)
	if resp == nil || !resp.Allowed || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "SL-K8S-004") {
		t.Fatalf("after the scan: %+v", resp)
	}
	if n := scans.Load(); n != 1 {
		t.Errorf("%d scans, want 1 (the tag is remembered for TagTTL)", n)
	}
	// The scan was written to the cache directory, readable by a new cache.
	again, err := OpenScanCache(context.Background(), cache.dir, nil)
	if err != nil || again.Len() != 1 {
		t.Errorf("reopened cache: %d digests, %v", again.Len(), err)
	}
}

func TestSkipsWhatIsNotAWorkload(t *testing.T) {
	h := newTestHandler(t, ModeEnforce, FailClosed, FailClosed, liveRules(t), nil)
	for _, body := range [][]byte{
		reviewBody(t, admissionv1.Create, "", "ConfigMap", "shop", "cfg", []byte(`{"apiVersion":"v1","kind":"ConfigMap"}`)),
		reviewBody(t, admissionv1.Delete, "", "Pod", "shop", "priv", nil),
	} {
		if _, resp := post(t, h, body); resp == nil || !resp.Allowed || resp.Warnings != nil {
			t.Errorf("%s: %+v", body[:80], resp)
		}
	}
	// Subresources: status changes no pod spec; ephemeralcontainers
	// (kubectl debug) carries the whole Pod and is checked.
	for sub, allowed := range map[string]bool{"status": true, "ephemeralcontainers": false} {
		var r admissionv1.AdmissionReview
		if err := json.Unmarshal(podReview(t, "priv", privilegedPod("priv", fixtureRepo+"@"+cleanDigest)), &r); err != nil {
			t.Fatal(err)
		}
		r.Request.Operation, r.Request.SubResource = admissionv1.Update, sub
		b, _ := json.Marshal(&r)
		if _, resp := post(t, h, b); resp == nil || resp.Allowed != allowed {
			t.Errorf("pods/%s: %+v, want allowed=%v", sub, resp, allowed)
		}
	}
	// A workload with an empty object is an evaluation error, not a pass.
	_, resp := post(t, h, podReview(t, "empty", nil))
	if resp == nil || resp.Allowed || !strings.Contains(resp.Result.Message, "no object") {
		t.Errorf("empty object: %+v", resp)
	}
}

func TestBadRequests(t *testing.T) {
	h, err := NewHandler(Config{Mode: ModeEnforce, Rules: liveRules(t), ImageFailure: FailOpen, RuleFailure: FailClosed, MaxBodyBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	huge := podReview(t, "big", compliantPod(strings.Repeat("x", 2<<20), "nginx"))
	cases := []struct {
		name, method, ctype string
		body                []byte
		code                int
		want                string
	}{
		{"malformed", "POST", "application/json", []byte(`{"apiVersion":`), 400, "malformed AdmissionReview: unexpected end of JSON input"},
		{"not json", "POST", "application/json", []byte(`<xml/>`), 400, "malformed AdmissionReview: invalid character '<'"},
		{"v1beta1", "POST", "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}`), 400, "set admissionReviewVersions: [v1]"},
		{"no request", "POST", "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), 400, "no request"},
		{"no uid", "POST", "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`), 400, "request.uid is empty"},
		{"huge", "POST", "application/json", huge, 413, "request body larger than 1048576 bytes"},
		{"get", "GET", "", nil, 405, "POST an admission.k8s.io/v1 AdmissionReview"},
		{"yaml", "POST", "application/yaml", []byte(`a: b`), 415, `content type "application/yaml"`},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, "/validate", bytes.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s: %d %q, want %d %q", c.name, rec.Code, rec.Body, c.code, c.want)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	h, _ := NewHandler(Config{Mode: ModeEnforce, Rules: liveRules(t), ImageFailure: FailOpen, RuleFailure: FailClosed})
	get := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	if get("/healthz") != 200 || get("/readyz") != 503 {
		t.Errorf("before ready: healthz %d readyz %d", get("/healthz"), get("/readyz"))
	}
	h.SetReady(true)
	if get("/readyz") != 200 {
		t.Errorf("ready: readyz %d", get("/readyz"))
	}
}

func TestReviewDeadlineFollowsAPIServerTimeout(t *testing.T) {
	for q, want := range map[string]time.Duration{"": 9 * time.Second, "?timeout=5s": 4500 * time.Millisecond,
		"?timeout=1s": 800 * time.Millisecond, "?timeout=bogus": 9 * time.Second, "?timeout=10m": 9 * time.Second} {
		if got := reviewDeadline(httptest.NewRequest("POST", "/validate"+q, nil)); got != want {
			t.Errorf("%q: %s, want %s", q, got, want)
		}
	}
}

func TestNewHandlerRefusesBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Mode: ModeEnforce, ImageFailure: FailOpen, RuleFailure: FailOpen},
		{Mode: "block", Rules: liveRules(t), ImageFailure: FailOpen, RuleFailure: FailOpen},
		{Mode: ModeWarn, Rules: liveRules(t), ImageFailure: "maybe", RuleFailure: FailOpen},
	} {
		if _, err := NewHandler(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

// FuzzValidate: any body yields a 200 AdmissionReview or a 4xx error,
// never a panic or a 5xx.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{"spec":{"containers":[{"name":"a","image":"nginx@sha256:7623e02538ad9fee1e1b61a41f3fb3a0a642a7d84ab2aac74db604b1780c7283","securityContext":{"privileged":true}}]}}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"batch","version":"v1","kind":"CronJob"},"operation":"UPDATE","object":{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"image":"::"}]}}}}}}}}`))
	f.Add([]byte(`{}`))
	cache, _ := OpenScanCache(context.Background(), "", nil)
	h, err := NewHandler(Config{Mode: ModeEnforce, Rules: liveRules(f), ImageFailure: FailClosed, RuleFailure: FailClosed,
		MaxBodyBytes: 64 << 10, Images: &ImagePolicy{Cache: cache}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}

// The denial message leads with the most severe violation: the privileged
// container (critical) came fourth, after missing limits and the token
// automount, in rule ID order, and the 4096-character bound cuts the tail.
func TestDenialMessageMostSevereFirst(t *testing.T) {
	msg := denialMessage([]Violation{
		{RuleID: "SL-K8S-002", Severity: "medium", Message: "token"},
		{RuleID: "SL-K8S-003", Severity: "low", Message: "limits"},
		{RuleID: "SL-K8S-PSS-003", Severity: "critical", Message: "privileged"},
		{RuleID: "SL-IMG-000", Message: "image not checked"},
		{RuleID: "SL-K8S-PSS-102", Severity: "medium", Message: "escalation"},
	})
	var order []string
	for _, id := range []string{"SL-K8S-PSS-003", "SL-IMG-000", "SL-K8S-002", "SL-K8S-PSS-102", "SL-K8S-003"} {
		order = append(order, fmt.Sprint(strings.Index(msg, id+":")))
	}
	for i := 1; i < len(order); i++ {
		a, _ := strconv.Atoi(order[i-1])
		b, _ := strconv.Atoi(order[i])
		if a < 0 || b < a {
			t.Fatalf("order of rule IDs in %q: positions %v", msg, order)
		}
	}
}
