package identity

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/iam"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/ecs"
	"github.com/sightline-sec/sightline/internal/workload/kube"
)

// The EKS cluster of the snapshot's eks describe-cluster (a recorded
// response, see testdata/PROVENANCE.md).
const (
	clusterARN = "arn:aws:eks:us-east-1:644160558196:cluster/serious-bluegrass-ladybug"
	eksAcct    = "644160558196"
	ecsAcct    = "111122223333"
)

type fixture struct {
	snap *snapshot.Snapshot
	est  *iam.Estate
	// issuer is cluster.identity.oidc.issuer of the recorded describe-cluster.
	issuer string
}

func load(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	snap, err := snapshot.Load(ctx, filepath.Join("testdata", "snapshot"))
	if err != nil {
		t.Fatal(err)
	}
	est, err := iam.LoadSnapshot(ctx, filepath.Join("testdata", "snapshot"))
	if err != nil {
		t.Fatal(err)
	}
	var issuer string
	for _, reg := range snap.Regions {
		if c, ok := reg.EKSCluster("serious-bluegrass-ladybug"); ok && c.Arn == clusterARN && c.Identity != nil && c.Identity.Oidc != nil {
			issuer = c.Identity.Oidc.Issuer
		}
	}
	if !strings.HasPrefix(issuer, "https://oidc.eks.us-east-1.amazonaws.com/id/") {
		t.Fatalf("describe-cluster fixture: issuer %q", issuer)
	}
	return fixture{snap: snap, est: est, issuer: issuer}
}

// pod is one running pod of the test cluster.
type pod struct {
	ns, name, sa, node string
	hostNet            bool
}

// kubeInventory builds the inventory of a live cluster with kube.Build
// (the code `sightline inventory` uses): pods on EKS nodes (spec.providerID
// names the instance) and service accounts with IRSA annotations.
func kubeInventory(context string, pods []pod, sas map[string]string, nodes map[string]string) *workload.Inventory {
	objs := &kube.Objects{Cluster: context, Live: true}
	for key, role := range sas {
		ns, name, _ := strings.Cut(key, "/")
		objs.ServiceAccounts = append(objs.ServiceAccounts, corev1.ServiceAccount{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{kube.IRSAAnnotation: role}}})
	}
	for name, inst := range nodes {
		objs.Nodes = append(objs.Nodes, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + inst}})
	}
	for _, p := range pods {
		objs.Pods = append(objs.Pods, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: p.ns, Name: p.name},
			Spec: corev1.PodSpec{ServiceAccountName: p.sa, NodeName: p.node, HostNetwork: p.hostNet,
				Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.8.9"}})
	}
	return kube.Build(objs)
}

func role(acct, name string) string { return "arn:aws:iam::" + acct + ":role/" + name }

func find(t *testing.T, got map[string][]Assumed, id, via string) Assumed {
	t.Helper()
	var hit []Assumed
	for _, a := range got[id] {
		if a.Via == via {
			hit = append(hit, a)
		}
	}
	if len(hit) != 1 {
		t.Fatalf("%s: want one %s answer, got %+v", id, via, got[id])
	}
	return hit[0]
}

func has(l []string, sub string) bool {
	for _, s := range l {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestIRSA: the trust policies of the EKS user guide against the pods'
// service accounts, with the cluster's issuer known.
func TestIRSA(t *testing.T) {
	f := load(t)
	sas := map[string]string{
		"shop/api":     role(eksAcct, "shop-api"),
		"shop/batch":   role(eksAcct, "shop-worker"), // trust admits shop/worker only
		"shop/reports": role(eksAcct, "shop-any"),    // StringLike system:serviceaccount:shop:*
		"shop/ipcond":  role(eksAcct, "shop-ip"),     // + IpAddress aws:SourceIp
		"shop/ghost":   role(eksAcct, "not-there"),   // no such role
		"other/api":    role(eksAcct, "shop-any"),    // the wildcard is for namespace shop
	}
	pods := []pod{{"shop", "api-0", "api", "n1", false}, {"shop", "batch-0", "batch", "n1", false},
		{"shop", "reports-0", "reports", "n1", false}, {"shop", "ip-0", "ipcond", "n1", false},
		{"shop", "ghost-0", "ghost", "n1", false}, {"other", "api-0", "api", "n1", false}}
	inv := kubeInventory(clusterARN, pods, sas, map[string]string{"n1": "i-0eksnode00000001"})
	got, err := Resolve(context.Background(), inv, f.snap, f.est) // issuer from the snapshot's describe-cluster
	if err != nil {
		t.Fatal(err)
	}
	id := func(ns, name string) string { return "k8s:" + clusterARN + "/" + ns + "/Pod/" + name }
	prov := strings.TrimPrefix(f.issuer, "https://")

	a := find(t, got, id("shop", "api-0"), ViaIRSA)
	if a.Verdict != Yes || a.Role != role(eksAcct, "shop-api") {
		t.Fatalf("shop/api: %+v", a)
	}
	if !has(a.Proof, "statement 0 admits sts:AssumeRoleWithWebIdentity from Federated arn:aws:iam::"+eksAcct+":oidc-provider/"+prov) ||
		!has(a.Proof, `"system:serviceaccount:shop:api"`) || !has(a.Proof, "has OIDC issuer "+f.issuer+" (eks describe-cluster serious-bluegrass-ladybug in 644160558196/us-east-1)") {
		t.Errorf("shop/api proof: %q", a.Proof)
	}

	a = find(t, got, id("shop", "batch-0"), ViaIRSA)
	if a.Verdict != No || !has(a.Proof, `does not match "system:serviceaccount:shop:batch"`) || !has(a.Proof, "system:serviceaccount:shop:worker") {
		t.Errorf("shop/batch with a trust for shop/worker: %+v", a)
	}

	a = find(t, got, id("shop", "reports-0"), ViaIRSA)
	if a.Verdict != Yes || !has(a.Proof, "StringLike "+prov+":sub") {
		t.Errorf("StringLike wildcard: %+v", a)
	}
	a = find(t, got, id("other", "api-0"), ViaIRSA)
	if a.Verdict != No {
		t.Errorf("wildcard shop:* must not admit other/api: %+v", a)
	}

	a = find(t, got, id("shop", "ip-0"), ViaIRSA)
	if a.Verdict != Unknown || !has(a.Missing, "aws:SourceIp") {
		t.Errorf("undecidable condition: %+v", a)
	}

	a = find(t, got, id("shop", "ghost-0"), ViaIRSA)
	if a.Verdict != Unknown || !has(a.Missing, "role "+role(eksAcct, "not-there")+" not in the IAM snapshot") {
		t.Errorf("role not in IAM: %+v", a)
	}

	// Every pod of an EKS cluster also gets the (uncollected) Pod Identity answer.
	a = find(t, got, id("shop", "api-0"), ViaEKSPodIdentity)
	if a.Verdict != Unknown || a.Role != "" || !has(a.Missing, "list-pod-identity-associations") {
		t.Errorf("pod identity: %+v", a)
	}
}

// TestIRSAWrongProvider: a trust policy for another cluster's provider
// does not admit this cluster's tokens once the issuer is known.
func TestIRSAWrongProvider(t *testing.T) {
	f := load(t)
	inv := kubeInventory(clusterARN, []pod{{"shop", "api-0", "api", "", false}},
		map[string]string{"shop/api": role(eksAcct, "shop-api")}, nil)
	other := "https://oidc.eks.us-east-1.amazonaws.com/id/0000000000000000000000000000000A"
	got, err := ResolveWith(context.Background(), inv, f.snap, f.est, Options{Issuers: map[string]string{clusterARN: other}})
	if err != nil {
		t.Fatal(err)
	}
	a := find(t, got, "k8s:"+clusterARN+"/shop/Pod/api-0", ViaIRSA)
	if a.Verdict != No || !has(a.Proof, "not Federated arn:aws:iam::"+eksAcct+":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0000000000000000000000000000000A") {
		t.Errorf("%+v", a)
	}
}

// TestIRSAMissingIssuer: without the cluster's describe-cluster, a sub
// condition naming the service account still gives "yes" (said in proof
// and Missing); a trust without a sub condition is "unknown".
func TestIRSAMissingIssuer(t *testing.T) {
	f := load(t)
	sas := map[string]string{"shop/api": role(eksAcct, "shop-api"), "shop/aud": role(eksAcct, "aud-only"),
		"shop/batch": role(eksAcct, "shop-worker")}
	pods := []pod{{"shop", "api-0", "api", "", false}, {"shop", "aud-0", "aud", "", false}, {"shop", "batch-0", "batch", "", false}}
	inv := kubeInventory("shop-prod", pods, sas, nil) // a kubeconfig alias, not the cluster ARN
	got, err := Resolve(context.Background(), inv, f.snap, f.est)
	if err != nil {
		t.Fatal(err)
	}
	a := find(t, got, "k8s:shop-prod/shop/Pod/api-0", ViaIRSA)
	if a.Verdict != Yes || !has(a.Proof, `OIDC issuer of cluster "shop-prod" not known`) ||
		!has(a.Missing, `eks describe-cluster of a cluster named "shop-prod" (kubeconfig context) not in the snapshot`) {
		t.Errorf("sub matches, issuer unknown: %+v", a)
	}
	a = find(t, got, "k8s:shop-prod/shop/Pod/aud-0", ViaIRSA)
	if a.Verdict != Unknown || !has(a.Missing, "does not test …:sub") {
		t.Errorf("no sub condition, issuer unknown: %+v", a)
	}
	a = find(t, got, "k8s:shop-prod/shop/Pod/batch-0", ViaIRSA)
	if a.Verdict != No {
		t.Errorf("sub names another service account: %+v", a)
	}
	if _, ok := got["k8s:shop-prod/shop/Pod/api-0"]; ok {
		for _, x := range got["k8s:shop-prod/shop/Pod/api-0"] {
			if x.Via == ViaEKSPodIdentity {
				t.Errorf("a non-EKS context has no Pod Identity answer: %+v", x)
			}
		}
	}
}

// TestIssuerLookup: an alias context named like the one cluster of that
// name finds its describe-cluster; an ARN context of a region the
// snapshot does not hold says so; Options override the snapshot.
func TestIssuerLookup(t *testing.T) {
	f := load(t)
	r := &resolver{snap: f.snap}
	if iss, from, _ := r.issuer("serious-bluegrass-ladybug"); iss != f.issuer || !strings.Contains(from, "644160558196/us-east-1") {
		t.Errorf("by name: %q %q", iss, from)
	}
	if iss, _, miss := r.issuer("arn:aws:eks:eu-west-1:644160558196:cluster/serious-bluegrass-ladybug"); iss != "" ||
		miss != "eks describe-cluster of serious-bluegrass-ladybug: account 644160558196 region eu-west-1 is not in the snapshot" {
		t.Errorf("other region: %q %q", iss, miss)
	}
	if iss, _, miss := r.issuer("arn:aws:eks:eu-west-1:111122223333:cluster/prod"); iss != "" || !strings.Contains(miss, "eks describe-cluster for prod missing from") {
		t.Errorf("region without describe-cluster: %q %q", iss, miss)
	}
	r.opts.Issuers = map[string]string{clusterARN: "https://example"}
	if iss, from, _ := r.issuer(clusterARN); iss != "https://example" || from != "given" {
		t.Errorf("override: %q %q", iss, from)
	}
	if _, _, miss := (&resolver{}).issuer(""); miss == "" {
		t.Error("manifests: want a reason")
	}
}

// TestECS: the ECS inventory of the snapshot (ecs.FromSnapshot): the api
// task's role trusts ecs-tasks with the confused-deputy conditions; the web
// task's role trusts EC2 only; the web task runs in bridge mode on an
// instance whose MetadataOptions (recorded values) allow IMDSv1.
func TestECS(t *testing.T) {
	f := load(t)
	inv := ecs.FromSnapshot(f.snap)
	got, err := Resolve(context.Background(), inv, f.snap, f.est)
	if err != nil {
		t.Fatal(err)
	}
	task := func(id string) string { return "ecs:arn:aws:ecs:eu-west-1:" + ecsAcct + ":task/prod/" + id }
	api, web := task("0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d"), task("1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e")

	a := find(t, got, api, ViaECSTaskRole)
	if a.Verdict != Yes || !has(a.Proof, "admits sts:AssumeRole from Service ecs-tasks.amazonaws.com") ||
		!has(a.Proof, `ArnLike aws:SourceArn ["arn:aws:ecs:eu-west-1:111122223333:*"]`) || !has(a.Proof, "StringEquals aws:SourceAccount") {
		t.Errorf("api task role: %+v", a)
	}
	if len(got[api]) != 1 {
		t.Errorf("Fargate task has no host instance profile: %+v", got[api])
	}

	a = find(t, got, web, ViaECSTaskRole)
	if a.Verdict != No || !has(a.Proof, "names Service ec2.amazonaws.com, not Service ecs-tasks.amazonaws.com") {
		t.Errorf("web task role with the wrong service principal: %+v", a)
	}
	a = find(t, got, web, ViaInstanceProfile)
	if a.Verdict != Yes || a.Role != role(ecsAcct, "ecs-host") || !has(a.Proof, "instance i-0ecs000000000001 (describe-instances, 111122223333/eu-west-1) has instance profile arn:aws:iam::111122223333:instance-profile/ecs-host") ||
		!has(a.Proof, "HttpTokens optional") || !has(a.Proof, "iptables") {
		t.Errorf("web task host role: %+v", a)
	}
	if got[web][0].Via != ViaECSTaskRole || got[web][1].Via != ViaInstanceProfile {
		t.Errorf("order: %+v", got[web])
	}

	// The container instance's EC2 instance unknown (as ecs reports when
	// describe-container-instances is missing): the host role is unknown, not absent.
	for i := range inv.Workloads {
		if inv.Workloads[i].ID == web {
			inv.Workloads[i].Host.InstanceID, inv.Workloads[i].Host.InstanceFrom = "", ""
		}
	}
	got, err = Resolve(context.Background(), inv, f.snap, f.est)
	if err != nil {
		t.Fatal(err)
	}
	a = find(t, got, web, ViaInstanceProfile)
	if a.Verdict != Unknown || a.Role != "" || !has(a.Missing, "EC2 instance of container instance arn:aws:ecs:eu-west-1:111122223333:container-instance/prod/") {
		t.Errorf("unknown host instance: %+v", a)
	}
}

// TestInstanceProfileHops: pods on nodes with IMDSv2 required and hop
// limit 1 (no), hop limit 2 (yes), no MetadataOptions (unknown), IMDS
// disabled (no); a host-network pod reaches IMDS at hop limit 1.
func TestInstanceProfileHops(t *testing.T) {
	f := load(t)
	nodes := map[string]string{"n1": "i-0eksnode00000001", "n2": "i-0eksnode00000002", "n3": "i-0eksnode00000003",
		"n4": "i-0eksnode00000004", "n5": "i-0eksnode0000000f"}
	pods := []pod{{"shop", "p1", "default", "n1", false}, {"shop", "p2", "default", "n2", false},
		{"shop", "p3", "default", "n3", false}, {"shop", "p4", "default", "n4", false},
		{"shop", "p5", "default", "n5", false}, {"kube-system", "hostnet", "default", "n1", true},
		{"kube-system", "hostnet4", "default", "n4", true}}
	inv := kubeInventory(clusterARN, pods, nil, nodes)
	got, err := Resolve(context.Background(), inv, f.snap, f.est)
	if err != nil {
		t.Fatal(err)
	}
	id := func(ns, name string) string { return "k8s:" + clusterARN + "/" + ns + "/Pod/" + name }
	node := role(eksAcct, "eks-node")
	for _, c := range []struct {
		ns, pod, verdict, proof, missing string
	}{
		{"shop", "p1", No, "hop limit 1) does not cross the extra hop", ""},
		{"shop", "p2", Yes, "token response (hop limit 2) reaches the container", ""},
		{"shop", "p3", Unknown, "", "MetadataOptions of instance i-0eksnode00000003"},
		{"shop", "p4", No, "HttpEndpoint is disabled", ""},
		{"kube-system", "hostnet", Yes, "whatever the hop limit", ""},
		{"kube-system", "hostnet4", No, "HttpEndpoint is disabled", ""},
	} {
		a := find(t, got, id(c.ns, c.pod), ViaInstanceProfile)
		if a.Verdict != c.verdict || a.Role != node || (c.proof != "" && !has(a.Proof, c.proof)) || (c.missing != "" && !has(a.Missing, c.missing)) {
			t.Errorf("%s/%s: want %s (%q %q), got %+v", c.ns, c.pod, c.verdict, c.proof, c.missing, a)
		}
		if !has(a.Proof, "instance profile arn:aws:iam::"+eksAcct+":instance-profile/eks-node → role "+node) ||
			!has(a.Proof, "admits sts:AssumeRole from Service ec2.amazonaws.com") {
			t.Errorf("%s/%s proof: %q", c.ns, c.pod, a.Proof)
		}
	}
	a := find(t, got, id("shop", "p5"), ViaInstanceProfile)
	if a.Verdict != Unknown || a.Role != "" || !has(a.Missing, "instance i-0eksnode0000000f not in ec2 describe-instances of 111122223333/eu-west-1, 644160558196/us-east-1") {
		t.Errorf("instance not in the snapshot: %+v", a)
	}
}

// TestNoData: without snapshot and IAM every answer is unknown and names
// what is missing; nothing is dropped.
func TestNoData(t *testing.T) {
	f := load(t)
	inv := ecs.FromSnapshot(f.snap)
	got, err := Resolve(context.Background(), inv, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, as := range got {
		for _, a := range as {
			n++
			if a.Verdict != Unknown || len(a.Missing) == 0 {
				t.Errorf("%+v", a)
			}
		}
	}
	if n != 3 { // two task roles, one host
		t.Errorf("want 3 answers, got %d: %+v", n, got)
	}
	// IAM of another account only: the task roles' account is named as not collected.
	est := iam.NewEstate()
	est.Missing = []string{filepath.Join("snap", ecsAcct, "global", "iam", "get-account-authorization-details.json")}
	got, err = Resolve(context.Background(), inv, f.snap, est)
	if err != nil {
		t.Fatal(err)
	}
	for id, as := range got {
		for _, a := range as {
			if a.Verdict != Unknown || (a.Via == ViaECSTaskRole && !has(a.Missing, "(IAM of account "+ecsAcct+" not collected: ")) ||
				(a.Via == ViaInstanceProfile && !has(a.Missing, "the snapshot holds no IAM of account "+ecsAcct)) {
				t.Errorf("%s: %+v", id, a)
			}
		}
	}
	if _, err := Resolve(context.Background(), nil, nil, nil); err == nil {
		t.Error("nil inventory: want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Resolve(ctx, inv, nil, nil); err == nil {
		t.Error("cancelled context: want an error")
	}
}

// TestDeterministic: the same input gives the same output.
func TestDeterministic(t *testing.T) {
	f := load(t)
	inv := kubeInventory(clusterARN, []pod{{"shop", "api-0", "api", "n1", false}, {"shop", "api-1", "api", "n2", false}},
		map[string]string{"shop/api": role(eksAcct, "shop-api")}, map[string]string{"n1": "i-0eksnode00000001", "n2": "i-0eksnode00000002"})
	inv.Merge(ecs.FromSnapshot(f.snap))
	first, err := Resolve(context.Background(), inv, f.snap, f.est)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		again, _ := Resolve(context.Background(), inv, f.snap, f.est)
		if !reflect.DeepEqual(first, again) {
			t.Fatal("output differs between runs")
		}
	}
}
