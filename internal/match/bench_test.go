package match

// Benchmarks for the speed targets, on the real data in
// /work/shared/data (skipped when it is absent; benchmarks are not run in
// CI). Reproduce with bench/db.sh or:
//
//	go test ./internal/match -run XXX -bench . -benchtime 3x -cpu 2   (import)
//	go test ./internal/match -run XXX -bench 'Open|Lookup|Verify' -cpu 1

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

const shared = "/work/shared/data"

func benchSources(b *testing.B) []string {
	b.Helper()
	deb := filepath.Join(shared, "debian/osv-debian-2025-02-12")
	npm := filepath.Join(shared, "advisories/ghsa-osv-vulsio-2025-02/npm")
	for _, p := range []string{deb, npm} {
		if _, err := os.Stat(p); err != nil {
			b.Skipf("shared data absent: %v", err)
		}
	}
	return []string{vulndbtest.GoVulnDB(b), deb, npm}
}

func importAll(b *testing.B, path string, srcs []string) int {
	b.Helper()
	ctx := context.Background()
	var bts []*vulndb.Batch
	n := 0
	for _, s := range srcs {
		bt, err := vulndb.ReadOSV(ctx, s, vulndb.ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n += len(bt.Records)
		bts = append(bts, bt)
	}
	if _, err := vulndb.Write(ctx, path, bts...); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkImportBaselineRead only reads the same files: the I/O floor the
// import is compared with.
func BenchmarkImportBaselineRead(b *testing.B) {
	srcs := benchSources(b)
	for b.Loop() {
		for _, s := range srcs {
			filepath.WalkDir(s, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					os.ReadFile(p)
				}
				return nil
			})
		}
	}
}

// BenchmarkImport: Go vulndb + Debian + npm OSV (~21k records) into a new DB.
func BenchmarkImport(b *testing.B) {
	srcs := benchSources(b)
	dir := b.TempDir()
	n := 0
	i := 0
	for b.Loop() {
		i++
		n = importAll(b, filepath.Join(dir, "db"+string(rune('a'+i%20))+".db"), srcs)
	}
	b.ReportMetric(float64(n), "records")
}

var benchDB string

func benchDBPath(b *testing.B) string {
	b.Helper()
	srcs := benchSources(b)
	if benchDB == "" {
		dir, err := os.MkdirTemp("", "sightline-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDB = filepath.Join(dir, "sightline.db")
		importAll(b, benchDB, srcs)
	}
	return benchDB
}

func BenchmarkOpen(b *testing.B) {
	p := benchDBPath(b)
	for b.Loop() {
		db, err := vulndb.Open(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkOpenFullCheck opens a copy of the database that has no check
// stamp, so Open runs the full page-tree check (vulndb stamp.go): the cost
// a file changed in place, or named with --db, pays once.
func BenchmarkOpenFullCheck(b *testing.B) {
	data, err := os.ReadFile(benchDBPath(b))
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), "unstamped.db")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		db, err := vulndb.Open(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkOpenWithEcosystems: Open plus the first ecosystem question a
// scan asks; compare with BenchmarkOpen.
func BenchmarkOpenWithEcosystems(b *testing.B) {
	p := benchDBPath(b)
	for b.Loop() {
		db, err := vulndb.Open(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		if !db.HasEcosystem("Debian:12") {
			b.Fatal("no Debian:12 in the bench DB")
		}
		db.Close()
	}
}

// BenchmarkVerify is the full check db update, import, export and
// update --from run before installing or shipping a database.
func BenchmarkVerify(b *testing.B) {
	p := benchDBPath(b)
	for b.Loop() {
		if err := vulndb.Verify(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
}

// dpkgQueries reads the real Debian 12 dpkg status (708 packages) into
// queries keyed by source package, the inventory an image scan produces.
func dpkgQueries(b *testing.B) []Query {
	f, err := os.Open(filepath.Join(shared, "debian/bookworm-system-snapshot/var_lib_dpkg_status"))
	if err != nil {
		b.Skip(err)
	}
	defer f.Close()
	var qs []Query
	var q Query
	flush := func() {
		if q.Name != "" && q.Version != "" { // stanzas without a version are not installed
			q.Ecosystem = "Debian:12"
			if q.SourceName == "" {
				q.SourceName = q.Name
			}
			qs = append(qs, q)
		}
		q = Query{}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		switch k {
		case "":
			flush()
		case "Package":
			q.Name = v
		case "Version":
			q.Version = v
		case "Source":
			src, ver, ok := strings.Cut(v, " (")
			q.SourceName = src
			if ok {
				q.SourceVersion = strings.TrimSuffix(ver, ")")
			}
		}
	}
	flush()
	return qs
}

func lookupBench(b *testing.B, qs []Query) {
	db, err := vulndb.Open(context.Background(), benchDBPath(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var m *Matcher
	ctx := context.Background()
	hits := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(qs) == 0 {
			// A fresh Matcher per pass over the inventory: what one scan
			// pays, memoisation within the inventory included.
			m = New(db)
		}
		v, err := m.Match(ctx, qs[i%len(qs)])
		if err != nil {
			b.Fatal(err)
		}
		hits += len(v)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkLookupMiss: packages without advisories (Go module names that
// are not in the Go vulndb: the dpkg names under the Go ecosystem).
func BenchmarkLookupMiss(b *testing.B) {
	qs := dpkgQueries(b)
	for i := range qs {
		qs[i] = Query{Ecosystem: "Go", Name: "example.com/" + qs[i].Name, Version: "v1.0.0"}
	}
	lookupBench(b, qs)
}

// BenchmarkLookupMissCaseUnknown: the miss path for names whose case was
// lost (lower-cased golang/npm purls from an SBOM): one more probe, of the
// fold index.
func BenchmarkLookupMissCaseUnknown(b *testing.B) {
	qs := dpkgQueries(b)
	for i := range qs {
		qs[i] = Query{Ecosystem: "Go", Name: "example.com/" + qs[i].Name, Version: "v1.0.0", NameCaseUnknown: true}
	}
	lookupBench(b, qs)
}

// BenchmarkLookupDpkg: the real Debian 12 inventory; most packages have
// no advisory at their version, many source packages have some.
func BenchmarkLookupDpkg(b *testing.B) { lookupBench(b, dpkgQueries(b)) }

// BenchmarkLookupBaselineBolt: a bare bbolt Get per key in one read
// transaction: the floor Match's miss path is compared with.
func BenchmarkLookupBaselineBolt(b *testing.B) {
	qs := dpkgQueries(b)
	bdb, err := bolt.Open(benchDBPath(b), 0o444, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	tx, _ := bdb.Begin(false)
	defer tx.Rollback()
	bk := tx.Bucket([]byte("pkgs"))
	keys := make([][]byte, len(qs))
	for i, q := range qs {
		keys[i] = []byte("Go\x00example.com/" + q.Name)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = bk.Get(keys[i%len(keys)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}
