package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	smithy "github.com/aws/smithy-go"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

// unit is one account and one region (or "global").
type unit struct {
	c      *collector
	acct   account
	region string
	cfg    aws.Config // account credentials, region set
}

func (c *collector) newUnit(a account, region string) *unit {
	cfg := a.cfg.Copy()
	if region != layout.GlobalRegion {
		cfg.Region = region
	}
	return &unit{c: c, acct: a, region: region, cfg: cfg}
}

// serviceFunc collects one service; sem bounds its calls in flight.
type serviceFunc func(ctx context.Context, u *unit, sem *limiter)

// run collects every service of the unit concurrently.
func (u *unit) run(ctx context.Context) {
	services := regionalServices
	if u.region == layout.GlobalRegion {
		services = globalServices
	}
	var wg sync.WaitGroup
	for _, svc := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc(ctx, u, newLimiter(u.c.opts.PerService))
		}()
	}
	wg.Wait()
}

// regionalServices and globalServices list what one unit collects.
var (
	regionalServices = []serviceFunc{collectEC2, collectELB, collectELBv2, collectECS, collectEKS,
		collectECR, collectRDS, collectRedshift, collectLambda, collectDynamoDB, collectElastiCache,
		collectOpenSearch, collectSecretsManager}
	globalServices = []serviceFunc{collectIAM, collectS3}
)

// limiter is a counting semaphore that gives up when ctx is done.
type limiter struct{ ch chan struct{} }

func newLimiter(n int) *limiter { return &limiter{ch: make(chan struct{}, n)} }

func (l *limiter) acquire(ctx context.Context) bool {
	select {
	case l.ch <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (l *limiter) release() { <-l.ch }

// spawner is a fresh limiter of the same width, for fanning out goroutines
// that then acquire l around each call (sharing l would deadlock).
func (l *limiter) spawner() *limiter { return newLimiter(cap(l.ch)) }

// each runs fn for every id with at most the limiter's width in flight.
func each[T any](ctx context.Context, sem *limiter, items []T, fn func(T)) {
	var wg sync.WaitGroup
	for _, it := range items {
		if !sem.acquire(ctx) {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sem.release()
			fn(it)
		}()
	}
	wg.Wait()
}

// call names one CLI operation, and its argument for per-resource calls.
type call struct {
	service, op, id string
}

// fetch runs f and writes its CLI-shaped output. Failures become gaps (or
// not-found records for the codes in notFound) and return ok=false.
func fetch[O any](ctx context.Context, u *unit, sem *limiter, k call, f func(context.Context) (O, error), notFound ...string) (O, bool) {
	var zero O
	if !sem.acquire(ctx) {
		return zero, false
	}
	out, err := f(ctx)
	sem.release()
	if err != nil {
		if ctx.Err() != nil {
			return zero, false
		}
		code, _ := classify(err)
		for _, nf := range notFound {
			if code == nf {
				u.c.addNotFound(layout.NotFound{Account: u.acct.id, Region: u.region, Service: k.service,
					Operation: k.op, ResourceID: k.id, ErrorCode: code})
				return zero, false
			}
		}
		u.c.gap(u.acct.id, u.region, k.service, k.op, k.id, err)
		return zero, false
	}
	if err := u.write(k, out); err != nil {
		u.c.setFatal(err)
		return zero, false
	}
	return out, true
}

// write renders out as CLI JSON into its snapshot file.
func (u *unit) write(k call, out any) error {
	var path string
	var err error
	if k.id == "" {
		path, err = layout.OperationPath(u.c.out, u.acct.id, u.region, k.service, k.op)
	} else {
		path, err = layout.ResourcePath(u.c.out, u.acct.id, u.region, k.service, k.op, k.id)
	}
	if err != nil {
		return fmt.Errorf("naming the %s %s file: %w", k.service, k.op, err)
	}
	data, err := RenderCLI(out)
	if err != nil {
		return fmt.Errorf("rendering %s %s: %w", k.service, k.op, err)
	}
	if err := writeAtomic(path, data); err != nil {
		return err
	}
	u.c.files.Add(1)
	return nil
}

// classify returns the AWS error code and message of a failed call. Errors
// that carry no AWS code get a descriptive code of ours.
func classify(err error) (code, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), firstLine(ae.ErrorMessage())
	}
	var nr *aws.EndpointNotFoundError
	if errors.As(err, &nr) || strings.Contains(err.Error(), "ResolveEndpointV2") ||
		strings.Contains(err.Error(), "endpoint rule error") {
		return "EndpointNotResolved", firstLine(err.Error())
	}
	var ce *smithy.CanceledError
	if errors.As(err, &ce) {
		return "Canceled", firstLine(err.Error())
	}
	return "RequestError", firstLine(err.Error())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	const max = 500
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// chunks splits ids into slices of at most n (the API's per-call limit).
func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
