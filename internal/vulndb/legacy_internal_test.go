package vulndb

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// TestEcosystemsOfLegacyDatabase: a database written before per-ecosystem
// counts existed (sources without "ecosystems") still says which
// ecosystems it holds, from its package index, and status lists them with
// unknown (0) counts.
func TestEcosystemsOfLegacyDatabase(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "legacy.db")
	bt, err := ReadOSV(ctx, vulndbtest.Testdata("vulndb/osv"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(ctx, p, bt); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	want := db.Ecosystems()
	db.Close()

	// Strip the counts, as an older sightline wrote the metadata.
	b, err := bolt.Open(p, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		var srcs []SourceMeta
		if err := json.Unmarshal(m.Get(keySources), &srcs); err != nil {
			return err
		}
		for i := range srcs {
			srcs[i].Ecosystems = nil
		}
		js, _ := json.Marshal(srcs)
		return m.Put(keySources, js)
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !db.legacyCounts() {
		t.Fatal("counts not stripped")
	}
	if got := db.Ecosystems(); !slices.Equal(got, want) || len(got) < 5 {
		t.Errorf("from the index: %v, want %v", got, want)
	}
	st := db.Status()
	if len(st.Ecosystems) != len(want) || st.Ecosystems[0].Records != 0 || len(st.Ecosystems[0].Sources) != 1 {
		t.Errorf("legacy status ecosystems %+v", st.Ecosystems)
	}
}
