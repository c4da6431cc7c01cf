package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
	"github.com/sightline-sec/sightline/internal/collect/aws/live"
	"github.com/sightline-sec/sightline/internal/textfit"
)

const collectAWSLong = `Collect an offline snapshot of an AWS estate with read-only API calls
(Describe*/List*/Get*), written in the layout the AWS CLI would produce:

  DIR/manifest.json
  DIR/<account>/<region>/<service>/<operation>.json          (e.g. ec2/describe-security-groups.json)
  DIR/<account>/<region>/<service>/<operation>/<id>.json     (per-resource calls, id percent-encoded)

Each file holds what "aws <service> <operation> --output json" prints, pages
merged. IAM and S3 buckets go under the region "global". Calls that fail
(AccessDenied, UnauthorizedOperation, a region not enabled, …) are recorded
as gaps in manifest.json and printed on stderr; they never stop the run.
Credentials come from the standard AWS chain (environment, shared config,
SSO, instance role); docs/aws-collect.md lists the IAM permissions needed.
Without usable credentials the command stops before any call (exit 2) and
says what to set.`

const collectAWSExample = `  sightline collect aws --out snap
  sightline collect aws --out snap --profile audit --regions all
  sightline collect aws --out snap --regions eu-west-1,us-east-1 \
      --role-arn arn:aws:iam::111111111111:role/Audit --role-arn arn:aws:iam::222222222222:role/Audit`

func newCollectCmd(g *cliutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "collect",
		Short:   "Collect cloud inventory snapshots (AWS)",
		Example: collectAWSExample,
	}
	cmd.AddCommand(newCollectAWSCmd(g))
	return cmd
}

type collectAWSFlags struct {
	out, profile, endpoint string
	regions                []string
	roles                  []string
	perService, parallel   int
}

func newCollectAWSCmd(g *cliutil.Globals) *cobra.Command {
	var f collectAWSFlags
	cmd := &cobra.Command{
		Use:     "aws --out DIR",
		Short:   "Snapshot an AWS estate (read-only) into DIR",
		Long:    collectAWSLong,
		Example: collectAWSExample,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runCollectAWS(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "snapshot directory to create (must not exist or be empty)")
	fl.StringVar(&f.profile, "profile", "", "AWS shared config profile")
	fl.StringSliceVar(&f.regions, "regions", nil, `regions to collect: "all" (every enabled region) or r1,r2 (default: the configured region)`)
	fl.StringArrayVar(&f.roles, "role-arn", nil, "assume this role and collect its account (repeatable)")
	fl.IntVar(&f.perService, "concurrency", 4, "API calls in flight per service and region")
	fl.IntVar(&f.parallel, "parallel", 4, "account-regions collected at once")
	fl.StringVar(&f.endpoint, "endpoint-url", "", "send every call to this endpoint (testing)")
	_ = fl.MarkHidden("endpoint-url")
	return cmd
}

func runCollectAWS(ctx context.Context, g *cliutil.Globals, f collectAWSFlags) error {
	if err := g.CheckFormat("table", "json"); err != nil {
		return err
	}
	if f.out == "" {
		return cliutil.Usagef("--out DIR is required")
	}
	if err := checkRegions(f.regions); err != nil {
		return err
	}
	if f.perService < 1 || f.parallel < 1 {
		return cliutil.Usagef("--concurrency and --parallel must be at least 1")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	v, _, _ := buildInfo()
	opts := live.Options{
		Out: f.out, Profile: f.profile, Regions: f.regions, RoleARNs: f.roles,
		EndpointURL: f.endpoint, PerService: f.perService, Parallel: f.parallel,
		ToolVersion: v,
		Warn:        func(s string) { fmt.Fprintln(g.Stderr, s) },
	}
	if g.StderrIsTTY() {
		opts.Progress = g.Stderr
	}
	m, err := live.Run(ctx, opts)
	if err != nil {
		return collectError(g, err)
	}
	return printCollectSummary(g, f.out, m)
}

// checkRegions rejects region names that could not be directory names.
func checkRegions(regions []string) error {
	for _, r := range regions {
		if r == live.AllRegions {
			if len(regions) > 1 {
				return cliutil.Usagef("--regions all cannot be combined with other regions")
			}
			continue
		}
		if err := layout.CheckRegion(r); err != nil || r == layout.GlobalRegion {
			return cliutil.Usagef("--regions: %q is not an AWS region name", r)
		}
	}
	return nil
}

// collectError maps input problems to exit code 2, missing or rejected
// credentials included (the user fixes them by setting something); the
// rest are internal. The SDK's account of its credential chain is a
// diagnostic, printed with -v only.
func collectError(g *cliutil.Globals, err error) error {
	var notEmpty *live.OutNotEmptyError
	var noRegion *live.NoRegionError
	var badRole *live.BadRoleARNError
	var creds *live.CredentialsError
	if errors.As(err, &creds) {
		g.Logf("AWS SDK: %v", creds.Err)
		return cliutil.Usage(creds)
	}
	if errors.As(err, &notEmpty) || errors.As(err, &noRegion) || errors.As(err, &badRole) {
		return cliutil.Usage(err)
	}
	return err
}

func printCollectSummary(g *cliutil.Globals, out string, m *layout.Manifest) error {
	if g.Format == "json" {
		enc := json.NewEncoder(g.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	var accts []string
	for _, a := range m.Accounts {
		accts = append(accts, a.AccountID)
	}
	width := g.Width()
	print := func(prefix, s string, cont int) {
		for _, l := range textfit.Hang(prefix, s, cont, width) {
			fmt.Fprintln(g.Stdout, l)
		}
	}
	print("snapshot "+out+":", fmt.Sprintf("%d files, accounts %s, regions %s, %d gaps, %d not configured",
		m.Files, strings.Join(accts, ", "), strings.Join(m.Regions, ", "), len(m.Gaps), len(m.NotFound)), 2)
	for _, gp := range m.Gaps {
		id := ""
		if gp.ResourceID != "" {
			id = " " + gp.ResourceID
		}
		print("  gap", fmt.Sprintf("%s %s %s %s%s: %s", gp.Account, gp.Region, gp.Service, gp.Operation, id, gp.ErrorCode), 6)
	}
	return nil
}
