package identity

import (
	"fmt"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/workload"
)

// Service principals and actions.
const (
	ecsTasksService = "ecs-tasks.amazonaws.com"
	ec2Service      = "ec2.amazonaws.com"
	assumeRole      = "sts:AssumeRole"
	assumeWebID     = "sts:AssumeRoleWithWebIdentity"
	// irsaAudience is the audience of the projected service account token
	// the EKS Pod Identity Webhook mounts (AWS_WEB_IDENTITY_TOKEN_FILE):
	// the trust policy of the AWS docs tests "<issuer>:aud" against it.
	irsaAudience = "sts.amazonaws.com"
)

// servicePrincipal admits a trust-policy principal that names the service
// (or everyone: "*", {"AWS": "*"}).
func servicePrincipal(service string) func(typ, value string) (bool, map[string][]string, string) {
	return func(typ, value string) (bool, map[string][]string, string) {
		switch {
		case typ == "Service" && strings.EqualFold(value, service):
			return true, nil, ""
		case (typ == "*" || typ == "AWS") && value == "*":
			return true, nil, ""
		}
		return false, nil, ""
	}
}

// ecsTaskRole checks the task role of an ECS task.
//
// The ECS agent obtains the task role's credentials by assuming it as the
// service principal ecs-tasks.amazonaws.com, so the role's trust policy
// must allow sts:AssumeRole to that principal ("Amazon ECS task IAM role",
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html).
// The same page recommends the confused-deputy conditions
// "ArnLike aws:SourceArn arn:aws:ecs:<region>:<account>:*" and
// "StringEquals aws:SourceAccount <account>"; they are decided from the
// task ARN (account), and aws:SourceArn from the task and cluster ARNs
// (AWS does not document which of the two it sends: a pattern matching
// both holds, one matching neither fails, anything else is unknown).
func (r *resolver) ecsTaskRole(w *workload.Workload) Assumed {
	role := w.Role
	p, why := r.role(role)
	if p == nil {
		return Assumed{Role: role, Via: ViaECSTaskRole, Verdict: Unknown,
			Proof:   []string{fmt.Sprintf("task definition of %s names taskRoleArn %s", w.Name, role)},
			Missing: []string{why}}
	}
	if p.Trust == nil {
		return Assumed{Role: role, Via: ViaECSTaskRole, Verdict: Unknown,
			Proof:   []string{fmt.Sprintf("task definition of %s names taskRoleArn %s", w.Name, role)},
			Missing: []string{fmt.Sprintf("trust policy (AssumeRolePolicyDocument) of role %s not in the IAM snapshot", role)}}
	}
	taskArn := strings.TrimPrefix(w.ID, "ecs:")
	ctx := map[string][]string{}
	if acct := arnAccount(taskArn); acct != "" {
		ctx["aws:sourceaccount"] = []string{acct}
		cands := []string{taskArn}
		if parts := strings.SplitN(taskArn, ":", 6); len(parts) == 6 && w.Namespace != "" {
			cands = append(cands, strings.Join(parts[:5], ":")+":cluster/"+w.Namespace)
		}
		ctx["aws:sourcearn"] = cands
	}
	t := evalTrust(role, p.Trust, request{action: assumeRole, who: "Service " + ecsTasksService,
		principal: servicePrincipal(ecsTasksService), ctx: ctx})
	a := fromTrust(role, ViaECSTaskRole, t)
	a.Proof = append([]string{fmt.Sprintf("task definition of %s names taskRoleArn %s", w.Name, role)}, a.Proof...)
	if t.verdict == No {
		a.Proof = append(a.Proof, "the ECS agent cannot assume the role for the task: the task gets no task-role credentials")
	}
	return a
}

// irsa checks the IRSA role of a Kubernetes workload's service account.
//
// With IAM roles for service accounts, the EKS Pod Identity Webhook
// mounts a projected token whose issuer is the cluster's OIDC issuer and
// whose subject is system:serviceaccount:<namespace>:<name>; the AWS SDK
// exchanges it with sts:AssumeRoleWithWebIdentity. The role's trust policy
// must allow that action to the Federated principal
// arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>,
// and its conditions on "<issuer>:sub" (and "<issuer>:aud",
// "sts.amazonaws.com") decide which service accounts may
// ("Assign IAM roles to Kubernetes service accounts",
// https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html;
// "Create an IAM OIDC provider for your cluster",
// https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html;
// condition keys of web identity federation,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif).
//
// When the cluster's issuer is not known (no eks describe-cluster), any
// OIDC provider of the trust policy is accepted, the proof says so, and
// "yes" needs a "…:sub" condition that names this service account (a
// statement without one would admit every service account of some
// cluster, perhaps another): otherwise "unknown".
func (r *resolver) irsa(w *workload.Workload) Assumed {
	role := w.Role
	sub := "system:serviceaccount:" + w.Namespace + ":" + w.ServiceAccount
	asks := fmt.Sprintf("service account %s/%s is annotated eks.amazonaws.com/role-arn: %s", w.Namespace, w.ServiceAccount, role)
	p, why := r.role(role)
	if p == nil {
		return Assumed{Role: role, Via: ViaIRSA, Verdict: Unknown, Proof: []string{asks}, Missing: []string{why}}
	}
	if p.Trust == nil {
		return Assumed{Role: role, Via: ViaIRSA, Verdict: Unknown, Proof: []string{asks},
			Missing: []string{fmt.Sprintf("trust policy (AssumeRolePolicyDocument) of role %s not in the IAM snapshot", role)}}
	}
	cluster, _, _, _ := splitKubeID(w.ID)
	issuer, issuerFrom, issuerMissing := r.issuer(cluster)
	wantProvider := ""
	if issuer != "" {
		wantProvider = "arn:" + arnPartition(role) + ":iam::" + arnAccount(role) + ":oidc-provider/" + providerPath(issuer)
	}
	principal := func(typ, value string) (bool, map[string][]string, string) {
		var path string
		switch {
		case typ == "Federated":
			i := strings.Index(value, ":oidc-provider/")
			if i < 0 {
				return false, nil, ""
			}
			if wantProvider != "" && value != wantProvider {
				return false, nil, ""
			}
			path = value[i+len(":oidc-provider/"):]
		case (typ == "*" || typ == "AWS") && value == "*":
			if issuer == "" {
				return true, nil, "the trust policy admits any principal (\"*\"); the cluster's OIDC issuer is not known, so its …:sub key cannot be named"
			}
			path = providerPath(issuer)
		default:
			return false, nil, ""
		}
		ctx := map[string][]string{
			strings.ToLower(path + ":sub"): {sub},
			strings.ToLower(path + ":aud"): {irsaAudience},
		}
		note := ""
		if issuer == "" {
			note = fmt.Sprintf("OIDC issuer of cluster %q not known: accepted the OIDC provider %s without checking it is this cluster's", cluster, path)
		}
		return true, ctx, note
	}
	who := "the cluster's OIDC provider"
	if wantProvider != "" {
		who = "Federated " + wantProvider
	}
	t := evalTrust(role, p.Trust, request{action: assumeWebID, who: who, principal: principal})
	a := fromTrust(role, ViaIRSA, t)
	a.Proof = append([]string{asks}, a.Proof...)
	if issuer != "" {
		a.Proof = append(a.Proof, fmt.Sprintf("cluster %s has OIDC issuer %s (%s)", cluster, issuer, issuerFrom))
	}
	if issuer == "" && t.verdict == Yes {
		matched := false
		for k := range t.matchedBy {
			if strings.HasSuffix(k, ":sub") {
				matched = true
			}
		}
		if !matched {
			a.Verdict = Unknown
			a.Missing = append(a.Missing, fmt.Sprintf("OIDC issuer of cluster %q: %s; the trust policy does not test …:sub, so it admits every service account of a provider that may not be this cluster's", cluster, issuerMissing))
		}
	}
	if issuer == "" && a.Verdict == Yes {
		a.Missing = append(a.Missing, fmt.Sprintf("OIDC issuer of cluster %q: %s; the provider named in the trust policy was not checked to be this cluster's", cluster, issuerMissing))
	}
	if t.verdict == No {
		a.Proof = append(a.Proof, fmt.Sprintf("sts:AssumeRoleWithWebIdentity with the token of %s is refused: the pods get no credentials from this role", sub))
	}
	return a
}

// podIdentity reports EKS Pod Identity for workloads of an EKS cluster: an
// association (eks list-pod-identity-associations) gives the service
// account a role assumed by pods.eks.amazonaws.com
// (https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html).
// Associations are not collected, so the answer is "unknown" with the
// missing data named, never a silent "none".
func (r *resolver) podIdentity(w *workload.Workload) (Assumed, bool) {
	cluster, _, _, ok := splitKubeID(w.ID)
	if !ok || !strings.HasPrefix(cluster, "arn:") || !strings.Contains(cluster, ":eks:") || w.ServiceAccount == "" {
		return Assumed{}, false
	}
	return Assumed{Via: ViaEKSPodIdentity, Verdict: Unknown,
		Proof: []string{fmt.Sprintf("workload of EKS cluster %s runs as service account %s/%s", cluster, w.Namespace, w.ServiceAccount)},
		Missing: []string{fmt.Sprintf("eks list-pod-identity-associations of cluster %s (not collected): an association for %s/%s would give it a role",
			cluster, w.Namespace, w.ServiceAccount)}}, true
}

// issuer finds the OIDC issuer of a cluster: Options.Issuers (by context
// or cluster name) first, then the snapshot's eks describe-cluster
// (cluster.identity.oidc.issuer) — of the account and region an EKS ARN
// context names, or of the one cluster of that name in the snapshot. It
// returns where the issuer came from, or what is missing.
func (r *resolver) issuer(cluster string) (issuer, from, missing string) {
	if cluster == "" {
		return "", "", "the cluster is not known (manifests): its OIDC issuer cannot be looked up"
	}
	name, acct, region := cluster, "", ""
	if parts := strings.SplitN(cluster, ":", 6); len(parts) == 6 && parts[0] == "arn" && parts[2] == "eks" && strings.HasPrefix(parts[5], "cluster/") {
		name, acct, region = strings.TrimPrefix(parts[5], "cluster/"), parts[4], parts[3]
	}
	for _, k := range []string{cluster, name} {
		if s := r.opts.Issuers[k]; s != "" {
			return s, "given", ""
		}
	}
	if r.snap == nil {
		return "", "", fmt.Sprintf("eks describe-cluster of %s (no AWS snapshot given)", name)
	}
	var found []snapshot.EKSCluster
	var where []string
	var notCollected []string
	for _, reg := range r.snap.Regions {
		if acct != "" && (reg.Account != acct || reg.Name != region) {
			continue
		}
		c, ok := reg.EKSCluster(name)
		if !ok {
			if acct != "" {
				notCollected = append(notCollected, reg.Missing(snapshot.OpDescribeCluster, name))
			}
			continue
		}
		found = append(found, c)
		where = append(where, reg.Account+"/"+reg.Name)
	}
	switch {
	case len(found) == 1 && found[0].Identity != nil && found[0].Identity.Oidc != nil && found[0].Identity.Oidc.Issuer != "":
		return found[0].Identity.Oidc.Issuer, "eks describe-cluster " + name + " in " + where[0], ""
	case len(found) == 1:
		return "", "", fmt.Sprintf("eks describe-cluster of %s in %s has no identity.oidc.issuer", name, where[0])
	case len(found) > 1:
		return "", "", fmt.Sprintf("EKS clusters named %s in %s: which one is context %q is not known", name, strings.Join(where, ", "), cluster)
	case len(notCollected) > 0:
		return "", "", strings.Join(notCollected, "; ")
	case acct != "":
		return "", "", fmt.Sprintf("eks describe-cluster of %s: account %s region %s is not in the snapshot", name, acct, region)
	}
	return "", "", fmt.Sprintf("eks describe-cluster of a cluster named %q (kubeconfig context) not in the snapshot", name)
}

// providerPath turns an issuer URL into the IAM OIDC provider's path and
// condition-key prefix ("oidc.eks.us-east-1.amazonaws.com/id/ABC").
func providerPath(issuer string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimSuffix(s, "/")
}

// splitKubeID splits "k8s:<cluster>/<namespace>/<Kind>/<name>"; the
// cluster (a kubeconfig context, often an EKS ARN) may hold "/", the
// others cannot.
func splitKubeID(id string) (cluster, ns, kind string, ok bool) {
	rest, found := strings.CutPrefix(id, "k8s:")
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 4 {
		return "", "", "", false
	}
	n := len(parts)
	return strings.Join(parts[:n-3], "/"), parts[n-3], parts[n-2], true
}
