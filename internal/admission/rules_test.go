package admission

import (
	"context"
	"testing"
)

func TestProbeRules(t *testing.T) {
	ev := liveRules(t)
	for name, obj := range map[string]Object{
		"priv":      {Kind: "Pod", Name: "priv", Namespace: "shop", Raw: privilegedPod("priv", fixtureRepo+"@"+cleanDigest)},
		"compliant": {Kind: "Pod", Name: "web", Namespace: "shop", Raw: compliantPod("web", fixtureRepo+"@"+cleanDigest)},
		"frontend":  {Kind: "Deployment", Group: "apps", Name: "frontend", Namespace: "shop", Raw: manifest(t, "Deployment", "frontend")},
	} {
		vs, err := ev.Evaluate(context.Background(), obj)
		t.Logf("%s: err=%v", name, err)
		for _, v := range vs {
			t.Logf("  %s %s %s", v.RuleID, v.Severity, v)
		}
	}
}
