package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/netmodel"
	"github.com/sightline-sec/sightline/internal/reach"
	"github.com/sightline-sec/sightline/internal/textfit"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/docker"
	"github.com/sightline-sec/sightline/internal/workload/ecs"
	"github.com/sightline-sec/sightline/internal/workload/kube"
	"github.com/sightline-sec/sightline/internal/workload/kube/live"
)

const inventoryLong = `List what runs where and how each container port is reached: Docker containers
(--docker), Kubernetes workloads from manifests, Helm charts or Kustomize
directories (--k8s, with --set and --namespace for charts) or a live cluster
(--kubeconfig FILE, or --context C alone for the default kubeconfig:
$KUBECONFIG or ~/.kube/config), and ECS tasks from an AWS snapshot (--aws). Every container port
gets one verdict for its direct path (the workload's own cloud interface) and one
per route in front of it (a published port, an ECS port mapping or target group, a
Kubernetes Service, NodePort or load balancer), computed through those hops, the
NetworkPolicies that select the pod, and the cloud network around the host, with
the semantics of 'sightline exposure': "exposed" (sources, wide/narrow),
"not exposed" (the blocking control), "unknown" (the data that is missing).

Without --aws (or --host-id for a Docker host) the cloud part of a path is
unknown and says so. What a source could not read is listed as a gap: on stderr,
in the table footer and in the JSON "gaps"; "0 workloads" is printed only when
every source was read.

The table has one line per container port and route, fitted to the terminal
width. --format json prints the inventory document (schema
sightline.inventory/v1, docs/inventory.md).`

const inventoryExample = `  sightline inventory --aws ./snap
  sightline inventory --aws ./snap --format json > inventory.json
  sightline inventory --docker --host-id i-0abc1234def567890 --aws ./snap
  sightline inventory --k8s ./manifests --k8s ./chart --set frontend.externalService=false
  sightline inventory --kubeconfig ./prod.kubeconfig --aws ./snap
  sightline inventory --context prod --aws ./snap        # $KUBECONFIG or ~/.kube/config`

// sourceFlags are the runtime and cloud sources `inventory` and
// `exposure` read.
type sourceFlags struct {
	docker     bool
	hostID     string
	k8s        []string
	namespace  string   // --k8s: namespace of objects naming none, Helm release namespace
	set        []string // --k8s: Helm values (--set a.b=c)
	kubeconfig string
	context    string
	aws        string
}

func (s *sourceFlags) register(fs *pflag.FlagSet, withAWS bool) {
	fs.BoolVar(&s.docker, "docker", false, "read running containers from the Docker engine (DOCKER_HOST or the local socket)")
	fs.StringVar(&s.hostID, "host-id", "", "the EC2 instance ID of the Docker host (i-…), when the instance metadata service cannot tell")
	fs.StringArrayVar(&s.k8s, "k8s", nil, "Kubernetes manifests: a YAML file, a directory, a Helm chart or a Kustomize directory (repeatable)")
	fs.StringVar(&s.namespace, "namespace", "", "--k8s: the namespace of objects that name none, and the Helm release namespace (default \"default\")")
	fs.StringArrayVar(&s.set, "set", nil, "--k8s: a Helm value for the charts, as helm install --set takes it (a.b=c,d=e; repeatable)")
	fs.StringVar(&s.kubeconfig, "kubeconfig", "", "read a live Kubernetes cluster through this kubeconfig (read-only list calls)")
	fs.StringVar(&s.context, "context", "", "read a live cluster through this kubeconfig context (default: the current context; "+
		"without --kubeconfig the default kubeconfig: $KUBECONFIG or ~/.kube/config)")
	if withAWS {
		fs.StringVar(&s.aws, "aws", "", "AWS snapshot directory (docs/aws-snapshot.md): ECS tasks and the cloud exposure of hosts and load balancers")
	}
}

// live reports whether a live cluster is to be read: --kubeconfig, or
// --context alone (the default kubeconfig: $KUBECONFIG or ~/.kube/config,
// as kubectl loads it).
func (s *sourceFlags) live() bool { return s.kubeconfig != "" || s.context != "" }

// runtime reports whether a runtime source (Docker, Kubernetes) is given.
func (s *sourceFlags) runtime() bool { return s.docker || len(s.k8s) > 0 || s.live() }

func (s *sourceFlags) any() bool { return s.runtime() || s.aws != "" }

func (s *sourceFlags) check() error {
	if len(s.k8s) > 0 && s.live() {
		return cliutil.Usagef("give --k8s PATH… or a live cluster (--kubeconfig FILE, --context C), not both")
	}
	if (s.namespace != "" || len(s.set) > 0) && len(s.k8s) == 0 {
		return cliutil.Usagef("--namespace and --set apply to --k8s manifests and charts: give --k8s PATH")
	}
	if s.hostID != "" && !s.docker {
		return cliutil.Usagef("--host-id names the Docker host: it needs --docker")
	}
	if s.hostID != "" && !strings.HasPrefix(s.hostID, "i-") {
		return cliutil.Usagef("--host-id %q: want an EC2 instance ID (i-…)", s.hostID)
	}
	return nil
}

// sources is what the sources gave: the merged inventory (container
// exposure filled) and the cloud results.
type sources struct {
	inv   *workload.Inventory
	cloud *exposure.Report   // nil without --aws
	model *netmodel.Model    // the compiled network model; nil without --aws
	snap  *snapshot.Snapshot // the AWS snapshot read; nil without --aws
	read  []string           // the sources read, for the footer
}

// loadSources reads every source given, merges the inventories and
// computes every container port's exposure. Runtime sources not compiled
// into this build are usage errors.
func loadSources(ctx context.Context, g *cliutil.Globals, f *sourceFlags, join bool) (*sources, error) {
	out := &sources{inv: &workload.Inventory{Schema: workload.Schema, Workloads: []workload.Workload{}, Gaps: []workload.Gap{}}}
	var snap *snapshot.Snapshot
	if f.docker {
		inv, err := docker.Collect(ctx, docker.Options{HostID: f.hostID, Logf: g.Logf})
		if err != nil {
			return nil, dockerError(err)
		}
		out.inv.Merge(inv)
		out.read = append(out.read, "the Docker engine")
	}
	if len(f.k8s) > 0 {
		objs, err := kube.LoadManifests(ctx, f.k8s, kube.LoadOptions{Values: f.set, Namespace: f.namespace, Logf: g.Logf})
		if err != nil {
			return nil, inputError(err)
		}
		out.inv.Merge(kube.Build(objs))
		out.read = append(out.read, "Kubernetes manifests")
	}
	if f.live() {
		objs, err := live.Collect(ctx, live.Options{Kubeconfig: f.kubeconfig, Context: f.context, Logf: g.Logf})
		if err != nil {
			return nil, kubeError(err)
		}
		out.inv.Merge(kube.Build(objs))
		out.read = append(out.read, "a Kubernetes cluster")
	}
	if f.aws != "" {
		t0 := time.Now()
		var err error
		if snap, err = snapshot.Load(ctx, f.aws); err != nil {
			return nil, inputError(err)
		}
		model, rep, err := reach.AnalyzeAWS(ctx, snap)
		if err != nil {
			return nil, inputError(err)
		}
		out.cloud, out.model, out.snap = rep, model, snap
		out.read = append(out.read, "an AWS snapshot")
		g.Logf("loaded and analysed the AWS snapshot in %v (%d results)", time.Since(t0).Round(time.Millisecond), len(rep.Results))
		tasks := ecs.FromSnapshot(snap)
		if !join {
			// The cloud results cover ECS tasks; what ECS data the
			// snapshot lacks is still said (gaps).
			out.inv.Gaps = append(out.inv.Gaps, tasks.Gaps...)
			return out, nil
		}
		out.inv.Merge(tasks)
	}
	t0 := time.Now()
	reach.Join(out.inv, snap, out.cloud)
	g.Logf("inventory: %d workloads joined in %v", len(out.inv.Workloads), time.Since(t0).Round(time.Millisecond))
	return out, nil
}

// inputError marks a source's error as bad input (exit 2), unless the run
// was interrupted (Ctrl-C, SIGTERM: the context ended), which is not the
// input's fault (3).
func inputError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &cliutil.Error{Code: cliutil.ExitInternal, Err: err}
	}
	return cliutil.Usage(err)
}

// dockerError sorts a Docker source failure by exit code: a malformed
// DOCKER_HOST or --host-id is bad input (2); an engine that cannot be
// reached or fails is the environment (3, docs/cli.md).
func dockerError(err error) error {
	if msg := err.Error(); strings.HasPrefix(msg, "docker endpoint") || strings.HasPrefix(msg, "--host-id") {
		return cliutil.Usage(err)
	}
	return &cliutil.Error{Code: cliutil.ExitInternal, Err: err}
}

// kubeError sorts a live cluster failure: an API server that cannot be
// reached or rejects the credentials, or a failing credential plugin, is
// the environment (3); an unreadable kubeconfig or unknown context is bad
// input (2).
func kubeError(err error) error {
	if errors.Is(err, live.ErrEnvironment) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &cliutil.Error{Code: cliutil.ExitInternal, Err: err}
	}
	return cliutil.Usage(err)
}

func newInventoryCmd(g *cliutil.Globals) *cobra.Command {
	var src sourceFlags
	var all bool
	c := &cobra.Command{
		Use:     "inventory [--docker [--host-id I]] [--k8s PATH… [--set K=V]|--kubeconfig FILE|--context C] [--aws DIR]",
		Short:   "List running workloads, their images and ports, and how each port is reached",
		Long:    inventoryLong,
		Example: inventoryExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.CheckFormat("table", "json"); err != nil {
				return err
			}
			if err := src.check(); err != nil {
				return err
			}
			if !src.any() {
				return cliutil.Usagef("give at least one source: --docker, --k8s PATH, --kubeconfig FILE, --context C or --aws DIR")
			}
			s, err := loadSources(cmd.Context(), g, &src, true)
			if err != nil {
				return err
			}
			if len(s.inv.Gaps) > 0 {
				g.Warnf("inventory: %s", gapSummary(s.inv.Gaps))
			}
			if g.Format == "json" {
				return writeJSON(g.Stdout, s.inv)
			}
			return writeInventoryTable(g.Stdout, s, all, g.Width())
		},
	}
	src.register(c.Flags(), true)
	c.Flags().BoolVar(&all, "all", false, "table: list every verdict (by default the exposed and unknown ones, plus at least one line per port)")
	return c
}

// gapSummary is the one-line warning about what could not be read.
func gapSummary(gaps []workload.Gap) string {
	s := fmt.Sprintf("%d gap(s), results may be incomplete: %s", len(gaps), exposure.GapText(gaps[0]))
	if len(gaps) > 1 {
		s += fmt.Sprintf(" (and %d more: see the table footer or --format json)", len(gaps)-1)
	}
	return s
}

// WorkloadName is how the table names a workload: ECS tasks by their
// short task form (task/CLUSTER/ID8), Kubernetes workloads as
// namespace/Kind/name, Docker containers by name.
func workloadName(w *workload.Workload) string {
	switch w.Source {
	case workload.SourceECS:
		return exposure.ShortID(strings.TrimPrefix(w.ID, "ecs:"))
	case workload.SourceKubernetes:
		if w.Kind == "Deployment" {
			return w.Namespace + "/" + w.Name
		}
		return w.Namespace + "/" + w.Name + " (" + kindAbbrev(w.Kind) + ")"
	}
	return w.Name
}

// kindAbbrev shortens a Kubernetes kind as kubectl's short names do.
func kindAbbrev(kind string) string {
	switch kind {
	case "StatefulSet":
		return "sts"
	case "DaemonSet":
		return "ds"
	case "ReplicaSet":
		return "rs"
	case "Service":
		return "svc"
	case "Ingress":
		return "ing"
	}
	return strings.ToLower(kind)
}

func hostName(w *workload.Workload) string {
	switch {
	case w.Host == nil:
		if w.NetworkMode == "awsvpc" {
			return w.Interface
		}
		return "-"
	case w.Host.InstanceID != "":
		return w.Host.InstanceID
	}
	return w.Host.Name
}

// portText is the container port (the VIA column names the host port or
// front it is reached through).
func portText(v *workload.Verdict) string {
	return v.Protocol + "/" + strconv.Itoa(v.ContainerPort)
}

// verdictText is the table's last column: the verdict, then who may
// connect, what blocks, or what is missing. An exposed verdict with
// missing data says so: the sources are those the known hops admit, and
// the missing hops may narrow them.
func verdictText(v *workload.Verdict, fronts map[string]*workload.Front) string {
	label := strings.ReplaceAll(v.Verdict, "_", " ")
	if v.Verdict == exposure.Exposed && len(v.Missing) > 0 {
		label += " (possibly narrower)"
	}
	return label + ": " + verdictWhy(v, fronts)
}

func verdictWhy(v *workload.Verdict, fronts map[string]*workload.Front) string {
	switch {
	case v.Verdict == exposure.Exposed:
		s := "from " + exposure.SourcesText(v.Sources)
		if len(v.Missing) > 0 {
			s += "; " + missingText(v.Missing)
		}
		return s
	case trivialDirect(v):
		return "not published or fronted; no cloud interface"
	case v.BlockedBy != nil && (v.BlockedBy.Kind == "docker_publish" || v.BlockedBy.Kind == "ecs_port_mapping") && v.BlockedBy.ID == v.Via:
		return "bound to loopback: reachable from the host only"
	case v.BlockedBy != nil && v.BlockedBy.Kind == "service":
		return "in-cluster only (ClusterIP)"
	case v.BlockedBy != nil:
		return "blocked by " + v.BlockedBy.Kind + " " + blockerText(v.BlockedBy, fronts)
	case len(v.Missing) > 0:
		return missingText(v.Missing)
	}
	return ""
}

// missingText is the first missing reason and how many more there are.
func missingText(missing []string) string {
	s := "missing: " + missing[0]
	if n := len(missing) - 1; n > 0 {
		s += fmt.Sprintf(" (+%d more in --format json)", n)
	}
	return s
}

// blockerText names the control that blocks: a front by its VIA text,
// anything else by its short ID.
func blockerText(h *workload.Hop, fronts map[string]*workload.Front) string {
	if f := fronts[h.Kind+"|"+h.ID]; f != nil {
		return frontText(f)
	}
	return exposure.ShortID(h.ID)
}

// viaText is the VIA column: "direct", or the route's outermost front
// (f, nil when not found) by its kind and the port it listens on.
func viaText(v *workload.Verdict, f *workload.Front) string {
	switch {
	case v.Via == "":
		return "direct"
	case f == nil:
		return exposure.ShortID(v.Via)
	}
	return frontText(f)
}

// frontText names a front by what it is and the port it listens on, so
// that the routes of one container port can be told apart:
//
//	svc/NAME:80         a Service's ClusterIP port
//	nodeport/NAME:30080 a NodePort (on every node)
//	lb/NAME:80          a Service of type LoadBalancer
//	ing/NAME:443        an Ingress
//	hostPort:8080       a pod's hostPort
//	0.0.0.0:32768       a Docker published port ([::]:32768 for IPv6)
//	host:8080           a host-network port or ECS host port mapping
//	tg/NAME:8080        an ELBv2 target group (elb/NAME:80 classic)
func frontText(f *workload.Front) string {
	port := ":" + strconv.Itoa(f.ListenPort)
	if f.ListenPort == 0 { // a NodePort the API server has not allocated (manifests)
		port = ""
	}
	switch f.Kind {
	case "docker_publish":
		if rest, ok := strings.CutPrefix(f.ID, "docker:"); ok {
			if _, listen, ok := strings.Cut(rest, ":"); ok && listen != "" {
				if i := strings.LastIndexByte(listen, '/'); i > 0 {
					listen = listen[:i]
				}
				return listen
			}
		}
		return "published" + port
	case "host_network", "ecs_port_mapping":
		return "host" + port
	case "host_port":
		return "hostPort" + port
	case "service":
		return "svc/" + kubeName(f.ID) + port
	case "node_port":
		return "nodeport/" + kubeName(f.ID) + port
	case "load_balancer":
		return "lb/" + kubeName(f.ID) + port
	case "ingress":
		return "ing/" + kubeName(f.ID) + port
	case "target_group":
		if strings.HasPrefix(f.ID, "arn:") {
			if seg := strings.Split(exposure.ShortID(f.ID), "/"); len(seg) >= 2 && seg[0] == "targetgroup" {
				return "tg/" + seg[1] + port
			}
			return exposure.ShortID(f.ID) + port
		}
		return "elb/" + f.ID + port // a classic load balancer, by name
	}
	return exposure.ShortID(f.ID) + port
}

// kubeName is the object name of a Kubernetes ID
// (k8s:CLUSTER/NAMESPACE/Kind/NAME).
func kubeName(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// frontsOf indexes a container's fronts by kind and ID: several fronts
// share an ID (a Kubernetes Service's service, node_port and
// load_balancer fronts all carry the Service's ID).
func frontsOf(ct *workload.Container) map[string]*workload.Front {
	m := map[string]*workload.Front{}
	for i := range ct.Ports {
		for j := range ct.Ports[i].Routes {
			r := &ct.Ports[i].Routes[j]
			for k := range r.Fronts {
				f := &r.Fronts[k]
				if _, dup := m[f.Kind+"|"+f.ID]; !dup {
					m[f.Kind+"|"+f.ID] = f
				}
			}
		}
	}
	return m
}

// viaFronts is, for each of ct.Exposure's verdicts, the outermost front
// of its route (nil for a direct path). The engine lists each port's
// direct verdict, then one verdict per route in the port's route order
// (exposure.Containers); a route is taken only when its outermost front
// is the verdict's Via, so a different order can only lose the port in
// the VIA text, never name a wrong one.
func viaFronts(ct *workload.Container) map[*workload.Verdict]*workload.Front {
	out := map[*workload.Verdict]*workload.Front{}
	k := 0
	for i := range ct.Ports {
		p := &ct.Ports[i]
		k++ // the direct path
		for j := range p.Routes {
			if k >= len(ct.Exposure) {
				return out
			}
			r, v := &p.Routes[j], &ct.Exposure[k]
			if len(r.Fronts) > 0 && r.Fronts[0].ID == v.Via && v.ContainerPort == p.ContainerPort && v.Protocol == p.Protocol {
				out[v] = &r.Fronts[0]
			}
			k++
		}
	}
	return out
}

// trivialDirect reports whether v is the direct path of a workload with
// no cloud interface of its own: not exposed, blocked by the workload.
func trivialDirect(v *workload.Verdict) bool {
	return v.Via == "" && v.Verdict == exposure.NotExposed && v.BlockedBy != nil && v.BlockedBy.Kind == "workload"
}

// reachRows picks the verdicts the table lists for one container: all of
// them with all; else, per container port, the exposed and unknown ones,
// and at least one line per port — a port reached only through routes
// (its direct path blocked by the workload itself) is shown by its
// routes, not_exposed ones included when none is exposed or unknown, so
// the line names the control that blocks it.
func reachRows(ct *workload.Container, all bool) []*workload.Verdict {
	var out []*workload.Verdict
	for i := 0; i < len(ct.Exposure); {
		j := i + 1 // ct.Exposure holds each port's direct verdict, then its routes
		for j < len(ct.Exposure) && ct.Exposure[j].Via != "" {
			j++
		}
		port := ct.Exposure[i:j]
		if all {
			for k := range port {
				out = append(out, &port[k])
			}
			i = j
			continue
		}
		var shown []*workload.Verdict
		for k := range port {
			if port[k].Verdict != exposure.NotExposed {
				shown = append(shown, &port[k])
			}
		}
		switch {
		case len(port) == 1 || !trivialDirect(&port[0]):
			if port[0].Verdict == exposure.NotExposed {
				shown = append([]*workload.Verdict{&port[0]}, shown...)
			}
		case len(shown) == 0:
			for k := range port[1:] {
				shown = append(shown, &port[1+k])
			}
		}
		out = append(out, shown...)
		i = j
	}
	return out
}

// containerLabel names a container in the reach table as `exposure --why`
// takes it: NAMESPACE/POD/CONTAINER (Kubernetes), task/CLUSTER/ID8/CONTAINER
// (ECS), the container name (Docker).
func containerLabel(wl *workload.Workload, ct *workload.Container) string {
	switch wl.Source {
	case workload.SourceKubernetes:
		return wl.Namespace + "/" + wl.Name + "/" + ct.Name
	case workload.SourceDocker:
		if ct.Name == wl.Name {
			return wl.Name
		}
	}
	return workloadName(wl) + "/" + ct.Name
}

// cutPath shortens a slash-separated name to n columns by dropping
// leading segments first ("…/adservice/server" for
// "default/adservice/server"): the tail names the object.
func cutPath(s string, n int) string {
	if textfit.Len(s) <= n {
		return s
	}
	for rest := s; ; {
		_, r, ok := strings.Cut(rest, "/")
		if !ok || !strings.Contains(r, "/") { // keep two segments at least
			break
		}
		rest = r
		if textfit.Len(rest)+2 <= n {
			return "…/" + rest
		}
	}
	return textfit.CutLeft(s, n)
}

// cutImage shortens an image reference to n columns keeping what tells
// images apart: the registry host goes first, then the digest, then the
// head of the repository path ("…/adservice:v0.10.6"), then the end of
// the tag ("…/adservice:v0…").
func cutImage(ref string, n int) string {
	noDigest := func(s string) string {
		if i := strings.IndexByte(s, '@'); i > 0 {
			return s[:i]
		}
		return s
	}
	cands := []string{ref}
	if first, rest, ok := strings.Cut(ref, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		cands = append(cands, "…/"+rest, "…/"+noDigest(rest))
	}
	cands = append(cands, noDigest(ref))
	if i := strings.LastIndexByte(noDigest(ref), '/'); i >= 0 {
		last := ref[i+1:]
		cands = append(cands, "…/"+last, "…/"+noDigest(last))
	}
	for _, c := range cands {
		if textfit.Len(c) <= n {
			return c
		}
	}
	// The repository name tells images apart more often than the tag
	// (every image of a release shares its tag): keep its head.
	return textfit.Cut(cands[len(cands)-1], n)
}

// writeInventoryTable writes two tables: what runs where (one line per
// container) and how each port is reached (one line per port and route;
// not_exposed routes other than the direct path only with all), then the
// counts and the gaps.
func writeInventoryTable(w io.Writer, s *sources, all bool, width int) error {
	if width <= 0 {
		width = textfit.DefaultWidth
	}
	// The risk flags are short words that wrap well: the names, hosts and
	// images beside them get the room. The reasons of the second table
	// wrap at 20 columns, so that container names of 20 characters (a
	// Compose name such as "shop-postgres-1") stay whole at 80.
	runs := textfit.Table{Header: []string{"WORKLOAD", "HOST", "CONTAINER", "IMAGE", "RISK"}, Width: width, MinLast: len("privileged,"), Squeeze: []int{3},
		Cut: map[int]func(string, int) string{0: cutPath, 3: cutImage}}
	reach := textfit.Table{Header: []string{"CONTAINER", "PORT", "VIA", "VERDICT: SOURCES / WHY"}, Width: width, MinLast: 24, Squeeze: []int{2, 0},
		Cut: map[int]func(string, int) string{0: cutPath}}
	counts := map[string]int{}
	containers := 0
	for i := range s.inv.Workloads {
		wl := &s.inv.Workloads[i]
		for j := range wl.Containers {
			ct := &wl.Containers[j]
			containers++
			image := ct.Image.Ref
			if ct.Image.Confidence == "digest" && ct.Image.Digest != "" && !strings.Contains(image, "@") {
				image += "@" + shortDigest(ct.Image.Digest)
			}
			cname := ct.Name
			if cname == workloadName(wl) {
				cname = "-" // the workload is the container (Docker): named once
			}
			runs.Add(workloadName(wl), hostName(wl), cname, image, containerFlags(wl, ct))
			for k := range ct.Exposure {
				counts[ct.Exposure[k].Verdict]++
			}
			fronts, vias := frontsOf(ct), viaFronts(ct)
			for _, v := range reachRows(ct, all) {
				reach.Add(containerLabel(wl, ct), portText(v), viaText(v, vias[v]), verdictText(v, fronts))
			}
		}
	}
	// The RISK column needs room for its longest word only; when no
	// container has a flag, the images get the room.
	runs.MinLast = len("RISK")
	for _, r := range runs.Rows {
		for _, word := range strings.Fields(r[len(r)-1]) {
			runs.MinLast = min(max(runs.MinLast, textfit.Len(word)), len("privileged,"))
		}
	}
	if err := runs.Write(w); err != nil {
		return err
	}
	if len(reach.Rows) > 0 {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		if err := reach.Write(w); err != nil {
			return err
		}
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, l := range textfit.Indent(fmt.Sprintf("%d workloads, %d containers from %s; port routes: %d exposed, %d not exposed, %d unknown",
		len(s.inv.Workloads), containers, strings.Join(s.read, ", "), counts[exposure.Exposed], counts[exposure.NotExposed], counts[exposure.Unknown]), 0, width) {
		b.WriteString(l + "\n")
	}
	if len(s.inv.Workloads) == 0 {
		// Checked and found nothing: say where else workloads come from.
		for _, l := range textfit.Indent("no workloads in what was read: ECS tasks come from an AWS snapshot (--aws), containers on a Docker host from --docker, Kubernetes pods from --k8s or --kubeconfig", 2, width) {
			b.WriteString(l + "\n")
		}
	}
	for _, l := range exposure.GapLines(s.inv.Gaps, width) {
		b.WriteString(l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// containerFlags marks risky settings next to the container name, in
// short words: "root" when the user is root for certain (user 0 or root),
// "root?" when no user is set and runAsNonRoot does not forbid root (the
// image's USER decides; root unless it sets one); the host namespaces
// (hostPID, hostNetwork, hostIPC); added capabilities that amount to
// host control (Kubernetes Pod Security Standards "baseline" allow none
// of them: https://kubernetes.io/docs/concepts/security/pod-security-standards/);
// host paths that expose the host (/, /etc, /proc, /var/run, …) or its
// runtime socket; allowPrivilegeEscalation set true.
func containerFlags(w *workload.Workload, ct *workload.Container) string {
	var f []string
	if ct.Privileged {
		f = append(f, "privileged")
	}
	switch {
	case ct.User == "0" || ct.User == "root" || strings.HasPrefix(ct.User, "0:") || strings.HasPrefix(ct.User, "root:"):
		f = append(f, "root")
	case ct.User == "" && (ct.RunAsNonRoot == nil || !*ct.RunAsNonRoot):
		f = append(f, "root?")
	}
	if w.HostPID {
		f = append(f, "hostPID")
	}
	if w.HostNetwork {
		f = append(f, "hostNetwork")
	}
	if w.HostIPC {
		f = append(f, "hostIPC")
	}
	for _, c := range ct.CapAdd {
		c = strings.ToUpper(strings.TrimPrefix(strings.ToUpper(c), "CAP_"))
		if dangerousCaps[c] {
			f = append(f, c)
		}
	}
	socket, hostPath := false, ""
	for _, m := range ct.Mounts {
		switch {
		case m.RuntimeSocket:
			socket = true
		case m.HostPath && hostPath == "" && sensitiveHostPath(m.Source):
			hostPath = m.Source
		}
	}
	if socket {
		f = append(f, "runtime socket")
	}
	if hostPath != "" {
		f = append(f, "host "+hostPath)
	}
	if ct.AllowPrivilegeEscalation != nil && *ct.AllowPrivilegeEscalation && !ct.Privileged {
		f = append(f, "privesc")
	}
	return strings.Join(f, ", ")
}

// dangerousCaps are the capabilities that give a container control over
// its host or other containers (capabilities(7)).
var dangerousCaps = map[string]bool{"ALL": true, "SYS_ADMIN": true, "NET_ADMIN": true, "SYS_PTRACE": true, "SYS_MODULE": true,
	"DAC_READ_SEARCH": true, "SYS_RAWIO": true, "BPF": true, "PERFMON": true, "SYS_BOOT": true, "SYS_TIME": true, "MAC_ADMIN": true, "NET_RAW": true}

// sensitiveHostPath reports host paths whose mount exposes the host:
// the root, its configuration, kernel and process views, runtime state
// and the kubelet's files.
func sensitiveHostPath(p string) bool {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return true // "/"
	}
	for _, s := range []string{"/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/var/run", "/run", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/home"} {
		if p == s || strings.HasPrefix(p, s+"/") {
			return true
		}
	}
	return false
}

// ---- exposure --why on containers ---------------------------------------------

// containerHits answers `exposure --why` for a container port: the query's
// resource names a container as namespace/pod/container (Kubernetes), a
// Docker container name or ID, an ECS task ARN or short form followed by
// "/container", or an ECS task alone (every container with that port).
// Each verdict becomes a result of the cloud report's shape for WriteWhy.
func containerHits(inv *workload.Inventory, q *whyQuery) (hits []exposure.Result, known bool) {
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		for j := range w.Containers {
			ct := &w.Containers[j]
			if !namesContainer(w, ct, q.resource) {
				continue
			}
			known = true
			hits = append(hits, portHits(w, ct, q)...)
		}
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].Resource < hits[b].Resource })
	return hits, known
}

// portHits are one container's verdicts for the query's port: the
// direct path once (a port published on several host addresses is one
// Port per binding, each with the same direct verdict), then every route.
// When routes exist, the direct path's proof says the container is
// reached through them rather than "the port is not published".
func portHits(w *workload.Workload, ct *workload.Container, q *whyQuery) []exposure.Result {
	var direct, routes []exposure.Result
	seen := map[string]bool{}
	for k := range ct.Exposure {
		v := &ct.Exposure[k]
		if v.Protocol != q.proto || v.ContainerPort != q.port {
			continue
		}
		r := verdictResult(w, ct, v)
		if v.Via != "" {
			routes = append(routes, r)
			continue
		}
		key := v.Verdict + "|" + fmt.Sprint(r.BlockedBy) + "|" + strings.Join(v.Sources, ",") + "|" + strings.Join(v.Missing, ";")
		if !seen[key] {
			seen[key] = true
			direct = append(direct, r)
		}
	}
	for i := range direct {
		if b := direct[i].BlockedBy; len(routes) > 0 && b != nil && b.Kind == "workload" {
			nb := *b
			nb.Detail = "the container has no address reachable from outside its host; it is reached only through its published ports or fronts below"
			direct[i].BlockedBy = &nb
		}
	}
	return append(direct, routes...)
}

func namesContainer(w *workload.Workload, ct *workload.Container, ref string) bool {
	switch w.Source {
	case workload.SourceKubernetes:
		return ref == w.Namespace+"/"+w.Name+"/"+ct.Name
	case workload.SourceDocker:
		id := strings.TrimPrefix(w.ID, "docker:")
		return ref == w.Name || ref == "/"+w.Name || (len(ref) >= 12 && strings.HasPrefix(id, ref))
	case workload.SourceECS:
		task := strings.TrimPrefix(w.ID, "ecs:")
		for _, t := range []string{task, exposure.ShortID(task)} {
			if ref == t || ref == t+"/"+ct.Name {
				return true
			}
		}
	}
	return false
}

// verdictResult renders a container verdict as a result for WriteWhy and
// the JSON of `exposure --why`.
func verdictResult(w *workload.Workload, ct *workload.Container, v *workload.Verdict) exposure.Result {
	r := exposure.Result{Resource: strings.TrimPrefix(strings.TrimPrefix(w.ID, "ecs:"), "docker:") + "/" + ct.Name, ResourceType: "container",
		Protocol: v.Protocol, FromPort: v.ContainerPort, ToPort: v.ContainerPort, Verdict: v.Verdict, Sources: v.Sources,
		Width: v.Width, Via: v.Via, Missing: v.Missing, Path: make([]exposure.Hop, len(v.Path))}
	for i, h := range v.Path {
		r.Path[i] = exposure.Hop(h)
	}
	if v.BlockedBy != nil {
		b := exposure.Hop(*v.BlockedBy)
		r.BlockedBy = &b
	}
	return r
}
