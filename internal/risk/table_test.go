package risk_test

import (
	"testing"

	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
)

// TestShortWhyNamesOutermostFront: the table's reason for an exposed row
// names where the internet enters — the internet-facing load balancer —
// not the target group or Service behind it (`sightline demo` showed
// "via targetgroup/shop-api" for the ALB fleet and "via service/web" for
// the NLB one). Paths as the exposure engine writes them for the demo
// estate; without a load balancer the front in `via` is kept.
func TestShortWhyNamesOutermostFront(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:"
	tg := arn + "targetgroup/shop-api/1f2e3d4c5b6a7988"
	cases := []struct {
		name string
		rc   risk.Reachability
		want string
	}{
		{"alb", risk.Reachability{Class: risk.ReachWide, Port: "tcp/8080", Via: tg, Path: []workload.Hop{
			{Kind: "listener", ID: arn + "listener/app/shop-api/9d3b1f0e2c4a6b8d/0a9b8c7d6e5f4a3b"},
			{Kind: "load_balancer", ID: arn + "loadbalancer/app/shop-api/9d3b1f0e2c4a6b8d"},
			{Kind: "security_group", ID: "sg-0shopalb"},
			{Kind: "target_group", ID: tg},
		}}, "tcp/8080 via alb/shop-api; 1 workload(s)"},
		{"nlb before service", risk.Reachability{Class: risk.ReachWide, Port: "tcp/8080", Via: "k8s:/shop/Service/web", Path: []workload.Hop{
			{Kind: "listener", ID: arn + "listener/net/k8s-shop-web-7f3e9a1c2b/3c5e7a9b1d2f4e6a/5e7a9c1b3d5f7a9c"},
			{Kind: "load_balancer", ID: arn + "loadbalancer/net/k8s-shop-web-7f3e9a1c2b/3c5e7a9b1d2f4e6a"},
			{Kind: "load_balancer", ID: "k8s:/shop/Service/web"},
			{Kind: "service", ID: "k8s:/shop/Service/web"},
		}}, "tcp/8080 via nlb/k8s-shop-web-7f3e9a1c2b; 1 workload(s)"},
		{"narrow host port", risk.Reachability{Class: risk.ReachNarrow, Port: "tcp/80", Via: "i-0abc:tcp/32768", Sources: []string{"81.2.69.0/24"},
			Path: []workload.Hop{{Kind: "network_interface", ID: "eni-0abc"}}}, "tcp/80 via i-0abc:tcp/32768 from 81.2.69.0/24; 1 workload(s)"},
		{"blocked", risk.Reachability{Class: risk.ReachInternal, Port: "tcp/8080", Via: "i-0backoffice00001:tcp/32769",
			BlockedBy: &workload.Hop{Kind: "security_group", ID: "sg-0backoffice"}}, "tcp/8080 blocked by sg-0backoffice; 1 workload(s)"},
	}
	for _, c := range cases {
		r := risk.Risk{Reachability: c.rc, Workloads: []risk.WorkloadRef{{ID: "w"}}, Reasons: []string{"-"}}
		if got := risk.ShortWhy(&r); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
