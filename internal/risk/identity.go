package risk

import (
	"fmt"
	"sort"
)

// Identity is what the cloud identity a workload runs as (an ECS task
// role, an IRSA role) may do, as the IAM evaluation decided it
// (internal/iam; docs/iam.md). The CLI fills Options.Identities from the
// AWS snapshot's IAM; a role not in it, or no IAM at all, keeps the
// generic "role present" privilege.
type Identity struct {
	// Admin: the role may do anything, or make itself able to.
	Admin bool `json:"admin"`
	// Escalations are the privilege-escalation patterns the role may use
	// ("PassRole+ec2:RunInstances to arn:…:role/admin").
	Escalations []string `json:"escalations,omitempty"`
	// Data are the data-store grants: "s3:GetObject on
	// arn:aws:s3:::customer-exports/*".
	Data []string `json:"data,omitempty"`
	// Proof names the statements that decided the above, one line each.
	Proof []string `json:"proof,omitempty"`
}

// Identities are the known identities by role ARN.
type Identities map[string]*Identity

// rolePrivilege is the privilege points and short name of role, and the
// reasons a row running as it states.
func (ids Identities) rolePrivilege(role string) (float64, string, []string) {
	short := "role " + shortRole(role)
	id := ids[role]
	if id == nil {
		return Weights.Role, short, nil
	}
	var p float64
	var why []string
	switch {
	case id.Admin:
		p = Weights.RoleAdmin
		short += " (admin)"
		why = append(why, short+": may do anything in the account, or make itself able to")
	case len(id.Escalations) > 0:
		p = Weights.RoleEscalation
		short += " (can escalate)"
		why = append(why, fmt.Sprintf("%s can escalate: %s", short, capList(id.Escalations)))
	case len(id.Data) > 0:
		p = Weights.RoleData
	default:
		p = Weights.Role
	}
	if len(id.Data) > 0 {
		if !id.Admin && len(id.Escalations) == 0 {
			short += " (data access)"
		}
		why = append(why, fmt.Sprintf("role %s can %s", shortRole(role), capList(id.Data)))
	}
	return p, short, why
}

// AssumedRole is a role a workload can (or cannot) obtain, and how
// (internal/identity.Assumed): Via is ecs_task_role, irsa,
// eks_pod_identity or instance_profile; Verdict yes, no or unknown.
type AssumedRole struct {
	Role    string   `json:"role"`
	Via     string   `json:"via"`
	Verdict string   `json:"verdict"`
	Proof   []string `json:"proof,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

// rolesPrivilege is the privilege of the roles a workload runs as: the
// most privileged role it can obtain (yes or unknown: unknown is not
// safe), every such role named. Without resolved roles (assumed nil) the
// named role counts as obtained. A named role the workload cannot obtain
// weighs nothing and is said.
func (ids Identities) rolesPrivilege(named string, assumed []AssumedRole) (float64, []string, []string) {
	if assumed == nil {
		if named == "" {
			return 0, nil, nil
		}
		p, n, why := ids.rolePrivilege(named)
		return p, []string{n}, why
	}
	var best float64
	var names, why []string
	for _, a := range assumed {
		if a.Role == "" {
			continue
		}
		if a.Verdict == "no" {
			if a.Role == named {
				line := fmt.Sprintf("role %s is named but cannot be obtained", shortRole(a.Role))
				if len(a.Proof) > 0 {
					line += ": " + a.Proof[len(a.Proof)-1]
				}
				why = append(why, line)
			}
			continue
		}
		p, n, w := ids.rolePrivilege(a.Role)
		if a.Via == "instance_profile" {
			n = "instance " + n
		}
		names = append(names, n)
		why = append(why, w...)
		best = max(best, p)
	}
	return best, names, why
}

// capList is the first three items and how many more.
func capList(items []string) string {
	s := append([]string(nil), items...)
	sort.Strings(s)
	out := ""
	for i, x := range s {
		if i == 3 {
			return out + fmt.Sprintf(" (+%d more)", len(s)-3)
		}
		if i > 0 {
			out += "; "
		}
		out += x
	}
	return out
}
