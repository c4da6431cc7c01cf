package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// synthEstate generates a synthetic authorization-details document (not
// real data): roles roles, 5 customer-managed policies attached to each
// (so 5*roles policies), users users; a tenth of the roles can pass roles to
// EC2/Lambda, a tenth may assume roles, one in fifty holds iam:*.
func synthEstate(roles, users int) []byte {
	const acct = "210987654321"
	doc := func(st ...map[string]any) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": st}
	}
	allow := func(act any, res any) map[string]any {
		return map[string]any{"Effect": "Allow", "Action": act, "Resource": res}
	}
	services := []string{"ecs-tasks.amazonaws.com", "ec2.amazonaws.com", "lambda.amazonaws.com"}
	var pols, rl, ul []map[string]any
	for i := range roles {
		name := fmt.Sprintf("role-%05d", i)
		var attached []map[string]any
		for j := range 5 {
			pn := fmt.Sprintf("pol-%05d-%d", i, j)
			st := []map[string]any{
				allow([]string{"s3:GetObject", "s3:PutObject"}, fmt.Sprintf("arn:aws:s3:::bucket-%d/*", (i+j)%500)),
				allow("dynamodb:*", fmt.Sprintf("arn:aws:dynamodb:eu-west-1:%s:table/t-%d", acct, i%300)),
				{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
			}
			switch {
			case j == 0 && i%10 == 0:
				st = append(st, allow([]string{"iam:PassRole", "ec2:RunInstances", "lambda:CreateFunction", "lambda:InvokeFunction"}, "*"))
			case j == 1 && i%10 == 5:
				st = append(st, allow("sts:AssumeRole", "*"))
			case j == 2 && i%50 == 7:
				st = append(st, allow("iam:*", "*"))
			}
			arn := fmt.Sprintf("arn:aws:iam::%s:policy/%s", acct, pn)
			pols = append(pols, map[string]any{"PolicyName": pn, "Arn": arn, "DefaultVersionId": "v1",
				"PolicyVersionList": []map[string]any{{"VersionId": "v1", "IsDefaultVersion": true, "Document": doc(st...)}}})
			attached = append(attached, map[string]any{"PolicyName": pn, "PolicyArn": arn})
		}
		trust := doc(map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"Service": services[i%3]}})
		if i%7 == 0 {
			trust = doc(map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}})
		}
		rl = append(rl, map[string]any{"RoleName": name, "Arn": "arn:aws:iam::" + acct + ":role/" + name,
			"AssumeRolePolicyDocument": trust, "AttachedManagedPolicies": attached,
			"RolePolicyList":      []map[string]any{{"PolicyName": "inline", "PolicyDocument": doc(allow("secretsmanager:GetSecretValue", fmt.Sprintf("arn:aws:secretsmanager:eu-west-1:%s:secret:s-%d-*", acct, i)))}},
			"InstanceProfileList": []map[string]any{{"InstanceProfileName": name, "Arn": "arn:aws:iam::" + acct + ":instance-profile/" + name}}})
	}
	for i := range users {
		name := fmt.Sprintf("user-%04d", i)
		ul = append(ul, map[string]any{"UserName": name, "Arn": "arn:aws:iam::" + acct + ":user/" + name,
			"AttachedManagedPolicies": []map[string]any{{"PolicyName": "p", "PolicyArn": fmt.Sprintf("arn:aws:iam::%s:policy/pol-%05d-0", acct, i%roles)}}})
	}
	b, err := json.Marshal(map[string]any{"UserDetailList": ul, "GroupDetailList": []any{}, "RoleDetailList": rl, "Policies": pols})
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkIdentityPaths loads a 10k-role / 50k-policy estate and computes
// Capabilities (data access, escalation, admin) for every principal: the
// identity part of issue 11's target (≤ 15 s, ≤ 3 GiB). Run with
// -benchtime=1x; peak heap is reported as peak-heap-MiB.
func BenchmarkIdentityPaths(b *testing.B) {
	data := synthEstate(10000, 1000)
	path := filepath.Join(b.TempDir(), FileName)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var peak uint64
		stop := sampleHeap(&peak)
		t0 := time.Now()
		e := NewEstate()
		if err := e.LoadFile(context.Background(), path, "210987654321"); err != nil {
			b.Fatal(err)
		}
		load := time.Since(t0)
		esc := 0
		for _, a := range e.SortedPrincipals() {
			esc += len(e.Capabilities(a).Escalations)
		}
		stop()
		b.ReportMetric(float64(len(data))/(1<<20), "file-MiB")
		b.ReportMetric(load.Seconds(), "load-s")
		b.ReportMetric(time.Since(t0).Seconds(), "total-s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(esc), "escalations")
	}
}

// sampleHeap records the peak HeapAlloc every 50 ms until stopped.
func sampleHeap(peak *uint64) func() {
	done := make(chan struct{})
	fin := make(chan struct{})
	go func() {
		defer close(fin)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapAlloc)
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-fin }
}
