package docker

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/sightline-sec/sightline/internal/workload"
)

// hostIdentity is what was learnt about the host's EC2 instance.
type hostIdentity struct {
	instanceID string
	from       string        // "--host-id", "imds", ""
	gap        *workload.Gap // set when the instance is unknown
}

// instanceIDPattern is an EC2 instance ID: "i-" and 8 (older) or 17 hex
// digits (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Instance.html).
var instanceIDPattern = regexp.MustCompile(`^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$`)

func validInstanceID(s string) bool { return instanceIDPattern.MatchString(s) }

// lookupHostID decides the host's EC2 instance: --host-id when given,
// else the instance metadata service's answer within the timeout, else
// unknown, with a Gap that says what this leaves out and how to give it.
func lookupHostID(ctx context.Context, opts Options) hostIdentity {
	if opts.HostID != "" {
		return hostIdentity{instanceID: opts.HostID, from: "--host-id"}
	}
	why := "the instance metadata service was not asked (NoIMDS)"
	if !opts.NoIMDS {
		timeout := opts.IMDSTimeout
		if timeout <= 0 {
			timeout = DefaultIMDSTimeout
		}
		id, err := imdsInstanceID(ctx, opts.IMDSEndpoint, timeout)
		if err == nil {
			return hostIdentity{instanceID: id, from: "imds"}
		}
		why = "the instance metadata service gave no instance ID: " + err.Error()
	}
	return hostIdentity{gap: &workload.Gap{
		Source: workload.SourceDocker,
		What:   "EC2 instance of the Docker host",
		Reason: "no --host-id given and " + why + "; the host's cloud exposure (security groups, NACLs, routes) cannot be applied to the published ports: pass --host-id i-… to name the instance",
	}}
}

// imdsInstanceID asks the instance metadata service for the instance ID
// with the AWS SDK's client: IMDSv2 (a session token from PUT
// /latest/api/token, then GET /latest/meta-data/instance-id), falling back
// to IMDSv1 as the SDK does. The whole exchange, retries included, is
// bounded by timeout; retries are off, since one unanswered request
// already says the service is not there.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
func imdsInstanceID(ctx context.Context, endpoint string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := imds.New(imds.Options{Endpoint: endpoint, Retryer: aws.NopRetryer{}})
	out, err := c.GetMetadata(ctx, &imds.GetMetadataInput{Path: "instance-id"})
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("no answer from %s within %s", endpointName(endpoint), timeout)
		}
		return "", fmt.Errorf("%s answered with an error: %s", endpointName(endpoint), oneLine(err))
	}
	defer out.Content.Close()
	b, err := io.ReadAll(io.LimitReader(out.Content, 256))
	if err != nil {
		return "", fmt.Errorf("reading the answer of %s: %w", endpointName(endpoint), err)
	}
	id := strings.TrimSpace(string(b))
	if !validInstanceID(id) {
		return "", fmt.Errorf("%s answered %q, not an instance ID", endpointName(endpoint), truncate(id, 40))
	}
	return id, nil
}

// endpointName names the endpoint the SDK's client asked: e, else
// AWS_EC2_METADATA_SERVICE_ENDPOINT (which imds.New reads when no endpoint
// is given), else the default.
func endpointName(e string) string {
	if e != "" {
		return e
	}
	if env := os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"); env != "" {
		return env + " (AWS_EC2_METADATA_SERVICE_ENDPOINT)"
	}
	return "the default endpoint (http://169.254.169.254)"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
