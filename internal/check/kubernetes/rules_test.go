package kubernetes

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/rules"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

const psaFixtures = "testdata/pod-security-admission"

// pssRule maps each check of the Pod Security admission controller
// (k8s.io/pod-security-admission/policy, check IDs) to the built-in rule
// that implements the same control.
var pssRule = map[policy.CheckID]string{
	"windowsHostProcess":         "SL-K8S-PSS-001",
	"hostNamespaces":             "SL-K8S-PSS-002",
	"privileged":                 "SL-K8S-PSS-003",
	"capabilities_baseline":      "SL-K8S-PSS-004",
	"hostPathVolumes":            "SL-K8S-PSS-005",
	"hostPorts":                  "SL-K8S-PSS-006",
	"appArmorProfile":            "SL-K8S-PSS-007",
	"seLinuxOptions":             "SL-K8S-PSS-008",
	"procMount":                  "SL-K8S-PSS-009",
	"seccompProfile_baseline":    "SL-K8S-PSS-010",
	"sysctls":                    "SL-K8S-PSS-011",
	"hostProbesAndHostLifecycle": "SL-K8S-PSS-012",
	"restrictedVolumes":          "SL-K8S-PSS-101",
	"allowPrivilegeEscalation":   "SL-K8S-PSS-102",
	"runAsNonRoot":               "SL-K8S-PSS-103",
	"runAsUser":                  "SL-K8S-PSS-104",
	"seccompProfile_restricted":  "SL-K8S-PSS-105",
	"capabilities_restricted":    "SL-K8S-PSS-106",
	"procMount_restricted":       "SL-K8S-PSS-107",
}

func loadRules(t testing.TB) *rules.Set {
	t.Helper()
	rs, err := rules.Load(context.Background(), rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// evaluate runs the built-in rules and returns the findings by object
// name and rule ID; an evaluation gap fails the test.
func evaluate(t testing.TB, rs *rules.Set, set check.Set) map[string]map[string][]rules.Finding {
	t.Helper()
	res := rs.Evaluate(context.Background(), set)
	if len(res.Gaps) != len(set.Gaps) || len(res.Unknown) != 0 {
		t.Fatalf("evaluation gaps %v, unknown %v", res.Gaps, res.Unknown)
	}
	out := map[string]map[string][]rules.Finding{}
	for _, f := range res.Findings {
		k := objectKey(f.Object, f.Location.File)
		if out[k] == nil {
			out[k] = map[string][]rules.Finding{}
		}
		out[k][f.RuleID] = append(out[k][f.RuleID], f)
	}
	return out
}

// objectKey tells objects of the same name in different files apart (the
// controller's fixtures reuse names across levels).
func objectKey(name, file string) string { return name + " @ " + file }

func key(o check.Object) string { return objectKey(o.Name, o.Location.File) }

// levelRules are the rule IDs of a profile: baseline's, or baseline's and
// restricted's.
func levelRules(level psapi.Level) []string {
	var ids []string
	for _, id := range pssRule {
		if level == psapi.LevelRestricted || strings.HasPrefix(id, "SL-K8S-PSS-0") {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestPSSFixtures holds the rules to the Pod Security admission
// controller's own fixtures (v1.37): each fail/<check>N.yaml is flagged by
// that check's rule (or, at the restricted level, by the restricted rule
// that overrides it), and no pass/*.yaml is flagged by any rule of the
// level.
func TestPSSFixtures(t *testing.T) {
	rs := loadRules(t)
	lower := map[string]policy.CheckID{}
	for id := range pssRule {
		lower[strings.ToLower(string(id))] = id
	}
	overrides := map[string][]string{ // restricted rules that replace a baseline check at that level
		"SL-K8S-PSS-004": {"SL-K8S-PSS-106"}, "SL-K8S-PSS-005": {"SL-K8S-PSS-101"},
		"SL-K8S-PSS-010": {"SL-K8S-PSS-105"}, "SL-K8S-PSS-009": {"SL-K8S-PSS-107"},
	}
	num := regexp.MustCompile(`\d+\.yaml$`)
	files := 0
	for _, level := range []psapi.Level{psapi.LevelBaseline, psapi.LevelRestricted} {
		dir := filepath.Join(psaFixtures, string(level), "v1.37")
		set := read(t, kube.LoadOptions{}, dir)
		if len(set.Gaps) != 0 {
			t.Fatalf("gaps %v", set.Gaps)
		}
		found := evaluate(t, rs, set)
		for _, o := range set.Objects {
			files++
			base := filepath.Base(o.Location.File)
			fired := func(ids ...string) bool {
				return slices.ContainsFunc(ids, func(id string) bool { return len(found[key(o)][id]) > 0 })
			}
			if filepath.Base(filepath.Dir(o.Location.File)) == "pass" {
				if ids := levelRules(level); fired(ids...) {
					t.Errorf("%s %s: admitted by the controller, flagged by %v", level, base, keys(found[key(o)]))
				}
				continue
			}
			id, ok := lower[num.ReplaceAllString(base, "")]
			if !ok {
				t.Errorf("fixture %s: no rule for its check", base)
				continue
			}
			want := []string{pssRule[id]}
			if level == psapi.LevelRestricted {
				want = append(want, overrides[pssRule[id]]...)
			}
			if !fired(want...) {
				t.Errorf("%s %s: denied by check %s, not flagged by %v (found %v)", level, base, id, want, keys(found[key(o)]))
			}
		}
	}
	all, _ := filepath.Glob(filepath.Join(psaFixtures, "*", "v1.37", "*", "*.yaml"))
	if files != len(all) || files < 140 {
		t.Fatalf("%d fixtures checked of %d", files, len(all))
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPSSOracle is a differential test: every pod template of every real
// input is evaluated by the Pod Security admission controller's checks
// (k8s.io/pod-security-admission/policy, latest version of each) and by
// the rules; for every check the verdicts agree (denied ⇔ the rule
// reports at least one violation).
func TestPSSOracle(t *testing.T) {
	rs := loadRules(t)
	set := read(t, kube.LoadOptions{}, goat, filepath.Join(demo, "release"), filepath.Join(demo, "kubernetes-manifests", "frontend.yaml"),
		filepath.Join(psaFixtures, "baseline"), filepath.Join(psaFixtures, "restricted"))
	helm := read(t, kube.LoadOptions{Values: []string{"seccompProfile.enable=true", "opentelemetryCollector.create=true"}}, filepath.Join(demo, "helm-chart"))
	set.Add(helm)
	found := evaluate(t, rs, set)
	checks := policy.DefaultChecks()
	for _, c := range checks {
		if _, ok := pssRule[c.ID]; !ok {
			t.Errorf("check %s of the controller has no rule", c.ID)
		}
	}
	compared, denied := 0, 0
	for _, o := range set.Objects {
		if o.Vars["podSpec"] == nil {
			continue
		}
		meta, spec := typedPod(t, o)
		for _, c := range checks {
			v := c.Versions[len(c.Versions)-1] // the latest version of the check
			res := v.CheckPod(meta, spec)
			got := len(found[key(o)][pssRule[c.ID]]) > 0
			if got == res.Allowed {
				t.Errorf("%s (%s:%d) check %s: controller allowed=%v (%s %s), rule %s findings %v",
					o.Name, o.Location.File, o.Location.Line, c.ID, res.Allowed, res.ForbiddenReason, res.ForbiddenDetail, pssRule[c.ID], found[key(o)][pssRule[c.ID]])
			}
			compared++
			if !res.Allowed {
				denied++
			}
		}
	}
	t.Logf("%d verdicts compared, %d denials", compared, denied)
	if compared < 3000 || denied < 200 {
		t.Fatalf("only %d verdicts (%d denials) compared", compared, denied)
	}
}

// typedPod decodes an Object's pod template into the API types the
// controller's checks take.
func typedPod(t *testing.T, o check.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	t.Helper()
	var meta metav1.ObjectMeta
	var spec corev1.PodSpec
	if m := o.Vars["podMeta"]; m != nil {
		js, _ := json.Marshal(m)
		if err := json.Unmarshal(js, &meta); err != nil {
			t.Fatalf("%s: pod metadata: %v", o.Name, err)
		}
	}
	js, _ := json.Marshal(o.Vars["podSpec"])
	if err := json.Unmarshal(js, &spec); err != nil {
		t.Fatalf("%s: pod spec: %v", o.Name, err)
	}
	// The API server's defaulting, which the controller sees in a real
	// request: a volume that names no source is an emptyDir
	// (k8s.io/kubernetes pkg/apis/core/v1 SetDefaults_Volume).
	for i := range spec.Volumes {
		if reflect.DeepEqual(spec.Volumes[i].VolumeSource, corev1.VolumeSource{}) {
			spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
	return &meta, &spec
}

// ruleCase is one real input a rule must flag (want > 0 findings, the
// first at line) or must not flag (want == 0).
type ruleCase struct {
	rule   string
	path   string   // file or directory read
	values []string // Helm values, for a chart
	object string
	want   int // expected number of findings
	line   int // line of the first finding (positives)
}

// ruleCases: a positive and a negative case for every built-in Kubernetes
// rule, from real manifests (kubernetes-goat, microservices-demo, the Pod
// Security admission controller's fixtures), except where noted.
var ruleCases = []ruleCase{
	// Pod Security Standards: the controller's fixtures (fail = positive,
	// pass = negative), and real projects where they have the case.
	{"SL-K8S-PSS-001", psaFixtures + "/baseline/v1.37/fail/windowshostprocess0.yaml", nil, "default/Pod/windowshostprocess0", 1, 19},
	{"SL-K8S-PSS-001", goat + "/health-check/deployment.yaml", nil, "default/Deployment/health-check-deployment", 0, 0},
	{"SL-K8S-PSS-002", goat + "/system-monitor/deployment.yaml", nil, "default/Deployment/system-monitor-deployment", 3, 25},
	{"SL-K8S-PSS-002", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-PSS-003", goat + "/health-check/deployment.yaml", nil, "default/Deployment/health-check-deployment", 1, 25},
	{"SL-K8S-PSS-003", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-PSS-004", goat + "/docker-bench-security/deployment.yaml", nil, "default/DaemonSet/docker-bench-security", 1, 47},
	{"SL-K8S-PSS-004", psaFixtures + "/baseline/v1.37/pass/capabilities_baseline0.yaml", nil, "default/Pod/capabilities_baseline0", 0, 0},
	{"SL-K8S-PSS-005", goat + "/health-check/deployment.yaml", nil, "default/Deployment/health-check-deployment", 1, 31},
	{"SL-K8S-PSS-005", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-PSS-006", psaFixtures + "/baseline/v1.37/fail/hostports0.yaml", nil, "default/Pod/hostports0", 1, 0},
	{"SL-K8S-PSS-006", goat + "/system-monitor/deployment.yaml", nil, "default/Deployment/system-monitor-deployment", 0, 0},
	{"SL-K8S-PSS-007", psaFixtures + "/baseline/v1.37/fail/apparmorprofile0.yaml", nil, "default/Pod/apparmorprofile0", 1, 0},
	{"SL-K8S-PSS-007", psaFixtures + "/baseline/v1.37/pass/apparmorprofile0.yaml", nil, "default/Pod/apparmorprofile0", 0, 0},
	{"SL-K8S-PSS-008", psaFixtures + "/baseline/v1.37/fail/selinuxoptions0.yaml", nil, "default/Pod/selinuxoptions0", 1, 0},
	{"SL-K8S-PSS-008", psaFixtures + "/baseline/v1.37/pass/selinuxoptions1.yaml", nil, "default/Pod/selinuxoptions1", 0, 0},
	{"SL-K8S-PSS-009", psaFixtures + "/baseline/v1.37/fail/procmount0.yaml", nil, "default/Pod/procmount0", 1, 0},
	{"SL-K8S-PSS-009", psaFixtures + "/baseline/v1.37/pass/procmount1.yaml", nil, "default/Pod/procmount1", 0, 0},
	{"SL-K8S-PSS-010", psaFixtures + "/baseline/v1.37/fail/seccompprofile_baseline0.yaml", nil, "default/Pod/seccompprofile_baseline0", 1, 0},
	{"SL-K8S-PSS-010", psaFixtures + "/baseline/v1.37/pass/seccompprofile_baseline0.yaml", nil, "default/Pod/seccompprofile_baseline0", 0, 0},
	{"SL-K8S-PSS-011", psaFixtures + "/baseline/v1.37/fail/sysctls0.yaml", nil, "default/Pod/sysctls0", 1, 0},
	{"SL-K8S-PSS-011", psaFixtures + "/baseline/v1.37/pass/sysctls1.yaml", nil, "default/Pod/sysctls1", 0, 0},
	{"SL-K8S-PSS-012", psaFixtures + "/baseline/v1.37/fail/hostprobesandhostlifecycle0.yaml", nil, "default/Pod/hostprobesandhostlifecycle0", 1, 0},
	{"SL-K8S-PSS-012", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-PSS-101", goat + "/system-monitor/deployment.yaml", nil, "default/Deployment/system-monitor-deployment", 1, 27},
	{"SL-K8S-PSS-101", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/redis-cart", 0, 0},
	{"SL-K8S-PSS-102", goat + "/system-monitor/deployment.yaml", nil, "default/Deployment/system-monitor-deployment", 1, 38},
	{"SL-K8S-PSS-102", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-PSS-103", goat + "/health-check/deployment.yaml", nil, "default/Deployment/health-check-deployment", 1, 15},
	{"SL-K8S-PSS-103", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-PSS-104", goat + "/docker-bench-security/deployment.yaml", nil, "default/DaemonSet/docker-bench-security", 1, 31},
	{"SL-K8S-PSS-104", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-PSS-105", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 1, 0},
	{"SL-K8S-PSS-105", demo + "/helm-chart", []string{"seccompProfile.enable=true"}, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-PSS-106", goat + "/health-check/deployment.yaml", nil, "default/Deployment/health-check-deployment", 1, 15},
	{"SL-K8S-PSS-106", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-PSS-107", psaFixtures + "/restricted/v1.37/fail/procmount_restricted0.yaml", nil, "default/Pod/procmount_restricted0", 1, 0},
	{"SL-K8S-PSS-107", psaFixtures + "/restricted/v1.37/pass/procmount_restricted0.yaml", nil, "default/Pod/procmount_restricted0", 0, 0},

	// Hardening.
	{"SL-K8S-001", goat + "/health-check/deployment.yaml", nil, "default/Deployment/health-check-deployment", 1, 32},
	{"SL-K8S-001", goat + "/docker-bench-security/deployment.yaml", nil, "default/DaemonSet/docker-bench-security", 1, 91},
	{"SL-K8S-001", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-002", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 1, 0},
	// Hand-written negative (no real manifest at hand sets it): the release
	// frontend Deployment with automountServiceAccountToken: false added.
	{"SL-K8S-002", "testdata/hand-written/frontend-no-token.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-003", psaFixtures + "/restricted/v1.37/pass/base.yaml", nil, "default/Pod/base", 2, 0},
	{"SL-K8S-003", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-004", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 1, 53},
	{"SL-K8S-004", demo + "/helm-chart", []string{"opentelemetryCollector.create=true"}, "default/Deployment/opentelemetrycollector", 0, 0},
	{"SL-K8S-005", demo + "/kubernetes-manifests/frontend.yaml", nil, "default/Deployment/frontend", 1, 47},
	{"SL-K8S-005", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
	{"SL-K8S-006", goat + "/health-check/deployment.yaml", nil, "default/Deployment/health-check-deployment", 1, 15},
	{"SL-K8S-006", demo + "/release/kubernetes-manifests.yaml", nil, "default/Deployment/frontend", 0, 0},
}

// TestRuleCases: every built-in Kubernetes rule flags its positive case
// (with the number of findings and the line of the first) and not its
// negative one; every rule has both.
func TestRuleCases(t *testing.T) {
	rs := loadRules(t)
	pos, neg := map[string]bool{}, map[string]bool{}
	for _, c := range ruleCases {
		set := read(t, kube.LoadOptions{Values: c.values}, c.path)
		found := evaluate(t, rs, set)
		fs := found[key(byName(t, set, c.object))][c.rule]
		if len(fs) != c.want {
			t.Errorf("%s on %s %s: %d findings, want %d: %+v", c.rule, c.path, c.object, len(fs), c.want, fs)
			continue
		}
		if c.want == 0 {
			neg[c.rule] = true
			continue
		}
		pos[c.rule] = true
		if c.line != 0 && fs[0].Location.Line != c.line {
			t.Errorf("%s on %s: line %d, want %d (path %s)", c.rule, c.object, fs[0].Location.Line, c.line, fs[0].Path)
		}
		if fs[0].Message == "" || fs[0].Standard == "" {
			t.Errorf("%s: finding without message or standard: %+v", c.rule, fs[0])
		}
	}
	for _, r := range rs.Rules() {
		if !slices.Contains(r.Inputs, check.InputKubernetes) || !r.Builtin {
			continue
		}
		if !pos[r.ID] || !neg[r.ID] {
			t.Errorf("rule %s: positive case %v, negative case %v", r.ID, pos[r.ID], neg[r.ID])
		}
	}
}

// TestInsecureManifestSet is issue 10's done-when for Kubernetes: in a real
// insecure manifest set (kubernetes-goat) every privileged container and
// every host mount of the container runtime socket is found, at its line.
func TestInsecureManifestSet(t *testing.T) {
	rs := loadRules(t)
	set := read(t, kube.LoadOptions{}, goat)
	res := rs.Evaluate(context.Background(), set)
	got := map[string][]string{}
	for _, f := range res.Findings {
		if f.RuleID == "SL-K8S-PSS-003" || f.RuleID == "SL-K8S-001" {
			got[f.RuleID] = append(got[f.RuleID], f.Object+" "+filepath.Base(filepath.Dir(f.Location.File))+":"+itoa(f.Location.Line))
		}
	}
	for _, v := range got {
		sort.Strings(v)
	}
	want := map[string][]string{
		"SL-K8S-PSS-003": {
			"default/DaemonSet/docker-bench-security docker-bench-security:45",
			"default/Deployment/health-check-deployment health-check:25",
			"default/Deployment/system-monitor-deployment system-monitor:39",
		},
		"SL-K8S-001": {
			"default/DaemonSet/docker-bench-security docker-bench-security:91",
			"default/Deployment/health-check-deployment health-check:32",
			"default/Deployment/system-monitor-deployment system-monitor:29", // hostPath "/" holds /run/docker.sock
		},
	}
	if !equalMaps(got, want) {
		t.Errorf("found %v\nwant %v", got, want)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func equalMaps(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestHandWrittenIsLabelled keeps the hand-written inputs honest: each
// says so in its first line.
func TestHandWrittenIsLabelled(t *testing.T) {
	files, _ := filepath.Glob("testdata/hand-written/*.yaml")
	if len(files) == 0 {
		t.Fatal("no hand-written inputs")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "# Hand-written for Sightline") {
			t.Errorf("%s is not labelled as hand-written", f)
		}
	}
}
