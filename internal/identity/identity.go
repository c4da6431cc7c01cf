// Package identity answers "which AWS principals can each workload act
// as, and how do we know": for every workload of an inventory, the roles
// whose credentials its containers can obtain — the ECS task role, the IAM
// role for service accounts (IRSA) of a Kubernetes service account, and
// the role of the EC2 instance profile its host reaches through the
// instance metadata service (IMDS) — each with a verdict ("yes", "no",
// "unknown"), the statements and fields that decide it, and the data that
// is missing.
//
// The workload sources (internal/workload/ecs, internal/workload/kube)
// only copy what the workload asks for (taskRoleArn, the
// eks.amazonaws.com/role-arn annotation); asking is not getting. A role is
// obtained only when its trust policy admits the asking service or
// identity provider, and the instance role only when IMDS answers from
// inside the container. docs/iam.md ("Which role a workload runs as")
// describes the rules and cites the AWS documentation behind each.
package identity

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/iam"
	"github.com/sightline-sec/sightline/internal/workload"
)

// Sources of a principal (Assumed.Via).
const (
	// ViaECSTaskRole: the task definition's taskRoleArn, whose credentials
	// the ECS agent serves to the task's containers.
	ViaECSTaskRole = "ecs_task_role"
	// ViaIRSA: the role named by the service account annotation
	// eks.amazonaws.com/role-arn, obtained with
	// sts:AssumeRoleWithWebIdentity and the projected service account token.
	ViaIRSA = "irsa"
	// ViaEKSPodIdentity: an EKS Pod Identity association of the service
	// account (pods.eks.amazonaws.com). Not collected yet: reported as
	// unknown for workloads of EKS clusters (see Missing).
	ViaEKSPodIdentity = "eks_pod_identity"
	// ViaInstanceProfile: the role of the EC2 host's instance profile,
	// reachable through IMDS.
	ViaInstanceProfile = "instance_profile"
)

// Verdicts.
const (
	Yes     = "yes"
	No      = "no"
	Unknown = "unknown"
)

// Assumed is one principal a workload may act as.
type Assumed struct {
	// Role is the role ARN; "" when the role cannot be named (the host's
	// instance or its profile is not in the data, a Pod Identity
	// association is not collected): Missing says what would name it.
	Role string `json:"role"`
	// Via is one of the sources above.
	Via string `json:"via"`
	// Verdict: "yes" (the workload can obtain the role's credentials),
	// "no" (it cannot: Proof names the statement or setting that stops
	// it), "unknown" (Missing names the data or condition key that
	// would decide).
	Verdict string `json:"verdict"`
	// Proof is human-readable and names the statement or field, e.g.
	// "trust policy of role R statement 0 admits sts:AssumeRole from
	// Service ecs-tasks.amazonaws.com".
	Proof []string `json:"proof"`
	// Missing is the data needed and absent (a role not in the IAM
	// snapshot, an instance not in describe-instances, an undecidable
	// condition key).
	Missing []string `json:"missing,omitempty"`
}

// Options complement the snapshot.
type Options struct {
	// Issuers maps an EKS cluster — its kubeconfig context, ARN or name —
	// to its OIDC issuer URL ("https://oidc.eks.<region>.amazonaws.com/id/<ID>"),
	// over what the snapshot's eks describe-cluster says
	// (cluster.identity.oidc.issuer). Kubernetes workloads name their
	// cluster by kubeconfig context, which for EKS is usually the cluster
	// ARN (aws eks update-kubeconfig); an alias context needs an entry
	// here unless the snapshot holds exactly one cluster of that name.
	// Without the issuer, IRSA accepts any OIDC provider in the trust
	// policy and says so in the proof.
	Issuers map[string]string
}

// Resolve returns, by workload ID, the principals each workload of inv
// may act as (see package doc). snap and est may be nil (no AWS snapshot,
// no IAM): every answer that needs them is then "unknown" and says so.
// Workloads with nothing to assume (a Docker container on a host that is
// not an EC2 instance) have no entry. Each list is in a fixed order: by
// Via (ecs_task_role, irsa, eks_pod_identity, instance_profile), then role.
func Resolve(ctx context.Context, inv *workload.Inventory, snap *snapshot.Snapshot, est *iam.Estate) (map[string][]Assumed, error) {
	return ResolveWith(ctx, inv, snap, est, Options{})
}

// ResolveWith is Resolve with Options.
func ResolveWith(ctx context.Context, inv *workload.Inventory, snap *snapshot.Snapshot, est *iam.Estate, opts Options) (map[string][]Assumed, error) {
	if inv == nil {
		return nil, fmt.Errorf("identity: no inventory")
	}
	r := &resolver{inv: inv, snap: snap, est: est, opts: opts, byID: map[string]*workload.Workload{}}
	for i := range inv.Workloads {
		r.byID[inv.Workloads[i].ID] = &inv.Workloads[i]
	}
	out := map[string][]Assumed{}
	for i := range inv.Workloads {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("identity: %w", err)
			}
		}
		w := &inv.Workloads[i]
		var as []Assumed
		switch w.Source {
		case workload.SourceECS:
			if w.Role != "" {
				as = append(as, r.ecsTaskRole(w))
			}
		case workload.SourceKubernetes:
			if w.Role != "" {
				as = append(as, r.irsa(w))
			}
			if a, ok := r.podIdentity(w); ok {
				as = append(as, a)
			}
		}
		switch {
		case w.Host != nil && w.Host.InstanceID != "":
			as = append(as, r.instanceProfile(w)...)
		case w.Host != nil && w.Source == workload.SourceECS:
			// An EC2 launch type task whose container instance's EC2
			// instance is unknown: its host role may be reachable.
			as = append(as, Assumed{Via: ViaInstanceProfile, Verdict: Unknown,
				Proof:   []string{fmt.Sprintf("task runs on container instance %s", w.Host.Name)},
				Missing: []string{fmt.Sprintf("EC2 instance of container instance %s (ecs describe-container-instances): its instance profile is unknown", w.Host.Name)}})
		}
		if len(as) == 0 {
			continue
		}
		sort.SliceStable(as, func(a, b int) bool {
			if as[a].Via != as[b].Via {
				return viaRank[as[a].Via] < viaRank[as[b].Via]
			}
			return as[a].Role < as[b].Role
		})
		out[w.ID] = as
	}
	return out, nil
}

var viaRank = map[string]int{ViaECSTaskRole: 0, ViaIRSA: 1, ViaEKSPodIdentity: 2, ViaInstanceProfile: 3}

type resolver struct {
	inv  *workload.Inventory
	snap *snapshot.Snapshot
	est  *iam.Estate
	opts Options
	byID map[string]*workload.Workload

	byProfile map[string][]*iam.Principal // instance-profile ARN → roles (profileRoles)
	accounts  map[string]bool             // accounts with IAM in est (hasAccount)
}

// role finds a role in the IAM snapshot, or says why it is not there.
func (r *resolver) role(arn string) (*iam.Principal, string) {
	if r.est == nil {
		return nil, fmt.Sprintf("role %s: no IAM data (get-account-authorization-details not loaded)", arn)
	}
	if p, ok := r.est.Principals[arn]; ok && p.Kind == iam.KindRole {
		return p, ""
	}
	acct := arnAccount(arn)
	why := fmt.Sprintf("role %s not in the IAM snapshot", arn)
	for _, m := range r.est.Missing {
		if acct != "" && strings.Contains(m, acct) {
			return nil, fmt.Sprintf("%s (IAM of account %s not collected: %s)", why, acct, m)
		}
	}
	if !r.hasAccount(acct) {
		return nil, fmt.Sprintf("%s (the snapshot holds no IAM of account %s)", why, acct)
	}
	// The account's IAM was read and has no such role: the role does not
	// exist (or was created after the snapshot), so the workload gets no
	// credentials from it. Still unknown: the snapshot may be stale.
	return nil, fmt.Sprintf("%s (account %s was read: the role was deleted, renamed, or created after the snapshot)", why, acct)
}

func (r *resolver) hasAccount(acct string) bool {
	if r.est == nil || acct == "" {
		return false
	}
	if r.accounts == nil {
		r.accounts = map[string]bool{}
		for _, p := range r.est.Principals {
			r.accounts[p.Account] = true
		}
	}
	return r.accounts[acct]
}

// arnAccount returns the account field of an ARN, "" if it has none.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// arnPartition returns the partition field of an ARN ("aws" by default).
func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" || parts[1] == "" {
		return "aws"
	}
	return parts[1]
}

// fromTrust turns a trust-policy answer into an Assumed.
func fromTrust(role, via string, t trustResult) Assumed {
	a := Assumed{Role: role, Via: via, Verdict: t.verdict, Proof: append([]string(nil), t.proof...)}
	a.Proof = append(a.Proof, uniqSorted(t.notes)...)
	for _, k := range t.keys {
		a.Missing = append(a.Missing, "condition key "+k+" of the trust policy of "+role+" (value not known)")
	}
	return a
}
