package docker

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/sightline-sec/sightline/internal/workload"
)

// Options say which engine to read and how to learn the host's identity.
type Options struct {
	// Host is the engine endpoint (unix:///…, tcp://…); "" means DOCKER_HOST
	// (with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) or the default socket.
	Host string
	// HostID is the EC2 instance the engine runs on (--host-id i-…). When
	// set, the instance metadata service is not asked.
	HostID string
	// IMDSEndpoint is the instance metadata endpoint; "" is the AWS SDK
	// default (http://169.254.169.254, or AWS_EC2_METADATA_SERVICE_ENDPOINT).
	IMDSEndpoint string
	// IMDSTimeout bounds the whole metadata lookup; 0 means
	// DefaultIMDSTimeout, so a machine outside EC2 is not slowed down.
	IMDSTimeout time.Duration
	// NoIMDS skips the metadata lookup.
	NoIMDS bool
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// DefaultIMDSTimeout bounds the instance metadata lookup. The service
// answers in a few milliseconds on EC2 (it is link-local); off EC2 the
// packets are usually dropped, so the lookup costs exactly this long. It
// runs while the containers are read, so it rarely adds to Collect's time.
const DefaultIMDSTimeout = 300 * time.Millisecond

// inspectConcurrency bounds the inspect calls in flight: the engine
// serialises much of its work, and more parallelism only queues there.
const inspectConcurrency = 4

// Collect reads the running containers of the engine into an Inventory.
// An engine that cannot be reached is an error naming the endpoint; a
// container that disappears between list and inspect is a Gap.
func Collect(ctx context.Context, opts Options) (*workload.Inventory, error) {
	return collect(ctx, opts, nil)
}

// collect is Collect with a hook run between list and inspect (tests use it
// to remove a container at exactly that moment).
func collect(ctx context.Context, opts Options, afterList func([]string)) (*workload.Inventory, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.HostID != "" && !validInstanceID(opts.HostID) {
		return nil, fmt.Errorf("--host-id %q is not an EC2 instance ID (i- followed by 8 or 17 hex digits)", opts.HostID)
	}
	cli, err := newClient(opts.Host)
	if err != nil {
		return nil, fmt.Errorf("docker endpoint %q: %w", opts.Host, err)
	}
	defer cli.Close()
	endpoint := cli.DaemonHost()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idc := make(chan hostIdentity, 1)
	go func() { idc <- lookupHostID(ctx, opts) }()

	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, fmt.Errorf("cannot reach the Docker engine at %s: %s", endpoint, oneLine(err))
	}
	start := time.Now()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing containers at the Docker engine %s: %s", endpoint, oneLine(err))
	}
	ids := make([]string, len(list.Items))
	for i, c := range list.Items {
		ids[i] = c.ID
	}
	if afterList != nil {
		afterList(ids)
	}
	r := reader{cli: cli, endpoint: endpoint, engineVersion: info.Info.ServerVersion}
	cs, gaps, err := r.inspectAll(ctx, ids)
	if err != nil {
		return nil, err
	}
	images, igaps, err := r.inspectImages(ctx, cs)
	if err != nil {
		return nil, err
	}
	gaps = append(gaps, igaps...)

	id := <-idc
	host := workload.Host{Name: info.Info.Name, InstanceID: id.instanceID, InstanceFrom: id.from}
	if id.gap != nil {
		id.gap.Input = endpoint
		gaps = append(gaps, *id.gap)
	}
	inv := &workload.Inventory{Schema: workload.Schema, Workloads: []workload.Workload{}, Gaps: []workload.Gap{}}
	for _, c := range cs {
		w, wgaps := r.workload(c, images[c.Image], host)
		inv.Workloads = append(inv.Workloads, w)
		gaps = append(gaps, wgaps...)
	}
	sort.Slice(inv.Workloads, func(i, j int) bool {
		a, b := inv.Workloads[i], inv.Workloads[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	inv.Gaps = append(inv.Gaps, gaps...)
	logf("docker: %d running containers at %s (%s) read in %s; host %s %s",
		len(inv.Workloads), endpoint, info.Info.Name, time.Since(start).Round(time.Millisecond), host.Name, hostIDText(host))
	return inv, nil
}

func hostIDText(h workload.Host) string {
	if h.InstanceID == "" {
		return "(EC2 instance unknown)"
	}
	return h.InstanceID + " (from " + h.InstanceFrom + ")"
}

// newClient connects as the docker CLI does: an explicit endpoint, else
// DOCKER_HOST and its TLS settings, else the default socket. The API
// version is negotiated on the first call (the client's default).
func newClient(host string) (*client.Client, error) {
	if host == "" {
		return client.New(client.FromEnv)
	}
	return client.New(client.FromEnv, client.WithHost(host))
}

// oneLine keeps an engine error on one line (the client's connection
// errors carry a hint sentence after a newline).
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

type reader struct {
	cli           *client.Client
	endpoint      string
	engineVersion string
}

// inspectAll inspects every listed container with bounded concurrency. A
// container that is gone (removed between list and inspect) or cannot be
// inspected is a Gap; only a cancelled context is an error.
func (r reader) inspectAll(ctx context.Context, ids []string) ([]container.InspectResponse, []workload.Gap, error) {
	out := make([]*container.InspectResponse, len(ids))
	gaps := make([]*workload.Gap, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inspectConcurrency)
	for i, id := range ids {
		g.Go(func() error {
			res, err := r.cli.ContainerInspect(gctx, id, client.ContainerInspectOptions{})
			switch {
			case err == nil && res.Container.State != nil && !res.Container.State.Running:
				gaps[i] = &workload.Gap{Source: workload.SourceDocker, What: "container " + short(id),
					Reason: "not running at inspect (state " + string(res.Container.State.Status) + "); skipped", Input: r.endpoint}
			case err == nil:
				out[i] = &res.Container
			case ctx.Err() != nil:
				return ctx.Err()
			case cerrdefs.IsNotFound(err):
				gaps[i] = &workload.Gap{Source: workload.SourceDocker, What: "container " + short(id),
					Reason: "removed between list and inspect; skipped", Input: r.endpoint}
			default:
				gaps[i] = &workload.Gap{Source: workload.SourceDocker, What: "inspect container " + short(id),
					Reason: oneLine(err), Input: r.endpoint}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, fmt.Errorf("inspecting containers at %s: %w", r.endpoint, err)
	}
	var cs []container.InspectResponse
	var gs []workload.Gap
	for i := range ids {
		if out[i] != nil {
			cs = append(cs, *out[i])
		}
		if gaps[i] != nil {
			gs = append(gs, *gaps[i])
		}
	}
	return cs, gs, nil
}

// inspectImages inspects each distinct image once (many containers share
// one). An image that cannot be inspected (removed with rmi -f while its
// containers run) leaves those containers without digest and EXPOSE data,
// recorded as a Gap.
func (r reader) inspectImages(ctx context.Context, cs []container.InspectResponse) (map[string]*image.InspectResponse, []workload.Gap, error) {
	var ids []string
	seen := map[string]bool{}
	for _, c := range cs {
		if c.Image != "" && !seen[c.Image] {
			seen[c.Image] = true
			ids = append(ids, c.Image)
		}
	}
	sort.Strings(ids)
	var mu sync.Mutex
	out := map[string]*image.InspectResponse{}
	var gaps []workload.Gap
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inspectConcurrency)
	for _, id := range ids {
		g.Go(func() error {
			res, err := r.cli.ImageInspect(gctx, id)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				out[id] = &res.InspectResponse
			case ctx.Err() != nil:
				return ctx.Err()
			default:
				gaps = append(gaps, workload.Gap{Source: workload.SourceDocker, What: "inspect image " + id,
					Reason: oneLine(err) + "; repo digests unknown for the containers that run it", Input: r.endpoint})
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, fmt.Errorf("inspecting images at %s: %w", r.endpoint, err)
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i].What < gaps[j].What })
	return out, gaps, nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
