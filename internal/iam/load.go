// Package iam reads an account's IAM estate from an AWS snapshot and answers
// what a principal may do: Evaluate (one request, with proof) and
// Capabilities (data-store access, privilege escalation, admin equivalence).
// Semantics and limits: docs/iam.md.
package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
	"github.com/sightline-sec/sightline/internal/iam/policy"
)

// MaxFileBytes bounds get-account-authorization-details.json (10k roles and
// 50k policies fit in a few hundred MiB).
const MaxFileBytes = 2 << 30

// authDetails is the AWS CLI output of `aws iam get-account-authorization-details`
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).
// Policy documents are kept raw: the CLI prints them as JSON objects, the API
// and SDKs as URL-encoded strings; policy.Decode takes both.
type authDetails struct {
	UserDetailList []struct {
		UserName                string
		Arn                     string
		UserPolicyList          []inlinePolicy
		GroupList               []string
		AttachedManagedPolicies []attached
		PermissionsBoundary     *boundary
	}
	GroupDetailList []struct {
		GroupName               string
		Arn                     string
		GroupPolicyList         []inlinePolicy
		AttachedManagedPolicies []attached
	}
	RoleDetailList []struct {
		RoleName                 string
		Arn                      string
		AssumeRolePolicyDocument json.RawMessage
		RolePolicyList           []inlinePolicy
		AttachedManagedPolicies  []attached
		PermissionsBoundary      *boundary
		InstanceProfileList      []struct {
			InstanceProfileName string
			Arn                 string
		}
	}
	Policies []struct {
		PolicyName        string
		Arn               string
		DefaultVersionId  string
		PolicyVersionList []struct {
			Document         json.RawMessage
			VersionId        string
			IsDefaultVersion bool
		}
	}
}

type inlinePolicy struct {
	PolicyName     string
	PolicyDocument json.RawMessage
}

type attached struct {
	PolicyName string
	PolicyArn  string
}

type boundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

// FileName is where a snapshot keeps the authorization details of an account
// (docs/aws-snapshot.md): <root>/<account>/global/iam/<FileName>.
const FileName = "get-account-authorization-details.json"

// LoadSnapshot reads every account's authorization details under a snapshot
// root (accounts are 12-digit directories; the global region directory is
// "global", "us-east-1" also accepted). Accounts without the file are
// returned in Missing: their identities are unknown, not empty.
func LoadSnapshot(ctx context.Context, root string) (*Estate, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	est := NewEstate()
	// The root may be one account's directory, or one region directory
	// of an account (as snapshot.Load accepts them): the account's global
	// directory is then the root's own, or its sibling.
	for _, acctDir := range []string{filepath.Clean(root), filepath.Dir(filepath.Clean(root))} {
		acct := filepath.Base(acctDir)
		if layout.CheckAccount(acct) != nil {
			continue
		}
		path, ok := findFile(filepath.Dir(acctDir), acct)
		if !ok {
			est.Missing = append(est.Missing, filepath.Join(acctDir, layout.GlobalRegion, "iam", FileName))
			return est, nil
		}
		if err := est.LoadFile(ctx, path, acct); err != nil {
			return nil, err
		}
		return est, nil
	}
	for _, e := range ents {
		if !e.IsDir() || layout.CheckAccount(e.Name()) != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path, ok := findFile(root, e.Name())
		if !ok {
			est.Missing = append(est.Missing, filepath.Join(root, e.Name(), layout.GlobalRegion, "iam", FileName))
			continue
		}
		if err := est.LoadFile(ctx, path, e.Name()); err != nil {
			return nil, err
		}
	}
	return est, nil
}

func findFile(root, account string) (string, bool) {
	for _, region := range []string{layout.GlobalRegion, "us-east-1"} {
		p, err := layout.OperationPath(root, account, region, "iam", "get-account-authorization-details")
		if err != nil {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

// LoadFile adds one account's get-account-authorization-details output.
// An empty file (a failed `aws … > file`) is recorded in Missing.
func (e *Estate) LoadFile(ctx context.Context, path, account string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("iam: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("iam: %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return fmt.Errorf("iam: %s: over the %d-byte limit", path, int64(MaxFileBytes))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		e.Missing = append(e.Missing, path+" (empty file)")
		return nil
	}
	return e.Load(ctx, path, account, data)
}

// Load adds authorization details given as bytes; name is used in errors.
func (e *Estate) Load(ctx context.Context, name, account string, data []byte) error {
	defer e.resetCaches()
	e.intern = map[string]*policy.Document{}
	defer func() { e.intern = nil }()
	var d authDetails
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("iam: %s: %w", name, jsonErr(data, err))
	}
	if err := e.addPolicies(ctx, name, &d); err != nil {
		return err
	}
	if err := e.addGroups(name, &d); err != nil {
		return err
	}
	if err := e.addUsers(name, account, &d); err != nil {
		return err
	}
	return e.addRoles(name, account, &d)
}

// jsonErr adds a line number to a JSON syntax or type error.
func jsonErr(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) {
		off = se.Offset
	} else if errors.As(err, &te) {
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	return fmt.Errorf("line %d: %w", bytes.Count(data[:off], []byte("\n"))+1, err)
}

func (e *Estate) addPolicies(ctx context.Context, name string, d *authDetails) error {
	for i, p := range d.Policies {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		mp := &ManagedPolicy{Name: p.PolicyName, ARN: p.Arn, DefaultVersion: p.DefaultVersionId}
		for _, v := range p.PolicyVersionList {
			doc, err := e.decode(v.Document)
			if err != nil {
				return fmt.Errorf("iam: %s: policy %s version %s: %w", name, p.Arn, v.VersionId, err)
			}
			pv := PolicyVersion{ID: v.VersionId, Default: v.IsDefaultVersion, Doc: doc}
			mp.Versions = append(mp.Versions, pv)
			if v.IsDefaultVersion || (mp.DefaultVersion != "" && v.VersionId == mp.DefaultVersion) {
				mp.Default = doc
			}
		}
		e.Policies[p.Arn] = mp
	}
	return nil
}

// decode parses a document once per distinct text: estates repeat the
// same trust and inline policies across many roles.
func (e *Estate) decode(raw json.RawMessage) (*policy.Document, error) {
	k := string(bytes.TrimSpace(raw))
	if d, ok := e.intern[k]; ok {
		return d, nil
	}
	d, err := policy.Decode(raw)
	if err == nil && e.intern != nil {
		e.intern[k] = d
	}
	return d, err
}

func (e *Estate) decodeInline(name, entity string, ps []inlinePolicy) ([]NamedDoc, error) {
	out := make([]NamedDoc, 0, len(ps))
	for _, p := range ps {
		doc, err := e.decode(p.PolicyDocument)
		if err != nil {
			return nil, fmt.Errorf("iam: %s: %s inline policy %s: %w", name, entity, p.PolicyName, err)
		}
		out = append(out, NamedDoc{Name: p.PolicyName, Doc: doc})
	}
	return out, nil
}

func attachedARNs(a []attached) []string {
	out := make([]string, 0, len(a))
	for _, x := range a {
		out = append(out, x.PolicyArn)
	}
	return out
}

func (e *Estate) addGroups(name string, d *authDetails) error {
	for _, g := range d.GroupDetailList {
		in, err := e.decodeInline(name, "group "+g.Arn, g.GroupPolicyList)
		if err != nil {
			return err
		}
		e.Groups[g.GroupName] = &Group{Name: g.GroupName, ARN: g.Arn, Inline: in, Attached: attachedARNs(g.AttachedManagedPolicies)}
	}
	return nil
}

func (e *Estate) addUsers(name, account string, d *authDetails) error {
	for _, u := range d.UserDetailList {
		in, err := e.decodeInline(name, "user "+u.Arn, u.UserPolicyList)
		if err != nil {
			return err
		}
		p := &Principal{Kind: KindUser, Name: u.UserName, ARN: u.Arn, Account: account,
			Inline: in, Attached: attachedARNs(u.AttachedManagedPolicies), Groups: append([]string(nil), u.GroupList...)}
		if u.PermissionsBoundary != nil {
			p.Boundary = u.PermissionsBoundary.PermissionsBoundaryArn
		}
		e.add(p)
	}
	return nil
}

func (e *Estate) addRoles(name, account string, d *authDetails) error {
	for _, r := range d.RoleDetailList {
		in, err := e.decodeInline(name, "role "+r.Arn, r.RolePolicyList)
		if err != nil {
			return err
		}
		p := &Principal{Kind: KindRole, Name: r.RoleName, ARN: r.Arn, Account: account,
			Inline: in, Attached: attachedARNs(r.AttachedManagedPolicies)}
		if len(bytes.TrimSpace(r.AssumeRolePolicyDocument)) > 0 {
			p.Trust, err = e.decode(r.AssumeRolePolicyDocument)
			if err != nil {
				return fmt.Errorf("iam: %s: role %s trust policy: %w", name, r.Arn, err)
			}
		}
		if r.PermissionsBoundary != nil {
			p.Boundary = r.PermissionsBoundary.PermissionsBoundaryArn
		}
		for _, ip := range r.InstanceProfileList {
			p.InstanceProfiles = append(p.InstanceProfiles, ip.Arn)
		}
		sort.Strings(p.InstanceProfiles)
		e.add(p)
	}
	return nil
}
