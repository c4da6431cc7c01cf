package admission

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
)

// deployDir holds the manifests the project ships.
var deployDir = filepath.Join("..", "..", "deploy", "admission")

// deployObjects decodes every manifest of deploy/admission strictly.
func deployObjects(t *testing.T) []runtime.Object {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(deployDir, "*.yaml"))
	if len(files) < 5 {
		t.Fatalf("deploy/admission has %d manifests", len(files))
	}
	var out []runtime.Object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(b, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, obj)
	}
	return out
}

// TestShippedWebhookConfiguration checks the properties docs/admission.md
// promises of deploy/admission/webhook.yaml.
func TestShippedWebhookConfiguration(t *testing.T) {
	var wh *admissionregv1.ValidatingWebhookConfiguration
	var dep *appsv1.Deployment
	for _, o := range deployObjects(t) {
		switch o := o.(type) {
		case *admissionregv1.ValidatingWebhookConfiguration:
			wh = o
		case *appsv1.Deployment:
			dep = o
		}
	}
	if wh == nil || len(wh.Webhooks) != 1 || dep == nil {
		t.Fatal("webhook.yaml or deployment.yaml missing")
	}
	w := wh.Webhooks[0]
	if w.SideEffects == nil || *w.SideEffects != admissionregv1.SideEffectClassNone {
		t.Error("sideEffects is not None")
	}
	if w.FailurePolicy == nil || *w.FailurePolicy != admissionregv1.Fail {
		t.Error("failurePolicy is not Fail")
	}
	if w.TimeoutSeconds == nil || *w.TimeoutSeconds > 30 || *w.TimeoutSeconds < 6 {
		t.Errorf("timeoutSeconds %v: want room for the 5s scan budget, at most 30", w.TimeoutSeconds)
	}
	excluded := false
	for _, e := range w.NamespaceSelector.MatchExpressions {
		if e.Key == "kubernetes.io/metadata.name" && e.Operator == metav1.LabelSelectorOpNotIn &&
			slices.Contains(e.Values, "kube-system") && slices.Contains(e.Values, dep.Namespace) {
			excluded = true
		}
	}
	if !excluded {
		t.Errorf("namespaceSelector %+v does not exclude kube-system and %s", w.NamespaceSelector, dep.Namespace)
	}
	var kinds []string
	for _, r := range w.Rules {
		for _, res := range r.Resources {
			kinds = append(kinds, r.APIGroups[0]+"/"+res)
		}
	}
	for gk := range workloadKinds {
		group, kind, _ := strings.Cut(gk, "/")
		res := strings.ToLower(kind) + "s"
		if !slices.Contains(kinds, group+"/"+res) {
			t.Errorf("webhook rules miss %s (%s)", gk, res)
		}
	}
	c := dep.Spec.Template.Spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		dep.Spec.Template.Spec.SecurityContext.RunAsNonRoot == nil || !*dep.Spec.Template.Spec.SecurityContext.RunAsNonRoot {
		t.Error("webhook container is not non-root with a read-only root filesystem")
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("probes are not /readyz and /healthz")
	}
	if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
		t.Error("no resources")
	}
}

// TestLiveShippedManifestsAreAccepted creates deploy/admission on the real
// API server (server-side dry run, except the namespace), which validates
// every field as a cluster would.
func TestLiveShippedManifestsAreAccepted(t *testing.T) {
	cs := kubernetes.NewForConfigOrDie(apiServer(t).Config)
	ctx := context.Background()
	var err error
	objs := deployObjects(t)
	for _, o := range objs {
		if ns, ok := o.(*corev1.Namespace); ok {
			if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
	}
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.Namespace:
			continue
		case *admissionregv1.ValidatingWebhookConfiguration:
			_, err = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, o, dryRun)
		case *appsv1.Deployment:
			_, err = cs.AppsV1().Deployments(o.Namespace).Create(ctx, o, dryRun)
		case *corev1.Service:
			_, err = cs.CoreV1().Services(o.Namespace).Create(ctx, o, dryRun)
		case *corev1.ServiceAccount:
			_, err = cs.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, dryRun)
		case *policyv1.PodDisruptionBudget:
			_, err = cs.PolicyV1().PodDisruptionBudgets(o.Namespace).Create(ctx, o, dryRun)
		default:
			t.Errorf("unexpected %T in deploy/admission", o)
			continue
		}
		if err != nil {
			t.Errorf("%T: %v", o, err)
		}
	}
}
