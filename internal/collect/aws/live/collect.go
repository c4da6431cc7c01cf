// Package live collects an AWS snapshot with the AWS SDK for Go v2: the same
// files the AWS CLI would print (see package layout), written with read-only
// Describe/List/Get calls.
//
// Design choices:
//   - JSON shape: the SDK's schema-driven serializer (every output type has
//     Serialize(smithy.ShapeSerializer)) is driven by a serializer of ours
//     that emits the Smithy member names, i.e. the names the CLI prints
//     (clijson.go). Verified against AWS CLI v2 output for the same recorded
//     wire responses (testdata/aws-wire/golden).
//   - Pages are merged like the CLI (list members concatenated, tokens
//     dropped); list+describe pairs are chunked to the API's limits and the
//     describe outputs merged the same way.
//   - Retries: adaptive retry mode (client-side rate limiting on throttling).
//   - Concurrency: accounts×regions run a few at a time (Options.Parallel);
//     inside one, each service runs alone with at most Options.PerService
//     calls in flight.
//   - Failures of one call (AccessDenied, UnauthorizedOperation,
//     OptInRequired, an endpoint that does not resolve, exhausted retries)
//     become a Gap in the manifest and a line on stderr, never fatal and never
//     an empty file. Only write errors and cancellation stop the run.
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

// Options configure one collection run.
type Options struct {
	Out      string   // snapshot directory: created, must be empty if it exists
	Profile  string   // shared config profile ("" = default chain)
	Regions  []string // explicit regions; nil = the configured region; {"all"} = every enabled region
	RoleARNs []string // roles to assume, one account each; none = the caller's account

	// EndpointURL sends every call to one endpoint (tests, local emulators).
	EndpointURL string
	// Credentials, when set, replace the default credential chain (tests,
	// embedding); --profile and the environment are then ignored for keys.
	Credentials aws.CredentialsProvider
	// Parallel bounds account×region units collected at once (default 4).
	Parallel int
	// PerService bounds calls in flight per service and region (default 4).
	PerService int
	// MaxAttempts per call including retries (default 10).
	MaxAttempts int
	// MaxBackoff caps the retry delay (default: the SDK's 20 s).
	MaxBackoff time.Duration

	ToolVersion string
	Now         func() time.Time
	// Warn receives one line per gap as it happens (stderr in the CLI).
	Warn func(string)
	// Progress, when set, receives a redrawn status line (a TTY).
	Progress io.Writer
}

// AllRegions is the --regions value that means every enabled region.
const AllRegions = "all"

// sessionName is the RoleSessionName of assumed roles, visible in CloudTrail.
const sessionName = "sightline-collect"

// Run collects the snapshot into opts.Out and returns its manifest, which it
// writes last. On cancellation it returns the context error and no manifest
// is written, marking the directory as incomplete.
func Run(ctx context.Context, opts Options) (*layout.Manifest, error) {
	opts = withDefaults(opts)
	base, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := prepareOut(opts.Out); err != nil {
		return nil, err
	}
	c := &collector{opts: opts, out: opts.Out}
	accounts, err := c.resolveAccounts(ctx, base)
	if err != nil {
		return nil, err
	}
	var units []*unit
	regionSet := map[string]bool{}
	for _, a := range accounts {
		regions := c.resolveRegions(ctx, a)
		units = append(units, c.newUnit(a, layout.GlobalRegion))
		for _, r := range regions {
			regionSet[r] = true
			units = append(units, c.newUnit(a, r))
		}
	}
	c.prog = newProgress(opts.Progress, len(units))
	if err := c.runUnits(ctx, units); err != nil {
		return nil, err
	}
	c.prog.finish()
	return c.writeManifest(accounts, regionSet)
}

func withDefaults(o Options) Options {
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.PerService <= 0 {
		o.PerService = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	return o
}

// prepareOut creates the snapshot directory; an existing one must be empty
// so a snapshot never mixes files from two runs.
func prepareOut(dir string) error {
	if dir == "" {
		return errors.New("no output directory")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading %s: %w", dir, err)
	case len(entries) > 0:
		return &OutNotEmptyError{Dir: dir}
	}
	return nil
}

// OutNotEmptyError reports an output directory that already holds files.
type OutNotEmptyError struct{ Dir string }

func (e *OutNotEmptyError) Error() string {
	return fmt.Sprintf("output directory %s is not empty; choose a new directory so snapshots never mix", e.Dir)
}

// loadConfig builds the base SDK config: profile, adaptive retries, optional
// endpoint override.
func loadConfig(ctx context.Context, opts Options) (aws.Config, error) {
	retryer := func() aws.Retryer {
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
				so.MaxAttempts = opts.MaxAttempts
				if opts.MaxBackoff > 0 {
					so.MaxBackoff = opts.MaxBackoff
					so.Backoff = retry.NewExponentialJitterBackoff(opts.MaxBackoff)
				}
			})
		})
	}
	lo := []func(*config.LoadOptions) error{config.WithRetryer(retryer)}
	if opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.EndpointURL != "" {
		lo = append(lo, config.WithBaseEndpoint(opts.EndpointURL))
	}
	if opts.Credentials != nil {
		lo = append(lo, config.WithCredentialsProvider(opts.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return aws.Config{}, &CredentialsError{Profile: opts.Profile, Err: err}
	}
	// Ask the credential chain once, before any output or API call: a
	// machine without credentials fails here with what to set, not with
	// the SDK's provider chain from deep inside the first call.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return aws.Config{}, ctx.Err()
		}
		return aws.Config{}, &CredentialsError{Profile: opts.Profile, Err: err}
	}
	if cfg.Region == "" {
		explicit := slices.DeleteFunc(slices.Clone(opts.Regions), func(r string) bool { return r == AllRegions })
		if len(explicit) == 0 {
			return aws.Config{}, &NoRegionError{}
		}
		cfg.Region = explicit[0]
	}
	return cfg, nil
}

// CredentialsError reports that the AWS credential chain (environment,
// shared config and credentials files, SSO, container and instance roles;
// https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html)
// gave no usable credentials, or that STS rejected them. Its message says
// what to set; Err holds the SDK's own account of the chain.
type CredentialsError struct {
	Profile  string
	Rejected string // STS error code when the credentials were refused
	Err      error
}

func (e *CredentialsError) Error() string {
	from := "the default AWS credential chain"
	if e.Profile != "" {
		from = fmt.Sprintf("AWS profile %q", e.Profile)
	}
	var missing config.SharedConfigProfileNotExistError
	if errors.As(e.Err, &missing) {
		return fmt.Sprintf("AWS profile %q is not in ~/.aws/config or ~/.aws/credentials "+
			"(or the files AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE name); `aws configure list-profiles` lists them", missing.Profile)
	}
	if e.Rejected != "" {
		return fmt.Sprintf("AWS rejected the credentials from %s (%s): they are wrong or expired; "+
			"refresh them (for SSO: aws sso login --profile NAME; for temporary keys: a new AWS_SESSION_TOKEN)", from, e.Rejected)
	}
	return "no usable AWS credentials from " + from + ". Set one of: " +
		"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary keys); " +
		"--profile NAME or AWS_PROFILE naming a profile in ~/.aws/config or ~/.aws/credentials " +
		"(for an IAM Identity Center/SSO profile, run `aws sso login --profile NAME` first); " +
		"or run where an instance, task or pod role provides them (-v shows the SDK's details)"
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// rejectedCodes are STS error codes meaning the caller's credentials are
// invalid or expired (as opposed to lacking a permission).
var rejectedCodes = []string{"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
	"SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId"}

// NoRegionError reports that no region was given nor configured.
type NoRegionError struct{}

func (*NoRegionError) Error() string {
	return "no AWS region: pass --regions (a list or \"all\") or set AWS_REGION / a profile region"
}

// account is one account to collect, with the credentials that reach it.
type account struct {
	id      string
	roleARN string
	cfg     aws.Config
}

type collector struct {
	opts  Options
	out   string
	prog  *progress
	files atomic.Int64

	mu       sync.Mutex
	gaps     []layout.Gap
	notFound []layout.NotFound
	fatal    error
}

// resolveAccounts returns the caller's account, or one account per role. A
// role that cannot be assumed is a gap (sts assume-role), not a failure,
// unless no account at all is reachable.
func (c *collector) resolveAccounts(ctx context.Context, base aws.Config) ([]account, error) {
	if len(c.opts.RoleARNs) == 0 {
		id, err := callerAccount(ctx, base)
		var api smithy.APIError
		if errors.As(err, &api) && slices.Contains(rejectedCodes, api.ErrorCode()) {
			return nil, &CredentialsError{Profile: c.opts.Profile, Rejected: api.ErrorCode(), Err: err}
		}
		if err != nil {
			return nil, fmt.Errorf("identifying the AWS account (sts get-caller-identity): %w", err)
		}
		return []account{{id: id, cfg: base}}, nil
	}
	var out []account
	seen := map[string]bool{}
	for _, role := range c.opts.RoleARNs {
		parsed, err := arn.Parse(role)
		if err != nil || parsed.Service != "iam" || layout.CheckAccount(parsed.AccountID) != nil {
			return nil, &BadRoleARNError{ARN: role}
		}
		cfg := base.Copy()
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), role,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = sessionName }))
		id, err := callerAccount(ctx, cfg)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			c.gap(parsed.AccountID, layout.GlobalRegion, "sts", "assume-role", role, err)
			continue
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, account{id: id, roleARN: role, cfg: cfg})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("none of the %d roles could be assumed (see the gaps above)", len(c.opts.RoleARNs))
	}
	return out, nil
}

// BadRoleARNError reports a --role-arn value that is not an IAM role ARN.
type BadRoleARNError struct{ ARN string }

func (e *BadRoleARNError) Error() string {
	return fmt.Sprintf("--role-arn %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", e.ARN)
}

func callerAccount(ctx context.Context, cfg aws.Config) (string, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	id := aws.ToString(out.Account)
	if err := layout.CheckAccount(id); err != nil {
		return "", fmt.Errorf("sts get-caller-identity: %w", err)
	}
	return id, nil
}

// resolveRegions expands "all" with ec2 describe-regions (enabled regions
// only, as AWS returns by default). If that call fails, it is a gap and the
// configured region alone is collected.
func (c *collector) resolveRegions(ctx context.Context, a account) []string {
	var regions []string
	for _, r := range c.opts.Regions {
		if r != AllRegions {
			regions = append(regions, r)
			continue
		}
		out, err := ec2.NewFromConfig(a.cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		if err != nil {
			c.gap(a.id, a.cfg.Region, "ec2", "describe-regions", "", err)
			regions = append(regions, a.cfg.Region)
			continue
		}
		for _, r := range out.Regions {
			regions = append(regions, aws.ToString(r.RegionName))
		}
	}
	if len(c.opts.Regions) == 0 {
		regions = []string{a.cfg.Region}
	}
	sort.Strings(regions)
	return slices.Compact(regions)
}

// runUnits collects the units, Parallel at a time.
func (c *collector) runUnits(ctx context.Context, units []*unit) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, c.opts.Parallel)
	var wg sync.WaitGroup
	for _, u := range units {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u.run(ctx)
			if err := c.fatalErr(); err != nil {
				cancel(err)
			}
			c.prog.unitDone(len(c.gapList()))
		}()
	}
	wg.Wait()
	if err := c.fatalErr(); err != nil {
		return err
	}
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("collection interrupted, %s holds a partial snapshot without %s: %w",
			c.out, layout.ManifestFile, err)
	}
	return nil
}

func (c *collector) fatalErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fatal
}

func (c *collector) setFatal(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fatal == nil {
		c.fatal = err
	}
}

func (c *collector) gapList() []layout.Gap {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gaps
}

// gap records a failed call and reports it at once.
func (c *collector) gap(acct, region, service, op, id string, err error) {
	code, msg := classify(err)
	g := layout.Gap{Account: acct, Region: region, Service: service, Operation: op,
		ResourceID: id, ErrorCode: code, Message: msg}
	c.mu.Lock()
	c.gaps = append(c.gaps, g)
	c.mu.Unlock()
	where := fmt.Sprintf("%s %s %s %s", acct, region, service, op)
	if id != "" {
		where += " " + id
	}
	c.opts.Warn(fmt.Sprintf("gap: %s: %s: %s", where, code, msg))
}

func (c *collector) addNotFound(n layout.NotFound) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notFound = append(c.notFound, n)
}

func (c *collector) writeManifest(accounts []account, regionSet map[string]bool) (*layout.Manifest, error) {
	m := &layout.Manifest{
		Schema:      layout.Schema,
		CollectedAt: c.opts.Now().UTC(),
		Tool:        "sightline",
		ToolVersion: c.opts.ToolVersion,
		Files:       int(c.files.Load()),
		Gaps:        c.gapList(),
		NotFound:    c.notFound,
	}
	for _, a := range accounts {
		m.Accounts = append(m.Accounts, layout.Account{AccountID: a.id, RoleARN: a.roleARN})
	}
	for r := range regionSet {
		m.Regions = append(m.Regions, r)
	}
	sort.Strings(m.Regions)
	sortGaps(m.Gaps)
	sort.Slice(m.NotFound, func(i, j int) bool {
		a, b := m.NotFound[i], m.NotFound[j]
		return a.Account+a.Region+a.Service+a.Operation+a.ResourceID < b.Account+b.Region+b.Service+b.Operation+b.ResourceID
	})
	if m.Gaps == nil {
		m.Gaps = []layout.Gap{}
	}
	if err := writeManifestFile(c.out, m); err != nil {
		return nil, err
	}
	return m, nil
}

func sortGaps(g []layout.Gap) {
	sort.Slice(g, func(i, j int) bool {
		a, b := g[i], g[j]
		ka := []string{a.Account, a.Region, a.Service, a.Operation, a.ResourceID}
		kb := []string{b.Account, b.Region, b.Service, b.Operation, b.ResourceID}
		return slices.Compare(ka, kb) < 0
	})
}
