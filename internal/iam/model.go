package iam

import (
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// Kind of principal.
type Kind string

// Principal kinds.
const (
	KindUser Kind = "user"
	KindRole Kind = "role"
)

// NamedDoc is an inline policy.
type NamedDoc struct {
	Name string
	Doc  *policy.Document
}

// PolicyVersion is one stored version of a managed policy.
type PolicyVersion struct {
	ID      string
	Default bool
	Doc     *policy.Document
}

// ManagedPolicy is a customer- or AWS-managed policy with its versions.
type ManagedPolicy struct {
	Name, ARN      string
	DefaultVersion string
	Default        *policy.Document // nil when no version is marked default
	Versions       []PolicyVersion
}

// Group is an IAM group; its policies apply to its members.
type Group struct {
	Name, ARN string
	Inline    []NamedDoc
	Attached  []string
}

// Principal is an IAM user or role.
type Principal struct {
	Kind             Kind
	Name, ARN        string
	Account          string
	Inline           []NamedDoc
	Attached         []string // managed policy ARNs
	Groups           []string // group names (users)
	Boundary         string   // permissions boundary policy ARN, "" if none
	Trust            *policy.Document
	InstanceProfiles []string

	comp          *compiled // cached statements, see compile
	adminV        *Verdict  // cached admin verdict
	rootARN       string    // arn:aws:iam::<account>:root
	sessionPrefix string    // arn:aws:sts::<account>:assumed-role/<name>/ (roles)
}

// Estate is the IAM content of one or more accounts plus resource-based
// policies registered by callers (bucket and key policies). It caches
// derived data and is not safe for concurrent use.
type Estate struct {
	Principals map[string]*Principal     // by ARN
	Policies   map[string]*ManagedPolicy // by ARN
	Groups     map[string]*Group         // by name
	// Missing lists files that were not collected: identities of those
	// accounts are unknown.
	Missing []string

	resources  map[string]*policy.Document // resource-based policies by resource ARN
	byName     map[string]*Principal
	trustIndex map[string][]string // trust-policy AWS principal value → role ARNs
	sortedARNs []string
	intern     map[string]*policy.Document // during Load: document text → parsed
	services   map[string][]*Principal     // roles by trusted service principal
}

// NewEstate returns an empty estate.
func NewEstate() *Estate {
	return &Estate{
		Principals: map[string]*Principal{},
		Policies:   map[string]*ManagedPolicy{},
		Groups:     map[string]*Group{},
		resources:  map[string]*policy.Document{},
		byName:     map[string]*Principal{},
	}
}

func (e *Estate) add(p *Principal) {
	p.rootARN = "arn:aws:iam::" + p.Account + ":root"
	p.sessionPrefix = "arn:aws:sts::" + p.Account + ":assumed-role/" + p.Name + "/"
	e.Principals[p.ARN] = p
	e.byName[string(p.Kind)+"/"+p.Name] = p
}

// SetResourcePolicy registers a resource-based policy (S3 bucket policy under
// the bucket ARN "arn:aws:s3:::name", KMS key policy under the key ARN). A
// bucket policy applies to the bucket and its objects ("arn:aws:s3:::name/…").
func (e *Estate) SetResourcePolicy(resourceARN string, doc *policy.Document) {
	e.resources[resourceARN] = doc
}

// resourcePolicy finds the resource-based policy governing an ARN.
func (e *Estate) resourcePolicy(arn string) (string, *policy.Document) {
	if len(e.resources) == 0 {
		return "", nil
	}
	if d, ok := e.resources[arn]; ok {
		return arn, d
	}
	if strings.HasPrefix(arn, "arn:aws:s3:::") {
		if i := strings.IndexByte(arn[len("arn:aws:s3:::"):], '/'); i >= 0 {
			b := arn[:len("arn:aws:s3:::")+i]
			if d, ok := e.resources[b]; ok {
				return b, d
			}
		}
	}
	return "", nil
}

// resetCaches drops everything derived from the loaded content.
func (e *Estate) resetCaches() {
	e.sortedARNs, e.trustIndex, e.services = nil, nil, nil
	for _, p := range e.Principals {
		p.comp, p.adminV = nil, nil
	}
}

func (e *Estate) sorted() []string {
	if e.sortedARNs == nil {
		e.sortedARNs = e.SortedPrincipals()
	}
	return e.sortedARNs
}

// SortedPrincipals returns principal ARNs in order.
func (e *Estate) SortedPrincipals() []string {
	out := make([]string, 0, len(e.Principals))
	for a := range e.Principals {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
