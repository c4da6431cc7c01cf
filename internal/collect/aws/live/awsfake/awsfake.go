// Package awsfake is a local AWS endpoint for tests: it answers the real
// AWS SDK (and the AWS CLI) with recorded wire-format bodies from
// testdata/aws-wire. It is test support, imported only by _test files.
package awsfake

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Account is the account the fake STS reports for static credentials
// (the sanitised account of the cloud-custodian recordings).
const Account = "644160558196"

// ExpiredKey is an access key id the fake STS refuses as expired.
const ExpiredKey = "AKIDEXPIRED"

// route serves one recorded body for one operation, optionally only when
// the request's parameters match, optionally only a limited number of times.
type Route struct {
	Svc, Op string
	Match   map[string]string // parameter -> value ("" = absent)
	Status  int
	File    string // relative to the wire directory
	Times   int    // 0 = unlimited
	served  int
}

// fakeAWS is a local AWS endpoint: it recognises the service from the
// SigV4 credential scope and the operation from the protocol (Action form
// field, X-Amz-Target, REST path), and answers from recorded wire bodies.
// Operations without a route get an empty, valid response of their protocol.
type Server struct {
	dir    string
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	routes []*Route
	calls  map[string]int // "svc:Op" -> requests
	params []map[string]string
}

// New starts a server answering from wireDir (testdata/aws-wire).
func New(t testing.TB, wireDir string, routes ...*Route) *Server {
	f := &Server{t: t, dir: wireDir, routes: routes, calls: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the endpoint to pass as BaseEndpoint / --endpoint-url.
func (f *Server) URL() string { return f.srv.URL }

// Count returns how many requests "svc:Op" received.
func (f *Server) Count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

var scopeRE = regexp.MustCompile(`Credential=([^/]+)/[0-9]+/[^/]+/([^/]+)/aws4_request`)

// identify returns service, operation and parameters of a request.
func identify(r *http.Request, body []byte) (svc, op string, params map[string]string) {
	params = map[string]string{}
	m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return "", "", params
	}
	params["__key"] = m[1]
	svc = m[2]
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		_, op, _ = strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		var obj map[string]any
		_ = json.Unmarshal(body, &obj)
		for k, v := range obj {
			if s, ok := v.(string); ok {
				params[k] = s
			}
		}
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		form, _ := url.ParseQuery(string(body))
		for k := range form {
			params[k] = form.Get(k)
		}
		op = form.Get("Action")
		if svc == "elasticloadbalancing" {
			svc = map[string]string{"2012-06-01": "elb", "2015-12-01": "elbv2"}[form.Get("Version")]
		}
	default:
		op = restOp(svc, r, params)
	}
	return svc, op, params
}

// restOp maps REST-JSON and REST-XML paths to operations.
func restOp(svc string, r *http.Request, params map[string]string) string {
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i, p := range parts {
		parts[i], _ = url.PathUnescape(p)
	}
	q := r.URL.Query()
	switch svc {
	case "eks":
		switch {
		case len(parts) == 1 && parts[0] == "clusters":
			return "ListClusters"
		case len(parts) == 2:
			params["name"] = parts[1]
			return "DescribeCluster"
		case len(parts) == 3 && parts[2] == "node-groups":
			params["clusterName"] = parts[1]
			return "ListNodegroups"
		case len(parts) == 4:
			params["clusterName"], params["nodegroupName"] = parts[1], parts[3]
			return "DescribeNodegroup"
		}
	case "lambda":
		switch {
		case len(parts) == 2 && parts[1] == "functions":
			return "ListFunctions"
		case len(parts) == 4 && parts[3] == "urls":
			params["FunctionName"] = parts[2]
			return "ListFunctionUrlConfigs"
		}
	case "es": // OpenSearch Service signs as "es"
		switch {
		case len(parts) == 2 && parts[1] == "domain":
			return "ListDomainNames"
		case len(parts) == 4 && parts[1] == "opensearch" && parts[2] == "domain":
			params["DomainName"] = parts[3]
			return "DescribeDomain"
		}
	case "s3":
		switch {
		case len(parts) == 1 && parts[0] == "":
			return "ListBuckets"
		case q.Has("publicAccessBlock"):
			params["Bucket"] = parts[0]
			return "GetPublicAccessBlock"
		case q.Has("policyStatus"):
			params["Bucket"] = parts[0]
			return "GetBucketPolicyStatus"
		case q.Has("policy"):
			params["Bucket"] = parts[0]
			return "GetBucketPolicy"
		}
	}
	return ""
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	svc, op, params := identify(r, body)
	key := svc + ":" + op
	f.mu.Lock()
	f.calls[key]++
	f.params = append(f.params, params)
	rt := f.pick(svc, op, params)
	f.mu.Unlock()
	if svc == "sts" {
		f.sts(w, op, params)
		return
	}
	if op == "" {
		http.Error(w, "fake AWS: unknown request "+r.Method+" "+r.URL.String(), http.StatusNotImplemented)
		return
	}
	status, data := http.StatusOK, []byte(emptyResponse(svc, op))
	if rt != nil {
		var err error
		data, err = os.ReadFile(filepath.Join(f.dir, rt.File))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if rt.Status != 0 {
			status = rt.Status
		}
	}
	w.Header().Set("Content-Type", contentType(svc))
	w.Header().Set("X-Amzn-Requestid", "fake-request-id")
	if svc == "dynamodb" { // DynamoDB sends the CRC32 of every body; the SDK checks it
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(data)), 10))
	}
	w.WriteHeader(status)
	w.Write(data)
}

// pick returns the first route for svc/op whose match holds and that has
// uses left; callers hold f.mu.
func (f *Server) pick(svc, op string, params map[string]string) *Route {
	for _, rt := range f.routes {
		if rt.Svc != svc || rt.Op != op || (rt.Times > 0 && rt.served >= rt.Times) {
			continue
		}
		ok := true
		for k, v := range rt.Match {
			if params[k] != v {
				ok = false
			}
		}
		if ok {
			rt.served++
			return rt
		}
	}
	return nil
}

func contentType(svc string) string {
	switch svc {
	case "ecs", "ecr", "secretsmanager":
		return "application/x-amz-json-1.1"
	case "dynamodb":
		return "application/x-amz-json-1.0"
	case "eks", "lambda", "es":
		return "application/json"
	}
	return "text/xml"
}

// emptyResponse is a valid response with no members for each protocol.
func emptyResponse(svc, op string) string {
	switch svc {
	case "ec2":
		return fmt.Sprintf(`<%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId></%sResponse>`, op, op)
	case "elb", "elbv2", "rds", "redshift", "iam", "elasticache":
		return fmt.Sprintf(`<%sResponse><%sResult></%sResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></%sResponse>`, op, op, op, op)
	case "s3":
		return `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets></Buckets></ListAllMyBucketsResult>`
	}
	return "{}"
}

// sts answers GetCallerIdentity and AssumeRole in the STS query XML format
// (STS API reference). Assumed-role keys encode the role's account so that a
// later GetCallerIdentity reports it.
func (f *Server) sts(w http.ResponseWriter, op string, params map[string]string) {
	w.Header().Set("Content-Type", "text/xml")
	switch op {
	case "GetCallerIdentity":
		if params["__key"] == ExpiredKey { // STS's answer to an expired session (STS API reference, Common Errors)
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error><RequestId>fake</RequestId></ErrorResponse>`)
			return
		}
		acct := Account
		if k := params["__key"]; strings.HasPrefix(k, "ASIAFAKE") {
			acct = strings.TrimPrefix(k, "ASIAFAKE")
		}
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/auditor</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, acct, acct)
	case "AssumeRole":
		role := params["RoleArn"]
		acct := strings.Split(role, ":")[4]
		if strings.Contains(role, "denied") {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::%s:user/auditor is not authorized to perform: sts:AssumeRole on resource: %s</Message></Error><RequestId>fake</RequestId></ErrorResponse>`, Account, role)
			return
		}
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:%s</AssumedRoleId><Arn>%s</Arn></AssumedRoleUser><Credentials><AccessKeyId>ASIAFAKE%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></AssumeRoleResponse>`, params["RoleSessionName"], role, acct)
	default:
		http.Error(w, "fake STS: "+op, http.StatusNotImplemented)
	}
}

// EstateRoutes serve the recorded estate (testdata/aws-wire/estate), with
// two pages of security groups, one throttled EC2 call, one throttled ECS
// call, an AccessDenied from RDS and EC2, and S3 not-found/denied buckets.
// S3 buckets: bucket-1 blocks public access and has no policy; bucket-2 has
// no public access block and a public policy (Principal "*", s3:GetObject);
// bucket-3 denies the auditor its configuration.
func EstateRoutes() []*Route {
	e := func(svc, op, file string, match map[string]string) *Route {
		return &Route{Svc: svc, Op: op, File: "estate/" + file, Match: match}
	}
	return []*Route{
		// Throttled once, then served: the adaptive retryer must retry.
		{Svc: "ec2", Op: "DescribeVpcs", Status: 400, File: "errors/ec2-RequestLimitExceeded.xml", Times: 1},
		{Svc: "ecs", Op: "ListClusters", Status: 400, File: "errors/ecs-ThrottlingException.json", Times: 1},
		// Permission failures: gaps.
		{Svc: "rds", Op: "DescribeDBInstances", Status: 403, File: "errors/rds-AccessDenied.xml"},
		{Svc: "ec2", Op: "DescribeTransitGatewayAttachments", Status: 403, File: "errors/ec2-UnauthorizedOperation.xml"},
		// Two pages.
		e("ec2", "DescribeSecurityGroups", "ec2/DescribeSecurityGroups.1.xml", map[string]string{"NextToken": ""}),
		e("ec2", "DescribeSecurityGroups", "ec2/DescribeSecurityGroups.2.xml", map[string]string{"NextToken": "page-2-token"}),
		e("ec2", "DescribeVpcs", "ec2/DescribeVpcs.xml", nil),
		e("ec2", "DescribeInstances", "ec2/DescribeInstances.xml", nil),
		e("ec2", "DescribeSubnets", "ec2/DescribeSubnets.xml", nil),
		e("ec2", "DescribeRouteTables", "ec2/DescribeRouteTables.xml", nil),
		e("ec2", "DescribeNetworkAcls", "ec2/DescribeNetworkAcls.xml", nil),
		e("ec2", "DescribeAddresses", "ec2/DescribeAddresses.xml", nil),
		e("ec2", "DescribeNatGateways", "ec2/DescribeNatGateways.xml", nil),
		e("ec2", "DescribeInternetGateways", "ec2/DescribeInternetGateways.xml", nil),
		e("ec2", "DescribeVpcPeeringConnections", "ec2/DescribeVpcPeeringConnections.xml", nil),
		e("ec2", "DescribeManagedPrefixLists", "ec2/DescribeManagedPrefixLists.xml", nil),
		e("ec2", "GetManagedPrefixListEntries", "ec2/GetManagedPrefixListEntries.xml", map[string]string{"PrefixListId": "pl-0123456abcabcabc1"}),
		e("ec2", "DescribeNetworkInterfaces", "ec2/DescribeNetworkInterfaces.xml", nil),
		e("elb", "DescribeLoadBalancers", "elb/DescribeLoadBalancers.xml", nil),
		e("elbv2", "DescribeLoadBalancers", "elbv2/DescribeLoadBalancers.xml", nil),
		e("elbv2", "DescribeListeners", "elbv2/DescribeListeners.xml", map[string]string{"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-alb/1234567890abcdef"}),
		e("elbv2", "DescribeRules", "elbv2/DescribeRules.xml", map[string]string{"ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/test-alb/1234567890abcdef/abcdef1234567890"}),
		e("elbv2", "DescribeTargetGroups", "elbv2/DescribeTargetGroups.xml", nil),
		e("elbv2", "DescribeTargetHealth", "elbv2/DescribeTargetHealth.xml", map[string]string{"TargetGroupArn": "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067"}),
		e("elbv2", "DescribeTargetGroupAttributes", "elbv2/DescribeTargetGroupAttributes.xml", map[string]string{"TargetGroupArn": "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067"}),
		e("ecs", "ListClusters", "ecs/ListClusters.json", nil),
		e("ecs", "DescribeClusters", "ecs/DescribeClusters.json", nil),
		e("ecs", "ListTasks", "ecs/ListTasks.json", nil),
		e("ecs", "DescribeTasks", "ecs/DescribeTasks.json", nil),
		e("ecs", "ListServices", "ecs/ListServices.json", nil),
		e("ecs", "DescribeServices", "ecs/DescribeServices.json", nil),
		e("ecs", "DescribeTaskDefinition", "ecs/DescribeTaskDefinition.json", map[string]string{"taskDefinition": "arn:aws:ecs:us-east-2:644160558196:task-definition/dev-redash-server:75"}),
		e("ecs", "ListContainerInstances", "ecs/ListContainerInstances.json", nil),
		e("ecs", "DescribeContainerInstances", "ecs/DescribeContainerInstances.json", nil),
		e("eks", "ListClusters", "eks/ListClusters.json", nil),
		e("eks", "ListNodegroups", "eks/ListNodegroups.json", map[string]string{"clusterName": "example"}),
		e("eks", "DescribeNodegroup", "eks/DescribeNodegroup.json", map[string]string{"clusterName": "example", "nodegroupName": "deleted-example"}),
		e("lambda", "ListFunctions", "lambda/ListFunctions.json", nil),
		e("ecr", "DescribeRepositories", "ecr/DescribeRepositories.json", nil),
		e("ecr", "DescribeImages", "ecr/DescribeImages.json", map[string]string{"repositoryName": "example-repository"}),
		e("redshift", "DescribeClusters", "redshift/DescribeClusters.xml", nil),
		e("iam", "GetAccountAuthorizationDetails", "iam/GetAccountAuthorizationDetails.xml", nil),
		e("s3", "ListBuckets", "s3/ListBuckets.xml", nil),
		e("s3", "GetPublicAccessBlock", "s3/GetPublicAccessBlock.xml", map[string]string{"Bucket": "bucket-1"}),
		{Svc: "s3", Op: "GetPublicAccessBlock", Status: 404, File: "errors/s3-NoSuchPublicAccessBlockConfiguration.xml", Match: map[string]string{"Bucket": "bucket-2"}},
		{Svc: "s3", Op: "GetPublicAccessBlock", Status: 403, File: "errors/s3-AccessDenied.xml", Match: map[string]string{"Bucket": "bucket-3"}},
		{Svc: "s3", Op: "GetBucketPolicyStatus", Status: 404, File: "errors/s3-NoSuchBucketPolicy.xml", Match: map[string]string{"Bucket": "bucket-1"}},
		e("s3", "GetBucketPolicyStatus", "s3/GetBucketPolicyStatus.public.xml", map[string]string{"Bucket": "bucket-2"}),
		e("s3", "GetBucketPolicyStatus", "s3/GetBucketPolicyStatus.xml", nil),
		{Svc: "s3", Op: "GetBucketPolicy", Status: 404, File: "errors/s3-NoSuchBucketPolicy.xml", Match: map[string]string{"Bucket": "bucket-1"}},
		e("s3", "GetBucketPolicy", "s3/GetBucketPolicy.json", map[string]string{"Bucket": "bucket-2"}),
		{Svc: "s3", Op: "GetBucketPolicy", Status: 403, File: "errors/s3-AccessDenied.xml", Match: map[string]string{"Bucket": "bucket-3"}},
		// Managed data services, in the estate's VPC (see gen/sources.py).
		e("eks", "DescribeCluster", "eks/DescribeCluster.json", map[string]string{"name": "example"}),
		e("rds", "DescribeDBClusters", "rds/DescribeDBClusters.xml", nil),
		e("rds", "DescribeDBSubnetGroups", "rds/DescribeDBSubnetGroups.xml", nil),
		e("redshift", "DescribeClusterSubnetGroups", "redshift/DescribeClusterSubnetGroups.xml", nil),
		e("dynamodb", "ListTables", "dynamodb/ListTables.json", nil),
		e("dynamodb", "DescribeTable", "dynamodb/DescribeTable.json", map[string]string{"TableName": "example-table"}),
		e("elasticache", "DescribeCacheClusters", "elasticache/DescribeCacheClusters.xml", map[string]string{"ShowCacheNodeInfo": "true"}),
		e("elasticache", "DescribeReplicationGroups", "elasticache/DescribeReplicationGroups.xml", nil),
		e("elasticache", "DescribeCacheSubnetGroups", "elasticache/DescribeCacheSubnetGroups.xml", nil),
		e("es", "ListDomainNames", "opensearch/ListDomainNames.json", nil),
		e("es", "DescribeDomain", "opensearch/DescribeDomain.json", map[string]string{"DomainName": "test-es-domain-1"}),
		e("secretsmanager", "ListSecrets", "secretsmanager/ListSecrets.json", nil),
		e("secretsmanager", "GetResourcePolicy", "secretsmanager/GetResourcePolicy.json", map[string]string{"SecretId": "arn:aws:secretsmanager:us-east-1:644160558196:secret:test-secret-1-000000"}),
		e("secretsmanager", "GetResourcePolicy", "secretsmanager/GetResourcePolicy.none.json", map[string]string{"SecretId": "arn:aws:secretsmanager:us-east-1:644160558196:secret:test-secret-2-000000"}),
	}
}
