package admission

// Tests against a real kube-apiserver + etcd (internal/kubetest): the API
// server calls the webhook over HTTPS on 127.0.0.1 as it would in a
// cluster, with the caBundle of a ValidatingWebhookConfiguration. One
// server is started for the package, on first use.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/sightline-sec/sightline/internal/kubetest"
)

// seq makes the names of each test run unique on the shared API server
// (go test -count=N runs a test again against it).
var seq atomic.Int64

func unique(prefix string) string { return fmt.Sprintf("%s-%d", prefix, seq.Add(1)) }

var kube struct {
	once sync.Once
	srv  *kubetest.Server
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if kube.srv != nil {
		kube.srv.Stop()
	}
	os.Exit(code)
}

// apiServer starts the package's API server once; a missing etcd or
// kube-apiserver fails the test with the command that installs it.
func apiServer(t *testing.T) *kubetest.Server {
	t.Helper()
	kube.once.Do(func() {
		kube.srv, kube.err = kubetest.Start(kubetest.Options{Logf: t.Logf})
	})
	if kube.err != nil {
		t.Fatal(kube.err)
	}
	return kube.srv
}

// servingCert writes a CA and a serving certificate for IP 127.0.0.1
// (what the API server verifies a URL webhook against) into dir.
func servingCert(t *testing.T, dir string) (caPEM []byte, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now().Add(-time.Hour)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sightline-admission-test-ca"},
		NotBefore: now, NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sightline-admission"},
		NotBefore: now, NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames: []string{"sightline-admission.sightline.svc"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), certFile, keyFile
}

// startWebhook serves h over TLS on 127.0.0.1 until the test ends and
// returns its base URL and CA.
func startWebhook(t *testing.T, h *Handler) (string, []byte) {
	t.Helper()
	caPEM, certFile, keyFile := servingCert(t, t.TempDir())
	tlsConf, err := LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, tlsConf, h, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("webhook server: %v", err)
		}
	})
	return "https://" + ln.Addr().String(), caPEM
}

// webhookConfig is the ValidatingWebhookConfiguration deploy/admission
// ships, pointed at url and limited to namespaces labelled
// sightline-test=<name> so the tests' webhooks do not see each other.
func webhookConfig(name, url string, caPEM []byte, policy admissionregv1.FailurePolicyType) *admissionregv1.ValidatingWebhookConfiguration {
	none := admissionregv1.SideEffectClassNone
	timeout := int32(10)
	u := url + "/validate"
	return &admissionregv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionregv1.ValidatingWebhook{{
			Name:         name + ".sightline.dev",
			ClientConfig: admissionregv1.WebhookClientConfig{URL: &u, CABundle: caPEM},
			Rules: []admissionregv1.RuleWithOperations{
				{Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
					Rule: admissionregv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods", "pods/ephemeralcontainers", "replicationcontrollers"}}},
				{Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
					Rule: admissionregv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments", "statefulsets", "daemonsets", "replicasets"}}},
				{Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
					Rule: admissionregv1.Rule{APIGroups: []string{"batch"}, APIVersions: []string{"v1"}, Resources: []string{"jobs", "cronjobs"}}},
			},
			FailurePolicy:           &policy,
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"sightline-test": name}},
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
}

// setup creates namespace name (labelled for webhook name) and the
// webhook configuration.
func setup(t *testing.T, cs kubernetes.Interface, cfg *admissionregv1.ValidatingWebhookConfiguration) string {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cfg.Name, Labels: map[string]string{"sightline-test": cfg.Name}}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return cfg.Name
}

func decodePod(t *testing.T, raw []byte) *corev1.Pod {
	t.Helper()
	var p corev1.Pod
	if err := yaml.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// eventually retries f until it returns nil (webhook configurations take
// effect asynchronously in the API server) or 30 s pass.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v after 30s", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var dryRun = metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}

func TestLiveEnforce(t *testing.T) {
	srv := apiServer(t)
	quiet := rest.CopyConfig(srv.Config)
	quiet.WarningHandler = rest.NoWarnings{} // the warnings are checked below, with their own handler
	cs := kubernetes.NewForConfigOrDie(quiet)
	h := newTestHandler(t, ModeEnforce, FailOpen, FailClosed, liveRules(t), nil)
	// High and critical violations deny; the microservices-demo frontend's
	// medium and low ones are warnings.
	h.cfg.DenySeverity = "high"
	url, ca := startWebhook(t, h)
	ns := setup(t, cs, webhookConfig(unique("enforce"), url, ca, admissionregv1.Fail))
	ctx := context.Background()
	pods := cs.CoreV1().Pods(ns)

	priv := decodePod(t, privilegedPod("priv", fixtureRepo+"@"+cleanDigest))
	denied := `admission webhook "` + ns + `.sightline.dev" denied the request: sightline:`
	eventually(t, "webhook active", func() error {
		_, err := pods.Create(ctx, priv, dryRun)
		if err == nil || !strings.Contains(err.Error(), denied) {
			return fmt.Errorf("privileged pod: %v", err)
		}
		return nil
	})
	_, err := pods.Create(ctx, priv, metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), denied) || !strings.Contains(err.Error(), privilegedMessage) {
		t.Errorf("privileged pod: %v, want denied naming %q", err, privilegedMessage)
	}

	if _, err := pods.Create(ctx, decodePod(t, compliantPod("web", fixtureRepo+"@"+cleanDigest)), metav1.CreateOptions{}); err != nil {
		t.Errorf("compliant pod with a clean image: %v", err)
	}
	if got, err := pods.Get(ctx, "web", metav1.GetOptions{}); err != nil || got.Name != "web" {
		t.Errorf("compliant pod not stored: %v", err)
	}

	// kubectl debug adds an ephemeral container through the
	// pods/ephemeralcontainers subresource: a privileged one is denied.
	web, err := pods.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	privileged := true
	web.Spec.EphemeralContainers = append(web.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: fixtureRepo + "@" + cleanDigest,
			SecurityContext: &corev1.SecurityContext{Privileged: &privileged}}})
	_, err = pods.UpdateEphemeralContainers(ctx, "web", web, metav1.UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), `SL-K8S-PSS-003: container "debugger" is privileged`) ||
		!strings.Contains(err.Error(), "spec.ephemeralContainers[0].securityContext.privileged") {
		t.Errorf("privileged ephemeral container: %v", err)
	}

	// Pods of controllers are named by generateName: the review's name is
	// empty and the rules still read the object.
	gen := decodePod(t, compliantPod("", fixtureRepo+"@"+cleanDigest))
	gen.GenerateName = "web-"
	if got, err := pods.Create(ctx, gen, metav1.CreateOptions{}); err != nil || !strings.HasPrefix(got.Name, "web-") {
		t.Errorf("compliant pod by generateName: %v", err)
	}

	_, err = pods.Create(ctx, decodePod(t, compliantPod("kev", fixtureRepo+"@"+plainDigest)), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "SL-IMG-001: image "+fixtureRepo+"@"+plainDigest+" has CVE-2023-44487 (nginx 1.22.1-9+deb12u11) listed in CISA KEV") {
		t.Errorf("pod with a KEV-listed image: %v", err)
	}

	// Controllers: the API server sends apps/v1 and batch/v1 objects with
	// the pod template where the webhook looks for it.
	var cj batchv1.CronJob
	cj.Name = "nightly"
	cj.Spec.Schedule = "0 3 * * *"
	cj.Spec.JobTemplate.Spec.Template.Spec = priv.Spec
	cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	_, err = cs.BatchV1().CronJobs(ns).Create(ctx, &cj, metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged") {
		t.Errorf("privileged CronJob: %v", err)
	}
	var dep appsv1.Deployment
	if err := yaml.Unmarshal(manifest(t, "Deployment", "frontend"), &dep); err != nil {
		t.Fatal(err)
	}
	rec := &warnings{}
	wcfg := rest.CopyConfig(srv.Config)
	wcfg.WarningHandler = rec
	if _, err := kubernetes.NewForConfigOrDie(wcfg).AppsV1().Deployments(ns).Create(ctx, &dep, metav1.CreateOptions{}); err != nil {
		t.Errorf("microservices-demo frontend Deployment: %v", err)
	}
	for _, want := range []string{"SL-IMG-000: image us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend:v0.10.6 not checked",
		"SL-K8S-004: container \"server\" image us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend:v0.10.6 is referenced by tag, not digest"} {
		if w := rec.all(); !strings.Contains(w, want) {
			t.Errorf("frontend Deployment warnings %q lack %q", w, want)
		}
	}
}

// warnings collects the Warning headers client-go receives.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = nil
}

func (w *warnings) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.list, "\n")
}

func TestLiveWarnMode(t *testing.T) {
	srv := apiServer(t)
	h := newTestHandler(t, ModeWarn, FailOpen, FailClosed, liveRules(t), nil)
	url, ca := startWebhook(t, h)
	ns := setup(t, kubernetes.NewForConfigOrDie(srv.Config), webhookConfig(unique("warn"), url, ca, admissionregv1.Fail))
	rec := &warnings{}
	cfg := rest.CopyConfig(srv.Config)
	cfg.WarningHandler = rec
	pods := kubernetes.NewForConfigOrDie(cfg).CoreV1().Pods(ns)
	ctx := context.Background()
	priv := decodePod(t, privilegedPod("priv", fixtureRepo+"@"+cleanDigest))
	eventually(t, "webhook active", func() error {
		if _, err := pods.Create(ctx, priv, dryRun); err != nil {
			return err
		}
		if !strings.Contains(rec.all(), privilegedMessage) {
			return errors.New("no warning yet")
		}
		return nil
	})
	rec.reset()
	if _, err := pods.Create(ctx, priv, metav1.CreateOptions{}); err != nil {
		t.Fatalf("warn mode denied: %v", err)
	}
	if w := rec.all(); !strings.Contains(w, "sightline "+privilegedMessage) {
		t.Errorf("warnings %q, want %q", w, privilegedMessage)
	}
}

func TestLiveWebhookDownFollowsFailurePolicy(t *testing.T) {
	srv := apiServer(t)
	cs := kubernetes.NewForConfigOrDie(srv.Config)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + ln.Addr().String()
	ln.Close() // nothing listens there: the webhook is down
	caPEM, _, _ := servingCert(t, t.TempDir())
	cfg := webhookConfig(unique("down"), url, caPEM, admissionregv1.Fail)
	ns := setup(t, cs, cfg)
	ctx := context.Background()
	pod := decodePod(t, compliantPod("web", fixtureRepo+"@"+cleanDigest))
	pods := cs.CoreV1().Pods(ns)
	eventually(t, "failurePolicy Fail denies", func() error {
		_, err := pods.Create(ctx, pod, dryRun)
		if err == nil || !strings.Contains(err.Error(), `failed calling webhook "`+ns+`.sightline.dev"`) {
			return fmt.Errorf("create: %v", err)
		}
		return nil
	})
	whs := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	got, err := whs.Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ignore := admissionregv1.Ignore
	got.Webhooks[0].FailurePolicy = &ignore
	if _, err := whs.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "failurePolicy Ignore admits", func() error {
		_, err := pods.Create(ctx, pod, dryRun)
		return err
	})
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Errorf("failurePolicy Ignore: %v", err)
	}
}
