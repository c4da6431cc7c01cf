package kubernetes

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"k8s.io/pod-security-admission/policy"

	"github.com/sightline-sec/sightline/internal/check"
)

// TestPSSOracleRandom extends the differential test to generated pods
// (test-generated input, not real data): every field the Pod Security
// Standards restrict is set at random to an allowed value, a forbidden
// one, or left out, at pod and container level, for containers, init
// containers and ephemeral containers; the controller's checks and the
// rules must give the same verdict for every check on every pod.
func TestPSSOracleRandom(t *testing.T) {
	const pods = 3000
	r := rand.New(rand.NewPCG(10, 37)) // fixed seed: reproducible
	rs := loadRules(t)
	var set check.Set
	for i := range pods {
		o, err := newObject(source{}, randomPod(r, i))
		if err != nil {
			t.Fatal(err)
		}
		set.Objects = append(set.Objects, o)
	}
	found := evaluate(t, rs, set)
	checks := policy.DefaultChecks()
	mismatches, denied := 0, 0
	for _, o := range set.Objects {
		meta, spec := typedPod(t, o)
		for _, c := range checks {
			res := c.Versions[len(c.Versions)-1].CheckPod(meta, spec)
			got := len(found[key(o)][pssRule[c.ID]]) > 0
			if !res.Allowed {
				denied++
			}
			if got == res.Allowed {
				mismatches++
				if mismatches <= 10 {
					t.Errorf("%s check %s: controller allowed=%v (%s), rule %s findings %d\npod %v",
						o.Name, c.ID, res.Allowed, res.ForbiddenDetail, pssRule[c.ID], len(found[key(o)][pssRule[c.ID]]), o.Data["spec"])
				}
			}
		}
	}
	t.Logf("%d pods, %d verdicts, %d denials, %d mismatches", pods, pods*len(checks), denied, mismatches)
	if denied < pods {
		t.Fatalf("only %d denials: the generator is too tame", denied)
	}
}

// pick returns one of the choices; the value absent means "leave the
// field out".
func pick(r *rand.Rand, choices ...any) any { return choices[r.IntN(len(choices))] }

var absent = &struct{}{}

// setField puts v in m under k unless v is absent.
func setField(m map[string]any, k string, v any) {
	if v != absent {
		m[k] = v
	}
}

func randomSecurityContext(r *rand.Rand, pod bool) map[string]any {
	sc := map[string]any{}
	setField(sc, "runAsNonRoot", pick(r, absent, absent, true, false))
	setField(sc, "runAsUser", pick(r, absent, absent, int64(0), int64(1000)))
	setField(sc, "seccompProfile", pick(r, absent, absent, map[string]any{"type": "RuntimeDefault"},
		map[string]any{"type": "Localhost", "localhostProfile": "p.json"}, map[string]any{"type": "Unconfined"}))
	setField(sc, "appArmorProfile", pick(r, absent, absent, absent, map[string]any{"type": "RuntimeDefault"},
		map[string]any{"type": "Localhost", "localhostProfile": "p"}, map[string]any{"type": "Unconfined"}))
	setField(sc, "seLinuxOptions", pick(r, absent, absent, absent, map[string]any{"type": "container_t"},
		map[string]any{"type": "container_engine_t"}, map[string]any{"type": "spc_t"}, map[string]any{"user": "u"},
		map[string]any{"role": "r", "level": "s0"}, map[string]any{"level": "s0:c1"}))
	setField(sc, "windowsOptions", pick(r, absent, absent, absent, map[string]any{"hostProcess": true}, map[string]any{"hostProcess": false}))
	if pod {
		setField(sc, "sysctls", pick(r, absent, absent, []any{map[string]any{"name": "net.ipv4.tcp_syncookies", "value": "1"}},
			[]any{map[string]any{"name": "kernel.msgmax", "value": "1"}},
			[]any{map[string]any{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}, map[string]any{"name": "vm.swappiness", "value": "1"}}))
		return sc
	}
	setField(sc, "privileged", pick(r, absent, absent, true, false))
	setField(sc, "allowPrivilegeEscalation", pick(r, absent, true, false, false))
	setField(sc, "procMount", pick(r, absent, absent, absent, "Default", "Unmasked"))
	setField(sc, "capabilities", pick(r, absent, map[string]any{"drop": []any{"ALL"}},
		map[string]any{"drop": []any{"ALL"}, "add": []any{"NET_BIND_SERVICE"}},
		map[string]any{"drop": []any{"ALL"}, "add": []any{"CHOWN"}},
		map[string]any{"add": []any{"SYS_ADMIN"}}, map[string]any{"add": []any{"NET_RAW", "KILL"}},
		map[string]any{"drop": []any{"NET_RAW"}}))
	setField(sc, "readOnlyRootFilesystem", pick(r, absent, true))
	return sc
}

func randomContainer(r *rand.Rand, name string) map[string]any {
	c := map[string]any{"name": name, "image": "registry.k8s.io/pause"}
	if sc := randomSecurityContext(r, false); len(sc) > 0 || r.IntN(2) == 0 {
		c["securityContext"] = sc
	}
	setField(c, "ports", pick(r, absent, absent, []any{map[string]any{"containerPort": int64(80)}},
		[]any{map[string]any{"containerPort": int64(80), "hostPort": int64(8080)}}))
	probe := pick(r, absent, absent, absent, map[string]any{"httpGet": map[string]any{"port": int64(80)}},
		map[string]any{"httpGet": map[string]any{"port": int64(80), "host": "10.0.0.1"}},
		map[string]any{"tcpSocket": map[string]any{"port": int64(80), "host": ""}},
		map[string]any{"tcpSocket": map[string]any{"port": int64(80), "host": "example.com"}})
	setField(c, pick(r, "livenessProbe", "readinessProbe", "startupProbe").(string), probe)
	setField(c, "lifecycle", pick(r, absent, absent, absent, map[string]any{"preStop": map[string]any{"httpGet": map[string]any{"port": int64(80), "host": "h"}}},
		map[string]any{"postStart": map[string]any{"tcpSocket": map[string]any{"port": int64(80), "host": "h"}}}))
	return c
}

func randomPod(r *rand.Rand, i int) map[string]any {
	spec := map[string]any{"containers": []any{randomContainer(r, "c0")}}
	if r.IntN(3) == 0 {
		spec["containers"] = append(spec["containers"].([]any), randomContainer(r, "c1"))
	}
	if r.IntN(3) == 0 {
		spec["initContainers"] = []any{randomContainer(r, "i0")}
	}
	if r.IntN(5) == 0 {
		spec["ephemeralContainers"] = []any{randomContainer(r, "e0")}
	}
	for _, f := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		setField(spec, f, pick(r, absent, absent, absent, true, false))
	}
	setField(spec, "hostUsers", pick(r, absent, absent, true, false))
	setField(spec, "os", pick(r, absent, absent, absent, map[string]any{"name": "linux"}, map[string]any{"name": "windows"}))
	if sc := randomSecurityContext(r, true); len(sc) > 0 {
		spec["securityContext"] = sc
	}
	setField(spec, "volumes", pick(r, absent, absent,
		[]any{map[string]any{"name": "v", "emptyDir": map[string]any{}}},
		[]any{map[string]any{"name": "v", "hostPath": map[string]any{"path": "/var/run/docker.sock"}}},
		[]any{map[string]any{"name": "v", "nfs": map[string]any{"server": "s", "path": "/"}}, map[string]any{"name": "w", "secret": map[string]any{"secretName": "s"}}},
		[]any{map[string]any{"name": "v", "image": map[string]any{"reference": "x"}}, map[string]any{"name": "w"}},
		[]any{map[string]any{"name": "v", "gitRepo": map[string]any{"repository": "r"}}}))
	meta := map[string]any{"name": fmt.Sprintf("p%d", i)}
	setField(meta, "annotations", pick(r, absent, absent,
		map[string]any{"container.apparmor.security.beta.kubernetes.io/c0": "runtime/default"},
		map[string]any{"container.apparmor.security.beta.kubernetes.io/c0": "unconfined"},
		map[string]any{"container.apparmor.security.beta.kubernetes.io/c0": "localhost/p"}))
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
}
