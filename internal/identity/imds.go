package identity

import (
	"fmt"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/iam"
	"github.com/sightline-sec/sightline/internal/workload"
)

// instanceProfile answers for the role of the host's instance profile.
//
// Any process that reaches the instance metadata service (IMDS,
// 169.254.169.254) of an EC2 instance can read the credentials of the role
// of its instance profile (iam/security-credentials/<role>;
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html).
// A task role or IRSA does not take that away: AWS documents that ECS
// tasks can still reach IMDS unless blocked (ECS_AWSVPC_BLOCK_IMDS for
// awsvpc tasks, an iptables rule for bridge tasks:
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html)
// and that pods can reach the node role unless IMDS is restricted
// (https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html,
// "Restrict access to the instance profile assigned to the worker node").
//
// What the snapshot shows is the instance's MetadataOptions
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html):
//   - HttpEndpoint "disabled": no IMDS for anyone → "no";
//   - HttpTokens "required" and HttpPutResponseHopLimit 1: the IMDSv2
//     token response has IP TTL 1 and is dropped at the extra hop into a
//     container's network namespace (Docker bridge or user network, ECS
//     bridge/awsvpc, a Kubernetes pod network), so such containers get no
//     token and, IMDSv1 being off, no credentials → "no"
//     (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-options.html#imds-considerations);
//   - HttpTokens "optional": IMDSv1 needs no token, the hop limit does
//     not apply → "yes"; a hop limit of 2 or more lets IMDSv2 through → "yes";
//   - host-network containers share the host's stack: no extra hop, so
//     only HttpEndpoint "disabled" stops them;
//   - MetadataOptions absent → "unknown".
//
// The role itself: the profile's role (iam InstanceProfileList) whose
// trust policy must admit ec2.amazonaws.com (sts:AssumeRole), or EC2
// cannot deliver its credentials
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html).
func (r *resolver) instanceProfile(w *workload.Workload) []Assumed {
	id := w.Host.InstanceID
	from := w.Host.InstanceFrom
	if from == "" {
		from = "unknown source"
	}
	hostProof := fmt.Sprintf("workload runs on instance %s (from %s)", id, from)
	in, reg, missing := r.instance(id)
	if in == nil {
		return []Assumed{{Via: ViaInstanceProfile, Verdict: Unknown, Proof: []string{hostProof}, Missing: []string{missing}}}
	}
	if in.IamInstanceProfile == nil || in.IamInstanceProfile.Arn == "" {
		// No instance profile: IMDS serves no credentials. Nothing to
		// assume; the absence is what describe-instances says.
		return nil
	}
	prof := in.IamInstanceProfile.Arn
	profProof := fmt.Sprintf("instance %s (describe-instances, %s/%s) has instance profile %s", id, reg.Account, reg.Name, prof)
	reach, reachProof, reachMissing := r.imdsReach(w, in)

	roles := r.profileRoles(prof)
	if len(roles) == 0 {
		a := Assumed{Via: ViaInstanceProfile, Verdict: Unknown, Proof: []string{hostProof, profProof}}
		a.Proof = append(a.Proof, reachProof...)
		a.Missing = append(a.Missing, r.profileMissing(prof))
		if reach == No {
			// Unreachable IMDS decides whatever the role.
			a.Verdict = No
		}
		a.Missing = append(a.Missing, reachMissing...)
		return []Assumed{a}
	}
	var out []Assumed
	for _, p := range roles {
		a := Assumed{Role: p.ARN, Via: ViaInstanceProfile, Proof: []string{hostProof,
			fmt.Sprintf("%s → role %s (IAM InstanceProfileList)", profProof, p.ARN)}}
		trust := Yes
		if p.Trust == nil {
			trust = Unknown
			a.Missing = append(a.Missing, fmt.Sprintf("trust policy (AssumeRolePolicyDocument) of role %s not in the IAM snapshot", p.ARN))
		} else {
			t := evalTrust(p.ARN, p.Trust, request{action: assumeRole, who: "Service " + ec2Service, principal: servicePrincipal(ec2Service)})
			trust = t.verdict
			ta := fromTrust(p.ARN, ViaInstanceProfile, t)
			a.Proof = append(a.Proof, ta.Proof...)
			a.Missing = append(a.Missing, ta.Missing...)
			if t.verdict == No {
				a.Proof = append(a.Proof, "EC2 cannot assume the role: IMDS serves no credentials for it")
			}
		}
		a.Proof = append(a.Proof, reachProof...)
		a.Missing = append(a.Missing, reachMissing...)
		switch {
		case trust == No || reach == No:
			a.Verdict = No
		case trust == Yes && reach == Yes:
			a.Verdict = Yes
		default:
			a.Verdict = Unknown
		}
		out = append(out, a)
	}
	return out
}

// instance finds an instance in the snapshot, or says why it is not there.
func (r *resolver) instance(id string) (*snapshot.Instance, *snapshot.Region, string) {
	if r.snap == nil || len(r.snap.Regions) == 0 {
		return nil, nil, fmt.Sprintf("instance %s: no AWS snapshot (ec2 describe-instances) given", id)
	}
	var collected, notCollected []string
	for _, reg := range r.snap.Regions {
		for i := range reg.Instances {
			if reg.Instances[i].InstanceId == id {
				return &reg.Instances[i], reg, ""
			}
		}
		if reg.Has("ec2/describe-instances") {
			collected = append(collected, reg.Account+"/"+reg.Name)
		} else {
			notCollected = append(notCollected, reg.Missing("ec2/describe-instances", ""))
		}
	}
	msg := fmt.Sprintf("instance %s not in ec2 describe-instances", id)
	if len(collected) > 0 {
		msg += " of " + strings.Join(collected, ", ")
	}
	if len(notCollected) > 0 {
		msg += "; not collected: " + strings.Join(notCollected, "; ")
	}
	return nil, nil, msg + " (its account or region may not be in the snapshot)"
}

// profileRoles returns the roles of an instance profile, by ARN order
// (indexed once: an estate has thousands of roles, a cluster thousands of pods).
func (r *resolver) profileRoles(prof string) []*iam.Principal {
	if r.est == nil {
		return nil
	}
	if r.byProfile == nil {
		r.byProfile = map[string][]*iam.Principal{}
		for _, arn := range r.est.SortedPrincipals() {
			p := r.est.Principals[arn]
			if p.Kind != iam.KindRole {
				continue
			}
			for _, ip := range p.InstanceProfiles {
				r.byProfile[ip] = append(r.byProfile[ip], p)
			}
		}
	}
	return r.byProfile[prof]
}

func (r *resolver) profileMissing(prof string) string {
	acct := arnAccount(prof)
	switch {
	case r.est == nil:
		return fmt.Sprintf("role of instance profile %s: no IAM data (get-account-authorization-details not loaded)", prof)
	case !r.hasAccount(acct):
		return fmt.Sprintf("role of instance profile %s: the snapshot holds no IAM of account %s", prof, acct)
	}
	return fmt.Sprintf("role of instance profile %s: no role of the IAM snapshot lists it (InstanceProfileList); the profile may be empty or newer than the snapshot", prof)
}

// imdsReach decides whether the workload's containers reach IMDS.
func (r *resolver) imdsReach(w *workload.Workload, in *snapshot.Instance) (string, []string, []string) {
	mo := in.MetadataOptions
	id := in.InstanceId
	mode, modeProof, modeKnown := r.networkMode(w)
	if mode == "none" {
		return No, []string{modeProof + ": no network, no IMDS"}, nil
	}
	if mo == nil {
		return Unknown, []string{modeProof}, []string{fmt.Sprintf("MetadataOptions of instance %s (not in describe-instances output): whether containers reach IMDS is unknown", id)}
	}
	var pending []string
	if mo.State == "pending" {
		pending = []string{fmt.Sprintf("MetadataOptions of instance %s are State pending: the values shown are not applied yet", id)}
	}
	if strings.EqualFold(mo.HttpEndpoint, "disabled") {
		return No, append([]string{fmt.Sprintf("instance %s MetadataOptions.HttpEndpoint is disabled: IMDS does not answer", id)}, pending...), nil
	}
	opts := fmt.Sprintf("instance %s MetadataOptions: HttpEndpoint %s, HttpTokens %s, HttpPutResponseHopLimit %s",
		id, orUnset(mo.HttpEndpoint), orUnset(mo.HttpTokens), hopText(mo.HttpPutResponseHopLimit))
	if !modeKnown {
		return Unknown, append([]string{opts}, pending...), []string{modeProof}
	}
	caveat := r.blockCaveat(w, mode)
	if mode == "host" {
		return Yes, append([]string{opts, modeProof + ": shares the host's network stack, no extra hop, so IMDS answers whatever the hop limit"}, pending...), nil
	}
	switch strings.ToLower(mo.HttpTokens) {
	case "optional":
		out := []string{opts, modeProof + ": IMDSv1 is allowed (HttpTokens optional) and needs no token, so the hop limit does not stop it"}
		return Yes, append(append(out, caveat...), pending...), nil
	case "required":
		if mo.HttpPutResponseHopLimit == nil {
			return Unknown, append([]string{opts}, pending...), []string{fmt.Sprintf("MetadataOptions.HttpPutResponseHopLimit of instance %s", id)}
		}
		if *mo.HttpPutResponseHopLimit <= 1 {
			return No, append([]string{opts, modeProof + ": IMDSv2 only (HttpTokens required) and the token response (hop limit 1) does not cross the extra hop into the container"}, pending...), nil
		}
		out := []string{opts, modeProof + fmt.Sprintf(": the IMDSv2 token response (hop limit %d) reaches the container", *mo.HttpPutResponseHopLimit)}
		return Yes, append(append(out, caveat...), pending...), nil
	}
	return Unknown, append([]string{opts}, pending...), []string{fmt.Sprintf("MetadataOptions.HttpTokens of instance %s (%q)", id, mo.HttpTokens)}
}

// blockCaveat names host-side blocks the snapshot cannot show.
func (r *resolver) blockCaveat(w *workload.Workload, mode string) []string {
	if w.Source != workload.SourceECS {
		return nil
	}
	switch mode {
	case "awsvpc":
		return []string{"unless the ECS agent on the instance sets ECS_AWSVPC_BLOCK_IMDS=true (agent configuration is not in the snapshot)"}
	case "bridge":
		return []string{"unless an iptables rule on the instance drops bridge traffic to 169.254.169.254, as the ECS docs suggest (host configuration is not in the snapshot)"}
	}
	return nil
}

// networkMode classifies the workload's network: "host" (the host's
// stack), "none", or "bridged" (its own namespace, one hop away from the
// host); ok is false when it cannot be told.
func (r *resolver) networkMode(w *workload.Workload) (mode, proof string, ok bool) {
	nm := w.NetworkMode
	if w.HostNetwork || nm == "host" {
		return "host", fmt.Sprintf("network mode %s", orUnset(nm)), true
	}
	if nm == "none" {
		return "none", "network mode none", true
	}
	if other, found := strings.CutPrefix(nm, "container:"); found {
		// Docker: shares another container's namespace.
		if o := r.byID["docker:"+other]; o != nil && !strings.HasPrefix(o.NetworkMode, "container:") {
			m, p, k := r.networkMode(o)
			return m, fmt.Sprintf("network mode %s (%s)", nm, p), k
		}
		return "", fmt.Sprintf("network mode %s: the container whose network it shares is not in the inventory", nm), false
	}
	if nm == "" {
		if w.Source == workload.SourceKubernetes {
			return "bridged", "pod network (own network namespace)", true
		}
		return "", "network mode not known", false
	}
	if w.Source == workload.SourceECS && nm == "awsvpc" {
		return "awsvpc", "network mode awsvpc", true
	}
	if w.Source == workload.SourceECS && nm == "bridge" {
		return "bridge", "network mode bridge", true
	}
	// Docker bridge or user network, Kubernetes "pod": own namespace.
	return "bridged", "network mode " + nm + " (own network namespace)", true
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

func hopText(p *int) string {
	if p == nil {
		return "(unset)"
	}
	return fmt.Sprint(*p)
}
