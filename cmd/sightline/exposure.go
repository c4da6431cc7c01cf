package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/netmodel"
	"github.com/sightline-sec/sightline/internal/workload"
)

const exposureLong = `Compute which internet source addresses can open a connection to every
network interface, EC2 instance, ECS task, container port and load balancer, on
which protocol and ports, and prove it hop by hop: internet gateway, the
subnet's route table (return route), network ACL in and out (stateless, ephemeral
ports), security groups, and load balancer listener → rule → target group →
target. Each result is "exposed" (with the source CIDRs, "wide" when any public
address may connect), "not_exposed" (naming the control that blocks), or
"unknown" (naming the data missing).

Give at least one source. --aws DIR is an AWS snapshot, a directory in the AWS
CLI JSON layout (docs/aws-snapshot.md) written by 'sightline collect aws' or by
the shell recipe in that document. --docker (the local engine), --k8s PATH
(manifests, Helm charts, Kustomize directories) and --kubeconfig FILE or
--context C (a live cluster; --context alone uses $KUBECONFIG or
~/.kube/config) add every container port's verdict, through the hops in front
of it (a published or bound host port, a target group, a Service, NodePort,
Ingress or load balancer) and the host's cloud path (docs/inventory.md).
Without --aws the cloud part of a container's path is unknown and says so.

The table lists exposed and unknown results (add --all for not_exposed too),
fitted to the terminal width (80 columns when not a terminal): resources by
short id (alb/NAME, nlb/NAME, elb/NAME, task/CLUSTER/ID8, i-…, containers as
--why takes them), routes by their front and port (svc/NAME:80, lb/NAME:80,
0.0.0.0:32768, tg/NAME:8080), sources worded as the internet or the internet
except some CIDRs, then what the sources could not read (gaps). --format json
prints every result with full ARNs and CIDRs, and the gaps (schema
sightline.exposure/v1, docs/exposure.md).

--why RESOURCE:PROTO/PORT explains one verdict: a cloud resource (i-…, eni-…,
an ARN or the short id), or a container: TASK-ARN/CONTAINER or
task/CLUSTER/ID8/CONTAINER (ECS), NAMESPACE/POD/CONTAINER (Kubernetes), a
Docker container name or ID.`

const exposureExample = `  sightline exposure --aws ./snap
  sightline exposure --aws ./snap --format json > exposure.json
  sightline exposure --aws ./snap --why i-0abc1234def567890:tcp/22
  sightline exposure --aws ./snap --why alb/web:tcp/443
  sightline exposure --aws ./snap --why task/prod/1b2c3d4e/web:tcp/80
  sightline exposure --aws ./snap --why arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/50dc:tcp/443
  sightline exposure --k8s ./manifests
  sightline exposure --context prod --aws ./snap --why shop/web-7d9f8b6c5-q8m3z/web:tcp/8080
  sightline exposure --docker --host-id i-0abc1234def567890 --aws ./snap --why web-1:tcp/8080`

func newExposureCmd(g *cliutil.Globals) *cobra.Command {
	var src sourceFlags
	var why string
	var all bool
	c := &cobra.Command{
		Use:     "exposure [--aws DIR] [--docker [--host-id I]] [--k8s PATH…|--kubeconfig FILE|--context C] [--why RESOURCE:PROTO/PORT]",
		Short:   "Compute internet exposure of cloud resources and containers, with proofs",
		Long:    exposureLong,
		Example: exposureExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.CheckFormat("table", "json"); err != nil {
				return err
			}
			if !src.any() {
				return cliutil.Usagef("give at least one source: --aws DIR (a snapshot directory, see docs/aws-snapshot.md), --docker, --k8s PATH, --kubeconfig FILE or --context C")
			}
			if err := src.check(); err != nil {
				return err
			}
			var q *whyQuery
			if why != "" {
				var err error
				if q, err = parseWhy(why); err != nil {
					return cliutil.Usage(err)
				}
			}
			s, err := loadSources(cmd.Context(), g, &src, q != nil || src.runtime())
			if err != nil {
				return err
			}
			rep := s.cloud
			if rep == nil {
				rep = &exposure.Report{Schema: exposure.Schema, Results: []exposure.Result{}}
			}
			rep.Gaps = s.inv.Gaps
			if rep.Gaps == nil {
				rep.Gaps = []workload.Gap{}
			}
			if q != nil {
				return explain(g, s, rep, q)
			}
			if src.runtime() {
				rep.Results = append(rep.Results, containerResults(s.inv, g.Format != "json")...)
			}
			if len(rep.Gaps) > 0 {
				g.Warnf("exposure: %s", gapSummary(rep.Gaps))
			}
			if g.Format == "json" {
				return exposure.WriteJSON(g.Stdout, rep)
			}
			if err := exposure.WriteTable(g.Stdout, rep.Results, all, g.Width()); err != nil {
				return err
			}
			return exposure.WriteGaps(g.Stdout, rep.Gaps, g.Width())
		},
	}
	src.register(c.Flags(), true)
	c.Flags().StringVar(&why, "why", "", "explain one verdict hop by hop: RESOURCE:PROTO/PORT (resource: i-…, eni-…, task or load balancer ARN, "+
		"or its short form from the table: alb/web, task/prod/0a1b2c3d; a container: TASK/CONTAINER, NAMESPACE/POD/CONTAINER, a Docker container name or ID)")
	c.Flags().BoolVar(&all, "all", false, "table: list not_exposed results too")
	return c
}

// containerResults lists every container verdict as a result row. For
// the table (table set) a container is named as --why takes it
// (containerLabel) and the route by its VIA text (frontText: the front's
// kind and listen port), so that the rows of one port's routes differ;
// the JSON keeps the full IDs.
func containerResults(inv *workload.Inventory, table bool) []exposure.Result {
	var out []exposure.Result
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		for j := range w.Containers {
			ct := &w.Containers[j]
			vias := viaFronts(ct)
			for k := range ct.Exposure {
				v := &ct.Exposure[k]
				r := verdictResult(w, ct, v)
				if table {
					r.Resource = containerLabel(w, ct)
					if v.Via != "" {
						r.Via = viaText(v, vias[v])
					}
				}
				out = append(out, r)
			}
		}
	}
	return out
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

func explain(g *cliutil.Globals, s *sources, rep *exposure.Report, q *whyQuery) error {
	hits, containerKnown := containerHits(s.inv, q)
	if len(hits) == 0 {
		var known bool
		hits, known = cloudHits(rep, s.model, q)
		if !known && containerKnown {
			hits = []exposure.Result{{Resource: q.resource, ResourceType: "container", Protocol: q.proto, FromPort: q.port, ToPort: q.port,
				Verdict: exposure.NotExposed, Sources: []string{}, Path: []exposure.Hop{}, Missing: []string{},
				BlockedBy: &exposure.Hop{Kind: "container", ID: q.resource,
					Detail: fmt.Sprintf("no container of %s listens on %s/%d (no port mapping, containerPort or published port)", q.resource, q.proto, q.port)}}}
			known = true
		}
		if !known {
			return cliutil.Usagef("--why: resource %q is not in the snapshot or the workloads read", q.resource)
		}
	}
	if g.Format == "json" {
		gaps := rep.Gaps
		if gaps == nil {
			gaps = []workload.Gap{}
		}
		return writeJSON(g.Stdout, exposure.Report{Schema: exposure.Schema, Results: hits, Gaps: gaps})
	}
	return exposure.WriteWhy(g.Stdout, hits, g.Width())
}

// cloudHits are the cloud results about the query's resource and port.
// The resource may be named by any ID the provider gives it (a classic
// load balancer by name or ARN); a resource in the data with no open path
// at all (an ECS task publishing no port, a VPC endpoint's interface) is
// not_exposed with the reason, not unknown.
func cloudHits(rep *exposure.Report, model *netmodel.Model, q *whyQuery) ([]exposure.Result, bool) {
	var reason, typ string
	inModel := false
	if model != nil {
		for _, reg := range model.Regions {
			if id, t, why, ok := reg.Lookup(q.resource); ok {
				q.resource, typ, reason, inModel = id, t, why, true
				break
			}
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
		return []exposure.Result{{Resource: q.resource, ResourceType: typ, Protocol: q.proto, FromPort: q.port, ToPort: q.port,
			Verdict: exposure.NotExposed, Sources: []string{}, Path: []exposure.Hop{}, Missing: []string{},
			BlockedBy: &exposure.Hop{Kind: typ, ID: q.resource, Detail: reason}}}, true
	case known && len(hits) == 0:
		hits = append(hits, exposure.Result{Resource: q.resource, Protocol: q.proto, FromPort: q.port, ToPort: q.port,
			Verdict: exposure.NotExposed, Sources: []string{}, Path: []exposure.Hop{}, Missing: []string{},
			BlockedBy: &exposure.Hop{Kind: "listener", ID: q.resource, Detail: fmt.Sprintf("no listener on %s/%d", q.proto, q.port)}})
	}
	return hits, known
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
