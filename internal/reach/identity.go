package reach

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/iam"
	"github.com/sightline-sec/sightline/internal/identity"
	"github.com/sightline-sec/sightline/internal/netmodel"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload"
)

// The workloads' roles are evaluated from the IAM of the AWS snapshot
// (internal/iam): admin equivalence, privilege-escalation paths and
// data-store grants, each with the statements that decide it. Roles not in
// the snapshot, and a snapshot without IAM, stay unknown: the note says so
// and assess keeps the generic "role present" weight for them.
// Conditional answers are listed with their condition keys, never counted
// as granted or not.

func workloadRoles(inv *workload.Inventory) map[string]bool {
	roles := map[string]bool{}
	for i := range inv.Workloads {
		if r := inv.Workloads[i].Role; r != "" {
			roles[r] = true
		}
	}
	return roles
}

// identities evaluates the workload roles against a loaded estate.
func identities(dir string, est *iam.Estate, roles map[string]bool) (ids risk.Identities, note string, incomplete bool) {
	if len(est.Principals) == 0 {
		return nil, fmt.Sprintf("no IAM in the AWS snapshot (%s): what the %d workload role(s) may do is unknown",
			missingText(dir, est.Missing), len(roles)), true
	}
	ids = risk.Identities{}
	var unknown []string
	for r := range roles {
		if _, ok := est.Principals[r]; !ok {
			unknown = append(unknown, r)
			continue
		}
		ids[r] = identityOf(est.Capabilities(r))
	}
	note = fmt.Sprintf("IAM evaluated for %d workload role(s)", len(ids))
	if len(unknown) > 0 {
		sort.Strings(unknown)
		note += fmt.Sprintf("; not in the IAM snapshot (permissions unknown): %s", strings.Join(unknown, ", "))
	}
	return ids, note, len(unknown) > 0
}

// missingText names the missing IAM files relative to the snapshot
// directory: the note must not depend on where the snapshot lies (the
// demo writes it to a temporary directory).
func missingText(dir string, m []string) string {
	if len(m) == 0 {
		return "no get-account-authorization-details.json"
	}
	rel := make([]string, len(m))
	for i, p := range m {
		rel[i] = p
		if r, err := filepath.Rel(dir, p); err == nil {
			rel[i] = r
		}
	}
	return "missing " + strings.Join(rel, ", ")
}

// identityOf keeps what a risk row states: allowed (or conditional, with
// its keys) admin equivalence, escalations and data grants.
func identityOf(s iam.Summary) *risk.Identity {
	id := &risk.Identity{Admin: s.Admin.Outcome == iam.Allowed}
	if id.Admin {
		id.Proof = append(id.Proof, "admin: "+proofText(s.Admin.Proof))
	}
	for _, e := range s.Escalations {
		if e.Outcome != iam.Allowed && e.Outcome != iam.Conditional {
			continue
		}
		t := e.Pattern
		if len(e.Targets) > 0 {
			t += " to " + e.Targets[0]
			if e.TargetCount > 1 {
				t += fmt.Sprintf(" (+%d more)", e.TargetCount-1)
			}
		}
		if e.Outcome == iam.Conditional {
			t += " (conditional)"
		}
		id.Escalations = append(id.Escalations, t)
		id.Proof = append(id.Proof, e.Pattern+": "+proofText(e.Proof))
	}
	for _, g := range s.Data {
		if g.Decision.Outcome != iam.Allowed && g.Decision.Outcome != iam.Conditional {
			continue
		}
		t := g.Action + " on " + g.Resource
		if g.Decision.Outcome == iam.Conditional {
			t += " (conditional on " + strings.Join(g.Decision.ConditionKeys, ", ") + ")"
		}
		id.Data = append(id.Data, t)
		id.Proof = append(id.Proof, t+": "+proofText(g.Decision.Proof))
	}
	return id
}

func proofText(refs []iam.StatementRef) string {
	var out []string
	for _, r := range refs {
		out = append(out, r.String())
	}
	return strings.Join(out, "; ")
}

// Behind is what stands behind the workloads of an AWS snapshot: what
// their cloud roles may do, and the data stores they reach by identity
// or over the network (issue 11; docs/risk.md).
type Behind struct {
	// Assumed are the roles each workload can obtain (internal/identity).
	Assumed            map[string][]risk.AssumedRole
	Identities         risk.Identities
	IdentityNote       string
	IdentityIncomplete bool
	Data               *Data
}

// AssessBehind reads the snapshot's IAM once and evaluates both. A
// damaged IAM file is not an error: the roles stay unknown and the notes
// say why (assess keeps ranking); a failure of the network evaluation is.
func AssessBehind(ctx context.Context, dir string, snap *snapshot.Snapshot, model *netmodel.Model, rep *exposure.Report,
	inv *workload.Inventory) (*Behind, error) {
	b := &Behind{}
	est, err := iam.LoadSnapshot(ctx, dir)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		// Files named relative to the snapshot, as the other notes do.
		msg := strings.TrimPrefix(strings.ReplaceAll(err.Error(), filepath.Clean(dir)+string(filepath.Separator), ""), "iam: ")
		b.IdentityNote = "the workload roles' permissions are unknown: IAM of the AWS snapshot: " + msg
		est = nil
	}
	usable := est
	if usable != nil && len(usable.Principals) == 0 {
		usable = nil
	}
	// Which roles each workload can obtain: the named role only when its
	// trust policy admits the workload, the host's instance role when
	// IMDS answers the container (internal/identity; docs/iam.md).
	as, rerr := identity.Resolve(ctx, inv, snap, usable)
	if rerr != nil {
		return nil, rerr
	}
	b.Assumed = assumedRoles(as)
	roles := workloadRoles(inv)
	for _, list := range b.Assumed {
		for _, a := range list {
			if a.Role != "" && a.Verdict != identity.No {
				roles[a.Role] = true
			}
		}
	}
	switch {
	case err != nil:
		b.IdentityIncomplete = len(roles) > 0
	case len(roles) == 0:
		b.IdentityNote = "no workload runs with a cloud role"
	default:
		b.Identities, b.IdentityNote, b.IdentityIncomplete = identities(dir, est, roles)
	}
	if b.Data, err = DataStores(ctx, snap, model, rep, inv, usable, b.Assumed); err != nil {
		return nil, err
	}
	return b, nil
}

// assumedRoles converts identity answers for the risk model.
func assumedRoles(as map[string][]identity.Assumed) map[string][]risk.AssumedRole {
	out := make(map[string][]risk.AssumedRole, len(as))
	for id, list := range as {
		for _, a := range list {
			out[id] = append(out[id], risk.AssumedRole{Role: a.Role, Via: a.Via, Verdict: a.Verdict, Proof: a.Proof, Missing: a.Missing})
		}
	}
	return out
}
