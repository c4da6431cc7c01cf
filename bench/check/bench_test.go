package main

import (
	"context"
	"os"
	"testing"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/rules"
)

// BenchmarkEvaluate5kKubernetes: the benchmark rules on 5k generated
// Deployments (go test -bench . ./bench/check).
func BenchmarkEvaluate5kKubernetes(b *testing.B) {
	rs, err := rules.Load(context.Background(), rules.Options{Paths: []string{benchRules()}, NoBuiltin: true})
	if err != nil {
		b.Fatal(err)
	}
	set := check.Set{Objects: Generate(5000)}
	b.ResetTimer()
	for b.Loop() {
		res := rs.Evaluate(context.Background(), set)
		if len(res.Gaps) > 0 || len(res.Findings) == 0 {
			b.Fatalf("gaps %v findings %d", res.Gaps, len(res.Findings))
		}
	}
}

// benchRules is $BENCH_RULES (a directory of packs) or rules.yaml.
func benchRules() string {
	if p := os.Getenv("BENCH_RULES"); p != "" {
		return p
	}
	return "rules.yaml"
}
