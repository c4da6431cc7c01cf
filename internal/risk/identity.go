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
