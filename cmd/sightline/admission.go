package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/admission"
	"github.com/sightline-sec/sightline/internal/check/rules"
	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/scan"
)

const admissionServeLong = `Serve the Kubernetes validating admission webhook over HTTPS.

The API server sends every Pod and workload controller (Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController)
created or updated in the selected namespaces; the webhook checks:
  - the Kubernetes rules: the built-in pack (Pod Security Standards and
    hardening) and --rules files, exactly as 'sightline check' applies them;
  - the image policy: an image with a vulnerability in the CISA KEV catalog
    (SL-IMG-001) or a critical one with a fixed version (SL-IMG-002) is
    refused. Scan results are read from --scan-cache, a directory of
    'sightline scan image --format json' results keyed by image digest. An
    image not in it (or named by tag only) is scanned, waiting at most
    --scan-budget; the scan goes on in the background and fills the cache.

Modes (--mode): enforce denies, naming each rule ID and message; warn admits
with admission warnings (kubectl shows them); audit admits and records the
violations as audit annotations and log lines.

What could not be checked is never a silent pass: an image without a result
in time or scanned without an advisory database follows
--image-policy-failure, rules that could not be evaluated follow
--rule-failure (open: admitted with a warning; closed: a violation).

Endpoints: POST /validate, GET /healthz, GET /readyz. Logs are JSON lines on
stderr, one per decision. Install manifests: deploy/admission/, guide:
docs/admission.md.`

const admissionServeExample = `  sightline admission serve --tls-cert tls.crt --tls-key tls.key
  sightline admission serve --tls-cert tls.crt --tls-key tls.key --mode warn --rules ./policies
  sightline admission serve --tls-cert /tls/tls.crt --tls-key /tls/tls.key \
      --scan-cache /var/cache/sightline/scans --scan-budget 3s --image-policy-failure open`

type admissionFlags struct {
	certFile, keyFile string
	addr              string
	mode              string
	rules             []string
	scanCache         string
	scanBudget        time.Duration
	imageFailure      string
	ruleFailure       string
	maxBody           int64
	denySeverity      string
	scan              scanFlags
}

func newAdmissionCmd(g *cliutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "admission",
		Short:   "Kubernetes admission webhook enforcing the rules and the image policy",
		Example: "  sightline admission serve --tls-cert tls.crt --tls-key tls.key",
	}
	cmd.AddCommand(newAdmissionServeCmd(g))
	return cmd
}

func newAdmissionServeCmd(g *cliutil.Globals) *cobra.Command {
	var f admissionFlags
	cmd := &cobra.Command{
		Use:     "serve --tls-cert FILE --tls-key FILE",
		Short:   "Serve the validating admission webhook (HTTPS)",
		Long:    admissionServeLong,
		Example: admissionServeExample,
		Args:    cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&f.certFile, "tls-cert", "", "PEM serving certificate (chain) the API server verifies with the webhook's caBundle (required)")
	fl.StringVar(&f.keyFile, "tls-key", "", "PEM private key of --tls-cert (required)")
	fl.StringVar(&f.addr, "addr", ":8443", "address to listen on")
	fl.StringVar(&f.mode, "mode", string(admission.ModeEnforce), "enforce (deny), warn (admit with warnings) or audit (admit, log and annotate)")
	fl.StringArrayVar(&f.rules, "rules", nil, "rule file or directory added to the built-in rules (repeatable; same format as 'sightline check --rules')")
	fl.StringVar(&f.scanCache, "scan-cache", "", "directory of 'sightline scan image --format json' results keyed by digest (default <cache-dir>/admission/scans)")
	fl.DurationVar(&f.scanBudget, "scan-budget", 5*time.Second, "how long a request waits for the scan of an image not in the cache; 0 never scans")
	fl.StringVar(&f.imageFailure, "image-policy-failure", string(admission.FailClosed), "an image that could not be checked: open (admit with a warning) or closed (a violation)")
	fl.StringVar(&f.ruleFailure, "rule-failure", string(admission.FailClosed), "rules that could not be evaluated: open (admit with a warning) or closed (a violation)")
	fl.StringVar(&f.denySeverity, "deny-severity", "info", "enforce mode: rule violations below this severity (info, low, medium, high, critical) are admitted with a warning")
	fl.Int64Var(&f.maxBody, "max-request-bytes", admission.DefaultMaxBodyBytes, "largest AdmissionReview body accepted (HTTP 413 above)")
	f.scan.add(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return runAdmissionServe(cmd.Context(), g, &f) }
	return cmd
}

// admissionConfig checks the flags before any work: every mistake is a
// usage error (exit 2).
func (f *admissionFlags) config() (admission.Mode, admission.Failure, admission.Failure, error) {
	if f.certFile == "" || f.keyFile == "" {
		return "", "", "", cliutil.Usagef("--tls-cert and --tls-key are required: the API server calls webhooks over HTTPS only (docs/admission.md shows how to make them)")
	}
	mode, err := admission.ParseMode(f.mode)
	if err != nil {
		return "", "", "", cliutil.Usagef("--mode: %w", err)
	}
	imgFail, err := admission.ParseFailure(f.imageFailure)
	if err != nil {
		return "", "", "", cliutil.Usagef("--image-policy-failure: %w", err)
	}
	ruleFail, err := admission.ParseFailure(f.ruleFailure)
	if err != nil {
		return "", "", "", cliutil.Usagef("--rule-failure: %w", err)
	}
	if f.scanBudget < 0 || f.scanBudget > 30*time.Second {
		return "", "", "", cliutil.Usagef("--scan-budget %s: want 0 to 30s (the API server waits at most 30s for a webhook)", f.scanBudget)
	}
	if _, err := rules.ParseSeverity(f.denySeverity); err != nil {
		return "", "", "", cliutil.Usagef("--deny-severity: %w", err)
	}
	if f.maxBody < 64<<10 {
		return "", "", "", cliutil.Usagef("--max-request-bytes %d: want at least 65536", f.maxBody)
	}
	return mode, imgFail, ruleFail, nil
}

func runAdmissionServe(ctx context.Context, g *cliutil.Globals, f *admissionFlags) error {
	mode, imgFail, ruleFail, err := f.config()
	if err != nil {
		return err
	}
	tlsConf, err := admission.LoadTLS(f.certFile, f.keyFile)
	if err != nil {
		return cliutil.Usage(err)
	}
	level := slog.LevelInfo
	if g.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(g.Stderr, &slog.HandlerOptions{Level: level}))
	rules, err := admissionRules(ctx, f.rules)
	if err != nil {
		return cliutil.Usage(err)
	}
	images, closeScanner, err := admissionImages(ctx, g, f, log)
	if err != nil {
		return err
	}
	defer closeScanner()
	h, err := admission.NewHandler(admission.Config{Mode: mode, Rules: rules, Images: images,
		ImageFailure: imgFail, RuleFailure: ruleFail, DenySeverity: f.denySeverity, MaxBodyBytes: f.maxBody, Log: log})
	if err != nil {
		return cliutil.Usage(err)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return cliutil.Usagef("--addr %s: %w", f.addr, err)
	}
	err = admission.Serve(ctx, ln, tlsConf, h, log)
	if errors.Is(ctx.Err(), context.Canceled) && err == nil {
		return nil
	}
	return err
}

// admissionImages opens the scan cache and, unless --scan-budget is 0, a
// scanner like 'sightline scan image' uses (advisory database, layer
// cache, registry credentials).
func admissionImages(ctx context.Context, g *cliutil.Globals, f *admissionFlags, log *slog.Logger) (*admission.ImagePolicy, func(), error) {
	dir := f.scanCache
	if dir == "" {
		dir = filepath.Join(g.CacheDir, "admission", "scans")
	}
	cache, err := admission.OpenScanCache(ctx, dir, log)
	if err != nil {
		return nil, nil, cliutil.Usage(err)
	}
	log.Info("scan cache indexed", "dir", dir, "digests", cache.Len())
	pol := &admission.ImagePolicy{Cache: cache, Budget: f.scanBudget, Log: log}
	if f.scanBudget == 0 {
		return pol, func() {}, nil
	}
	s, closeDB, err := newScanner(ctx, g, &f.scan)
	if err != nil {
		return nil, nil, err
	}
	s.Progress = nil // stderr carries JSON log lines only
	if s.Matcher == nil {
		log.Warn("no advisory database: images scanned by the webhook count as not checked (--image-policy-failure decides); run 'sightline db update'")
	}
	pol.Scan = func(ctx context.Context, ref string) (*scan.Result, error) {
		return scanImage(ctx, g, &f.scan, s, "registry:"+ref)
	}
	return pol, closeDB, nil
}

// admissionRules loads the built-in packs and the --rules files; the rules
// for Kubernetes objects apply.
func admissionRules(ctx context.Context, paths []string) (admission.Evaluator, error) {
	ev, err := admission.LoadRules(ctx, paths)
	if err != nil {
		return nil, fmt.Errorf("loading rules: %w", err)
	}
	return ev, nil
}
