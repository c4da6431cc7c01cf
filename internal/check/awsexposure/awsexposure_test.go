package awsexposure

import (
	"slices"
	"testing"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/exposure"
)

func rows() []exposure.Result {
	return []exposure.Result{
		{Resource: "i-1", Protocol: "tcp", FromPort: 22, ToPort: 22, Verdict: exposure.Exposed, Width: exposure.Wide, Sources: []string{"0.0.0.0/0"},
			Path: []exposure.Hop{{Kind: "network_interface", ID: "eni-1", Detail: "public IPv4 100.64.0.1"}}},
		{Resource: "i-1", Protocol: "tcp", FromPort: 23, ToPort: 65535, Verdict: exposure.NotExposed,
			BlockedBy: &exposure.Hop{Kind: "security_group", ID: "sg-1", Detail: "no rule admits tcp/23-65535"}},
		{Resource: "i-1", Protocol: "udp", ToPort: 65535, Verdict: exposure.Unknown, Missing: []string{"subnet unknown"}},
	}
}

func TestSetMarksUnknownAndRenders(t *testing.T) {
	rs := rows()
	Rename(rs, map[string]string{"100.64.0.1": "(public IPv4 of aws_instance.a, assigned at launch)"})
	var o check.Object
	Set(&o, rs)
	got := o.Vars["exposure"].([]any)
	first := got[0].(map[string]any)
	if first["from_port"] != int64(22) || first["verdict"] != "exposed" || first["proof"].([]any)[0] != "network_interface eni-1: public IPv4 (public IPv4 of aws_instance.a, assigned at launch)" {
		t.Errorf("row 0 = %v", first)
	}
	if b := got[1].(map[string]any)["blocked_by"]; b != "security_group sg-1: no rule admits tcp/23-65535" {
		t.Errorf("blocked_by = %v", b)
	}
	if !slices.Equal(o.Unknown, []string{"vars.exposure_unknown"}) || o.Vars["exposure_unknown"].([]any)[0] != "udp 0-65535: subnet unknown" {
		t.Errorf("unknown %v %v", o.Unknown, o.Vars["exposure_unknown"])
	}
}

func TestUnsureOnlyTurnsExposed(t *testing.T) {
	rs := rows()
	Unsure(rs, "public address unknown")
	if rs[0].Verdict != exposure.Unknown || !slices.Contains(rs[0].Missing, "public address unknown") {
		t.Errorf("exposed row = %+v", rs[0])
	}
	if rs[1].Verdict != exposure.NotExposed {
		t.Errorf("blocked row changed: %+v", rs[1])
	}
	Explain(rs, []string{"why"})
	if !slices.Contains(rs[2].Missing, "why") || slices.Contains(rs[1].Missing, "why") {
		t.Errorf("explain: %+v", rs)
	}
}

func TestCompareLoadBalancerRows(t *testing.T) {
	rs := []exposure.Result{
		{Via: "lb", Protocol: "tcp", FromPort: 80, ToPort: 80, Verdict: exposure.NotExposed, BlockedBy: &exposure.Hop{Kind: "lb_security_group"}},
		{Via: "lb", Protocol: "tcp", FromPort: 81, ToPort: 81, Verdict: exposure.Exposed},
		{Protocol: "tcp", FromPort: 22, ToPort: 22, Verdict: exposure.Exposed},
	}
	alt := []exposure.Result{
		{Via: "lb", Protocol: "tcp", FromPort: 80, ToPort: 80, Verdict: exposure.Exposed},
		{Via: "lb", Protocol: "tcp", FromPort: 81, ToPort: 81, Verdict: exposure.Exposed},
	}
	Compare(rs, alt, "address")
	if rs[0].Verdict != exposure.Unknown || rs[0].BlockedBy != nil || !slices.Contains(rs[0].Missing, "address") {
		t.Errorf("differing row = %+v", rs[0])
	}
	if rs[1].Verdict != exposure.Exposed || rs[2].Verdict != exposure.Exposed {
		t.Errorf("agreeing or direct rows changed: %+v", rs)
	}
}
