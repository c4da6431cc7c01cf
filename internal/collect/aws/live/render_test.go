package live

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
	"github.com/sightline-sec/sightline/internal/collect/aws/live/awsfake"
)

func TestFormatCLITime(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2023, 4, 19, 8, 49, 30, 0, time.UTC):                 "2023-04-19T08:49:30+00:00",
		time.Date(2018, 9, 12, 0, 19, 33, 652000000, time.UTC):         "2018-09-12T00:19:33.652000+00:00",
		time.Date(2024, 1, 1, 2, 0, 0, 0, time.FixedZone("CET", 3600)): "2024-01-01T01:00:00+00:00",
	} {
		if got := FormatCLITime(in); got != want {
			t.Errorf("FormatCLITime(%v) = %q, want %q", in, got, want)
		}
	}
}

// TestRenderBothPaths checks member naming on the schema path (ECS,
// camelCase) and the reflection path (EC2, PascalCase), and that a pointer
// to false is printed while nil members are not.
func TestRenderBothPaths(t *testing.T) {
	got, err := RenderCLI(&ecs.ListClustersOutput{ClusterArns: []string{"arn:aws:ecs:us-east-1:123456789012:cluster/a"}})
	if err != nil || !strings.Contains(string(got), `"clusterArns": [`) || strings.Contains(string(got), "nextToken") {
		t.Errorf("ECS render = %s, %v", got, err)
	}
	got, err = RenderCLI(&ecs.DescribeClustersOutput{Clusters: []ecstypes.Cluster{{ClusterName: aws.String("a"), RunningTasksCount: 2}}})
	if err != nil || !strings.Contains(string(got), `"runningTasksCount": 2`) {
		t.Errorf("ECS cluster render = %s, %v", got, err)
	}
	got, err = RenderCLI(&ec2.DescribeVpcsOutput{Vpcs: []ec2types.Vpc{{VpcId: aws.String("vpc-1"), IsDefault: aws.Bool(false), State: ec2types.VpcStateAvailable}}})
	s := string(got)
	if err != nil || !strings.Contains(s, `"IsDefault": false`) || !strings.Contains(s, `"State": "available"`) ||
		strings.Contains(s, "CidrBlock") || strings.Contains(s, "ResultMetadata") {
		t.Errorf("EC2 render = %s, %v", s, err)
	}
}

func TestMergePages(t *testing.T) {
	p1 := &ec2.DescribeVpcsOutput{Vpcs: []ec2types.Vpc{{VpcId: aws.String("a")}}, NextToken: aws.String("t")}
	p2 := &ec2.DescribeVpcsOutput{Vpcs: []ec2types.Vpc{{VpcId: aws.String("b")}}}
	m := mergePages([]*ec2.DescribeVpcsOutput{p1, p2})
	if len(m.Vpcs) != 2 || m.NextToken != nil {
		t.Errorf("merged = %+v", m)
	}
	if e := normalize(&ec2.DescribeAddressesOutput{}); e.Addresses == nil {
		t.Error("empty result list not normalised to []")
	}
}

// DynamoDB list-tables pages with LastEvaluatedTableName (botocore's
// output_token for it), which the CLI drops after merging like NextToken.
func TestMergeListTablesPages(t *testing.T) {
	p1 := &dynamodb.ListTablesOutput{TableNames: []string{"a"}, LastEvaluatedTableName: aws.String("a")}
	p2 := &dynamodb.ListTablesOutput{TableNames: []string{"b"}}
	got, err := RenderCLI(mergePages([]*dynamodb.ListTablesOutput{p1, p2}))
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n    \"TableNames\": [\n        \"a\",\n        \"b\"\n    ]\n}\n"; string(got) != want {
		t.Errorf("merged list-tables = %s, want %s", got, want)
	}
}

// TestCancelLeavesNoManifest checks that an interrupted run reports the
// cancellation and does not write manifest.json.
func TestCancelLeavesNoManifest(t *testing.T) {
	t.Parallel()
	f := awsfake.New(t, wireDir, awsfake.EstateRoutes()...)
	opts := testOptions(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	opts.Warn = func(string) {}
	opts.Progress = writerFunc(func(p []byte) (int, error) {
		if calls++; calls == 2 { // first unit finished
			cancel()
		}
		return len(p), nil
	})
	_, err := Run(ctx, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(opts.Out, layout.ManifestFile)); !os.IsNotExist(err) {
		t.Errorf("manifest written after cancellation (%v)", err)
	}
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }
