package layout

import (
	"encoding/json"
	"fmt"
	"time"
)

// Schema identifies version 1 of the snapshot layout in manifest.json.
const Schema = "sightline.aws-snapshot/v1"

// Manifest is <root>/manifest.json. The collector writes it last, so a
// snapshot directory without one is incomplete (interrupted collection).
type Manifest struct {
	Schema      string    `json:"schema"`
	CollectedAt time.Time `json:"collected_at"`
	Tool        string    `json:"tool"`
	ToolVersion string    `json:"tool_version"`
	Accounts    []Account `json:"accounts"`
	// Regions lists every region directory collected (not "global").
	Regions []string `json:"regions"`
	// Files counts the CLI-output files written under the account directories.
	Files int `json:"files"`
	// Gaps are calls that failed: their data is missing, not empty.
	Gaps []Gap `json:"gaps"`
	// NotFound are per-resource calls the service answered with "this
	// resource has no such configuration" (S3 NoSuchPublicAccessBlock-
	// Configuration, NoSuchBucketPolicy…): the CLI prints an error and no
	// file exists, but this is data, not a gap.
	NotFound []NotFound `json:"not_found,omitempty"`
}

// Account is one collected account; RoleARN is set when it was reached by
// assuming a role.
type Account struct {
	AccountID string `json:"account_id"`
	RoleARN   string `json:"role_arn,omitempty"`
}

// Gap records one call whose answer is missing from the snapshot. Region is
// "global" for global services; Service and Operation are AWS CLI names.
// ResourceID names the argument of per-resource calls.
type Gap struct {
	Account    string `json:"account"`
	Region     string `json:"region"`
	Service    string `json:"service"`
	Operation  string `json:"operation"`
	ResourceID string `json:"resource_id,omitempty"`
	ErrorCode  string `json:"error_code"`
	Message    string `json:"message"`
}

// NotFound records a per-resource call answered with a "not configured" error.
type NotFound struct {
	Account    string `json:"account"`
	Region     string `json:"region"`
	Service    string `json:"service"`
	Operation  string `json:"operation"`
	ResourceID string `json:"resource_id"`
	ErrorCode  string `json:"error_code"`
}

// ParseManifest decodes and checks manifest.json; name labels errors.
func ParseManifest(name string, data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", name, err)
	}
	if m.Schema != Schema {
		return nil, fmt.Errorf("parsing %s: schema %q, want %q", name, m.Schema, Schema)
	}
	for _, a := range m.Accounts {
		if err := CheckAccount(a.AccountID); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
	}
	for _, r := range m.Regions {
		if err := CheckRegion(r); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
	}
	return &m, nil
}
