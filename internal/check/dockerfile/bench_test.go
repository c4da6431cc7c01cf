package dockerfile

import (
	"context"
	"os"
	"testing"

	"github.com/sightline-sec/sightline/internal/check"
)

// BenchmarkParseEvaluate200 parses 200 Dockerfiles (the real ones in
// testdata, cycled) and evaluates the built-in rules on them: the
// Dockerfile share of the issue-10 budget (check over 5k Kubernetes
// objects + 2k Terraform resources + 200 Dockerfiles ≤ 5 s on 2 cores).
// One op = 200 files.
func BenchmarkParseEvaluate200(b *testing.B) {
	srcs := benchSources(b)
	rs := loadRules(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var set check.Set
		for i := range 200 {
			s := srcs[i%len(srcs)]
			obj, gaps, err := Parse(s.name, s.src)
			if err != nil {
				b.Fatal(err)
			}
			set.Objects = append(set.Objects, obj)
			set.Gaps = append(set.Gaps, gaps...)
		}
		if res := rs.Evaluate(ctx, set); res.Stats.Objects[check.InputDockerfile] != 200 {
			b.Fatalf("stats %v", res.Stats)
		}
	}
}

// BenchmarkParse200 is the parse share alone.
func BenchmarkParse200(b *testing.B) {
	srcs := benchSources(b)
	b.ReportAllocs()
	for b.Loop() {
		for i := range 200 {
			s := srcs[i%len(srcs)]
			if _, _, err := Parse(s.name, s.src); err != nil {
				b.Fatal(err)
			}
		}
	}
}

type source struct {
	name string
	src  []byte
}

func benchSources(b *testing.B) []source {
	b.Helper()
	var out []source
	for _, p := range realFiles(b) {
		src, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, source{p, src})
	}
	return out
}
