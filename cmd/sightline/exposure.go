package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/collect/aws/netcompile"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/netmodel"
)

const exposureLong = `Compute, from an AWS snapshot alone, which internet source addresses can open a
connection to every network interface, EC2 instance, ECS task and load balancer,
on which protocol and ports, and prove it hop by hop: internet gateway, the
subnet's route table (return route), network ACL in and out (stateless, ephemeral
ports), security groups, and load balancer listener → rule → target group →
target. Each result is "exposed" (with the source CIDRs, "wide" when any public
address may connect), "not_exposed" (naming the control that blocks), or
"unknown" (naming the data missing from the snapshot).

The snapshot is a directory in the AWS CLI JSON layout (docs/aws-snapshot.md),
written by 'sightline collect aws' or by the shell recipe in that document.

The table lists exposed and unknown results (add --all for not_exposed too),
fitted to the terminal width (80 columns when not a terminal): resources by
short id (alb/NAME, nlb/NAME, elb/NAME, task/CLUSTER/ID8, i-…), sources worded
as the internet or the internet except some CIDRs. --format json prints every
result with full ARNs and CIDRs (schema sightline.exposure/v1, docs/exposure.md).`

const exposureExample = `  sightline exposure --aws ./snap
  sightline exposure --aws ./snap --format json > exposure.json
  sightline exposure --aws ./snap --why i-0abc123:tcp/22
  sightline exposure --aws ./snap --why alb/web:tcp/443
  sightline exposure --aws ./snap --why arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/50dc:tcp/443`

func newExposureCmd(g *cliutil.Globals) *cobra.Command {
	var dir, why string
	var all bool
	c := &cobra.Command{
		Use:     "exposure --aws DIR [--why RESOURCE:PROTO/PORT]",
		Short:   "Compute internet exposure of cloud resources, with proofs",
		Long:    exposureLong,
		Example: exposureExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.CheckFormat("table", "json"); err != nil {
				return err
			}
			if dir == "" {
				return cliutil.Usagef("--aws DIR is required (a snapshot directory, see docs/aws-snapshot.md)")
			}
			var q *whyQuery
			if why != "" {
				var err error
				if q, err = parseWhy(why); err != nil {
					return cliutil.Usage(err)
				}
			}
			t0 := time.Now()
			snap, err := snapshot.Load(cmd.Context(), dir)
			if err != nil {
				return cliutil.Usage(err)
			}
			model, err := netcompile.Compile(snap)
			if err != nil {
				return cliutil.Usage(err)
			}
			t1 := time.Now()
			rep, err := exposure.Analyze(cmd.Context(), model)
			if err != nil {
				return cliutil.Usage(err)
			}
			g.Logf("exposure: loaded snapshot in %v, analysed in %v (%d results)", t1.Sub(t0).Round(time.Millisecond),
				time.Since(t1).Round(time.Millisecond), len(rep.Results))
			if q != nil {
				return explain(g, rep, model, q)
			}
			if g.Format == "json" {
				return exposure.WriteJSON(g.Stdout, rep)
			}
			return exposure.WriteTable(g.Stdout, rep.Results, all, g.Width())
		},
	}
	c.Flags().StringVar(&dir, "aws", "", "AWS snapshot directory (docs/aws-snapshot.md)")
	c.Flags().StringVar(&why, "why", "", "explain one verdict hop by hop: RESOURCE:PROTO/PORT (resource: i-…, eni-…, task or load balancer ARN, or its short form from the table: alb/web, task/prod/0a1b2c3d)")
	c.Flags().BoolVar(&all, "all", false, "table: list not_exposed results too")
	return c
}

type whyQuery struct {
	resource, proto string
	port            int
}

// parseWhy splits RESOURCE:PROTO/PORT at the last colon (ARNs contain colons).
func parseWhy(s string) (*whyQuery, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return nil, fmt.Errorf("--why %q: want RESOURCE:PROTO/PORT, e.g. i-0abc:tcp/22", s)
	}
	proto, port, ok := strings.Cut(s[i+1:], "/")
	proto = strings.ToLower(proto)
	n, err := strconv.Atoi(port)
	if !ok || err != nil || n < 0 || n > 65535 || (proto != "tcp" && proto != "udp") {
		return nil, fmt.Errorf("--why %q: want RESOURCE:PROTO/PORT with PROTO tcp or udp and PORT 0-65535", s)
	}
	return &whyQuery{resource: s[:i], proto: proto, port: n}, nil
}

func (q *whyQuery) matches(r *exposure.Result) bool {
	if r.Protocol != q.proto || q.port < r.FromPort || q.port > r.ToPort {
		return false
	}
	if r.Resource == q.resource || exposure.ShortID(r.Resource) == q.resource {
		return true
	}
	for _, e := range r.Interfaces {
		if e == q.resource {
			return true
		}
	}
	return false
}

// explain answers --why. The resource may be named by any ID the
// provider gives it (a classic load balancer by name or ARN); a resource
// in the data with no open path at all (an ECS task publishing no port, a
// VPC endpoint's interface) is not_exposed with the reason, not unknown.
func explain(g *cliutil.Globals, rep *exposure.Report, model *netmodel.Model, q *whyQuery) error {
	var reason, typ string
	inModel := false
	for _, reg := range model.Regions {
		if id, t, why, ok := reg.Lookup(q.resource); ok {
			q.resource, typ, reason, inModel = id, t, why, true
			break
		}
	}
	var hits []exposure.Result
	known := false
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Resource == q.resource || exposure.ShortID(r.Resource) == q.resource || contains(r.Interfaces, q.resource) {
			known = true
		}
		if q.matches(r) {
			x := *r
			x.FromPort, x.ToPort = q.port, q.port
			hits = append(hits, x)
		}
	}
	switch {
	case !known && inModel && reason != "":
		hits = []exposure.Result{{Resource: q.resource, ResourceType: typ, Protocol: q.proto, FromPort: q.port, ToPort: q.port,
			Verdict: exposure.NotExposed, Sources: []string{}, Path: []exposure.Hop{}, Missing: []string{},
			BlockedBy: &exposure.Hop{Kind: typ, ID: q.resource, Detail: reason}}}
	case !known:
		return cliutil.Usagef("--why: resource %q is not in the snapshot", q.resource)
	case len(hits) == 0:
		hits = append(hits, exposure.Result{Resource: q.resource, Protocol: q.proto, FromPort: q.port, ToPort: q.port,
			Verdict: exposure.NotExposed, Sources: []string{}, Path: []exposure.Hop{}, Missing: []string{},
			BlockedBy: &exposure.Hop{Kind: "listener", ID: q.resource, Detail: fmt.Sprintf("no listener on %s/%d", q.proto, q.port)}})
	}
	if g.Format == "json" {
		return writeJSON(g.Stdout, exposure.Report{Schema: exposure.Schema, Results: hits})
	}
	return exposure.WriteWhy(g.Stdout, hits, g.Width())
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
