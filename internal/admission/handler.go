package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sightline-sec/sightline/internal/check/rules"
)

// DefaultMaxBodyBytes bounds a request body. The API server sends the
// object and, on UPDATE, the old object; etcd stores at most 1.5 MiB per
// object (https://etcd.io/docs/v3.5/dev-guide/limit/), so 8 MiB holds any
// legitimate review with room for JSON overhead.
const DefaultMaxBodyBytes = 8 << 20

// RuleEvaluationError is the rule ID a response names when the Kubernetes
// rules could not be evaluated; --rule-failure decides.
const RuleEvaluationError = "SL-RULES-000"

// Response limits: the API server shows warnings to the user one per line,
// and keeps the denial message in the Status it returns.
const (
	maxWarnings     = 20
	maxWarningChars = 512
	maxMessageChars = 4096
)

// defaultReviewTimeout is used when the API server's request has no
// ?timeout= parameter (it always sends one; the default of
// timeoutSeconds is 10s).
const defaultReviewTimeout = 10 * time.Second

// Config configures a Handler.
type Config struct {
	Mode Mode
	// Rules evaluates the Kubernetes rules; required.
	Rules Evaluator
	// Images is the image policy; nil checks no images.
	Images *ImagePolicy
	// ImageFailure decides on an image that could not be checked,
	// RuleFailure on rules that could not be evaluated.
	ImageFailure, RuleFailure Failure
	// DenySeverity is the lowest rule severity enforce mode denies
	// ("info", "low", "medium", "high", "critical"; default "info": every
	// violation). Violations below it are admitted with a warning.
	// Unchecked items under a closed failure choice always deny.
	DenySeverity string
	// MaxBodyBytes bounds a request body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Log receives one structured line per decision, and every error.
	Log *slog.Logger
}

// Handler serves /validate (AdmissionReview), /healthz and /readyz.
type Handler struct {
	cfg   Config
	mux   *http.ServeMux
	ready atomic.Bool
}

// NewHandler checks cfg and builds the handler; it is ready once
// SetReady(true) is called (the server does, after the scan cache is
// indexed and TLS is listening).
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.Rules == nil {
		return nil, errors.New("admission: no rule evaluator")
	}
	if _, err := ParseMode(string(cfg.Mode)); err != nil {
		return nil, err
	}
	for _, f := range []Failure{cfg.ImageFailure, cfg.RuleFailure} {
		if _, err := ParseFailure(string(f)); err != nil {
			return nil, err
		}
	}
	if cfg.DenySeverity == "" {
		cfg.DenySeverity = "info"
	}
	sev, err := rules.ParseSeverity(cfg.DenySeverity)
	if err != nil {
		return nil, fmt.Errorf("deny severity: %w", err)
	}
	cfg.DenySeverity = string(sev)
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("/validate", h.validate)
	h.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	h.mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !h.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	return h, nil
}

// SetReady sets what /readyz answers.
func (h *Handler) SetReady(ok bool) { h.ready.Store(ok) }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// validate decodes one AdmissionReview and answers it. Transport and
// format errors are HTTP errors with a plain-text reason (the API server
// then applies the webhook's failurePolicy); every decision is a 200
// AdmissionReview.
func (h *Handler) validate(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.httpError(w, r, http.StatusMethodNotAllowed, "POST an admission.k8s.io/v1 AdmissionReview")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			h.httpError(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: want application/json", ct))
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.httpError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", h.cfg.MaxBodyBytes))
			return
		}
		h.httpError(w, r, http.StatusBadRequest, "reading request body: "+err.Error())
		return
	}
	review, err := decodeReview(body)
	if err != nil {
		h.httpError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), reviewDeadline(r))
	defer cancel()
	resp, d := h.review(ctx, review.Request)
	resp.UID = review.Request.UID
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	b, err := json.Marshal(&out)
	if err != nil {
		h.httpError(w, r, http.StatusInternalServerError, "encoding response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
	h.logDecision(review.Request, d, time.Since(start))
}

// decodeReview parses and checks an AdmissionReview body.
func decodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return nil, fmt.Errorf("malformed AdmissionReview: %v", err)
	}
	if review.APIVersion != admissionv1.SchemeGroupVersion.String() || review.Kind != "AdmissionReview" {
		return nil, fmt.Errorf("unsupported review %q %q: the webhook reads kind AdmissionReview of apiVersion %s (set admissionReviewVersions: [v1])",
			review.APIVersion, review.Kind, admissionv1.SchemeGroupVersion)
	}
	if review.Request == nil {
		return nil, errors.New("malformed AdmissionReview: no request")
	}
	if review.Request.UID == "" {
		return nil, errors.New("malformed AdmissionReview: request.uid is empty")
	}
	return &review, nil
}

// reviewDeadline is the API server's ?timeout= for this call (it sends the
// webhook's timeoutSeconds) less a margin for the answer to travel back,
// so a slow scan yields our own decision rather than the API server's
// timeout (which its failurePolicy would decide).
func reviewDeadline(r *http.Request) time.Duration {
	t := defaultReviewTimeout
	if s := r.URL.Query().Get("timeout"); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d > 0 && d <= 30*time.Second {
			t = d
		}
	}
	margin := t / 10
	if margin < 200*time.Millisecond {
		margin = 200 * time.Millisecond
	}
	if t-margin < 100*time.Millisecond {
		return 100 * time.Millisecond
	}
	return t - margin
}

func (h *Handler) httpError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	h.cfg.Log.Warn("admission request refused", "status", code, "error", msg, "remote", r.RemoteAddr)
	http.Error(w, msg, code)
}

// decision is what review found, for the response and the log.
type decision struct {
	Skipped string // why the object was not checked (kind, operation)
	// Deny are the violations a denial names (and warn mode warns of):
	// rule violations, image denials, unchecked items under a closed
	// failure choice.
	Deny []Violation
	// Open are unchecked items admitted under an open failure choice.
	Open []Violation
	// Notes are caveats on checked images.
	Notes  []string
	Images []imageVerdict
}

// review checks one request and builds the response for the mode.
func (h *Handler) review(ctx context.Context, req *admissionv1.AdmissionRequest) (*admissionv1.AdmissionResponse, decision) {
	var d decision
	switch {
	case req.Operation != admissionv1.Create && req.Operation != admissionv1.Update:
		d.Skipped = "operation " + string(req.Operation)
	case req.SubResource != "" && !(req.SubResource == "ephemeralcontainers" && req.Kind.Kind == "Pod"):
		// pods/ephemeralcontainers carries the whole Pod (kubectl debug
		// adds containers through it); other subresources (status, scale)
		// change no pod spec.
		d.Skipped = "subresource " + req.SubResource
	case !isWorkload(req.Kind.Group, req.Kind.Kind):
		d.Skipped = "kind " + req.Kind.Group + "/" + req.Kind.Kind
	}
	if d.Skipped != "" {
		return &admissionv1.AdmissionResponse{Allowed: true}, d
	}
	obj := Object{Kind: req.Kind.Kind, Group: req.Kind.Group, Namespace: req.Namespace, Name: req.Name, UID: string(req.UID),
		Operation: string(req.Operation), Raw: req.Object.Raw}
	var wg sync.WaitGroup
	var ruleViolations []Violation
	var ruleErr error
	wg.Go(func() { ruleViolations, ruleErr = h.evaluate(ctx, obj) })
	d.Images = h.checkImages(ctx, obj)
	wg.Wait()
	h.collect(&d, ruleViolations, ruleErr)
	return h.respond(&d), d
}

// evaluate runs the Evaluator; an empty object is an evaluation error.
func (h *Handler) evaluate(ctx context.Context, obj Object) ([]Violation, error) {
	if len(obj.Raw) == 0 {
		return nil, errors.New("the request has no object")
	}
	v, err := h.cfg.Rules.Evaluate(ctx, obj)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("deadline passed during evaluation: %w", ctx.Err())
	}
	return v, err
}

// checkImages runs the image policy on every distinct image of the pod
// spec, concurrently (each may wait for a scan).
func (h *Handler) checkImages(ctx context.Context, obj Object) []imageVerdict {
	if h.cfg.Images == nil {
		return nil
	}
	imgs, err := podImages(obj.Kind, obj.Raw)
	if err != nil {
		return []imageVerdict{{Unchecked: "images not read: " + err.Error()}}
	}
	seen := map[string]bool{}
	var uniq []image
	for _, im := range imgs {
		if !seen[im.Ref] {
			seen[im.Ref] = true
			uniq = append(uniq, im)
		}
	}
	out := make([]imageVerdict, len(uniq))
	var wg sync.WaitGroup
	for i, im := range uniq {
		wg.Go(func() { out[i] = h.cfg.Images.check(ctx, im) })
	}
	wg.Wait()
	return out
}

// collect sorts what was found into d.Deny, d.Open and d.Notes.
func (h *Handler) collect(d *decision, rules []Violation, ruleErr error) {
	d.Deny = append(d.Deny, rules...)
	if ruleErr != nil {
		v := Violation{RuleID: RuleEvaluationError, Title: "Rules not evaluated",
			Message: "the Kubernetes rules could not be evaluated: " + ruleErr.Error()}
		h.unchecked(d, v, h.cfg.RuleFailure)
	}
	for _, iv := range d.Images {
		d.Deny = append(d.Deny, iv.Denials...)
		if iv.Unchecked != "" {
			what := "image " + iv.Ref
			if iv.Ref == "" {
				what = "the images"
			}
			v := Violation{RuleID: RuleImageUnchecked, Title: "Image not checked", Path: iv.Path,
				Message: what + " not checked: " + iv.Unchecked}
			h.unchecked(d, v, h.cfg.ImageFailure)
		}
		if iv.Note != "" {
			d.Notes = append(d.Notes, fmt.Sprintf("image %s checked with caveats: %s", iv.Ref, iv.Note))
		}
	}
}

// unchecked files v under the failure choice and says so in its message.
func (h *Handler) unchecked(d *decision, v Violation, f Failure) {
	if f == FailClosed {
		v.Message += " (failure choice closed: counted as a violation)"
		d.Deny = append(d.Deny, v)
		return
	}
	v.Message += " (failure choice open: admitted)"
	d.Open = append(d.Open, v)
}

// respond builds the AdmissionResponse for the mode.
func (h *Handler) respond(d *decision) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{Allowed: true}
	var warn []string
	switch h.cfg.Mode {
	case ModeEnforce:
		deny, below := splitSeverity(d.Deny, rules.Severity(h.cfg.DenySeverity))
		if len(deny) > 0 {
			resp.Allowed = false
			resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden,
				Reason: metav1.StatusReasonForbidden, Message: denialMessage(deny)}
		}
		warn = appendViolations(warn, below)
	case ModeWarn:
		warn = appendViolations(warn, d.Deny)
	}
	if h.cfg.Mode != ModeAudit {
		warn = appendViolations(warn, d.Open)
		warn = append(warn, d.Notes...)
		resp.Warnings = boundWarnings(warn)
	}
	resp.AuditAnnotations = auditAnnotations(h.cfg.Mode, d, resp.Allowed)
	return resp
}

// splitSeverity separates the violations at or above min (and those
// without a severity: unchecked items) from the ones below it.
func splitSeverity(vs []Violation, min rules.Severity) (deny, below []Violation) {
	for _, v := range vs {
		if v.Severity != "" && rules.Severity(v.Severity).Rank() < min.Rank() {
			below = append(below, v)
			continue
		}
		deny = append(deny, v)
	}
	return deny, below
}

func appendViolations(dst []string, vs []Violation) []string {
	for _, v := range vs {
		dst = append(dst, "sightline "+v.String())
	}
	return dst
}

// denialMessage names every violation, bounded by maxMessageChars, the
// most severe first (an unchecked item, which has no severity, counts as
// critical: it always denies), so that a bound never hides a privileged
// container behind missing limits.
func denialMessage(vs []Violation) string {
	vs = slices.Clone(vs)
	rank := func(v Violation) int {
		if v.Severity == "" {
			return rules.Severity("critical").Rank()
		}
		return rules.Severity(v.Severity).Rank()
	}
	slices.SortStableFunc(vs, func(a, b Violation) int { return rank(b) - rank(a) })
	msg := fmt.Sprintf("sightline: %d violation(s)", len(vs))
	for i, v := range vs {
		next := "; " + v.String()
		if len(msg)+len(next) > maxMessageChars {
			return msg + fmt.Sprintf("; and %d more", len(vs)-i)
		}
		msg += next
	}
	return msg
}

func boundWarnings(ws []string) []string {
	if len(ws) == 0 {
		return nil
	}
	var out []string
	for i, w := range ws {
		if i == maxWarnings-1 && len(ws) > maxWarnings {
			return append(out, fmt.Sprintf("sightline: and %d more", len(ws)-i))
		}
		if len(w) > maxWarningChars {
			w = w[:maxWarningChars-3] + "..."
		}
		out = append(out, w)
	}
	return out
}

// auditAnnotations are added to the API server's audit event, prefixed
// by the webhook's name (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#response).
func auditAnnotations(mode Mode, d *decision, allowed bool) map[string]string {
	a := map[string]string{"mode": string(mode)}
	switch {
	case !allowed:
		a["decision"] = "denied"
	case len(d.Deny) > 0:
		a["decision"] = "violations-admitted"
	default:
		a["decision"] = "admitted"
	}
	if len(d.Deny) > 0 {
		a["violations"] = jsonString(d.Deny)
	}
	if len(d.Open) > 0 {
		a["unchecked"] = jsonString(d.Open)
	}
	return a
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// logDecision writes one line per answered review.
func (h *Handler) logDecision(req *admissionv1.AdmissionRequest, d decision, took time.Duration) {
	attrs := []any{"uid", string(req.UID), "operation", string(req.Operation),
		"kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name,
		"user", req.UserInfo.Username, "mode", string(h.cfg.Mode), "duration_ms", float64(took.Microseconds()) / 1000}
	if d.Skipped != "" {
		h.cfg.Log.Debug("admission skipped", append(attrs, "reason", d.Skipped)...)
		return
	}
	type img struct {
		Ref       string `json:"ref"`
		Digest    string `json:"digest,omitempty"`
		Source    string `json:"source,omitempty"`
		Unchecked string `json:"unchecked,omitempty"`
		Denials   int    `json:"denials"`
	}
	var imgs []img
	for _, iv := range d.Images {
		imgs = append(imgs, img{iv.Ref, iv.Digest, iv.Source, iv.Unchecked, len(iv.Denials)})
	}
	attrs = append(attrs, "images", imgs)
	attrs = append(attrs, "violations", d.Deny, "unchecked", d.Open)
	level := slog.LevelInfo
	if len(d.Deny) > 0 || len(d.Open) > 0 {
		level = slog.LevelWarn
	}
	h.cfg.Log.Log(context.Background(), level, "admission review", attrs...)
}
