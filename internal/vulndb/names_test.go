package vulndb

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

func namesBatch(t *testing.T) *Batch {
	t.Helper()
	bt, err := ReadOSV(context.Background(), vulndbtest.Testdata("vulndb/names"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return bt
}

// TestCaseVariants: the fold index lists the stored names of Go and npm
// that differ from a lower-case query only in case (real records:
// GO-2023-2006, the Nginx-UI / nginx-ui pair, npm Haraka).
func TestCaseVariants(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "n.db")
	if _, err := Write(ctx, p, namesBatch(t)); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		eco, name string
		want      []string
	}{
		{"Go", "github.com/1panel-dev/1panel", []string{"github.com/1Panel-dev/1Panel"}},
		{"Go", "github.com/1Panel-dev/1Panel", []string{"github.com/1Panel-dev/1Panel"}},
		{"Go", "github.com/0xjacky/nginx-ui", []string{"github.com/0xJacky/Nginx-UI", "github.com/0xJacky/nginx-ui"}},
		{"Go", "github.com/0xJacky/nginx-ui", []string{"github.com/0xJacky/Nginx-UI", "github.com/0xJacky/nginx-ui"}},
		{"Go", "github.com/pubnub/go/v7", []string{"github.com/pubnub/go/v7"}},
		{"Go", "example.com/none", nil},
		{"npm", "haraka", []string{"Haraka"}},
		{"NuGet", "JQUERY", []string{"jquery"}}, // NuGet keys are folded already: one package
		{"Maven", "org.apache.jmeter:apachejmeter", nil},
	} {
		got, err := db.CaseVariants(c.eco, c.name)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("CaseVariants(%s, %s) = %q, %v; want %q", c.eco, c.name, got, err, c.want)
		}
	}
}

// TestSchema1 builds a database the way schema 1 keyed it (exact OSV
// names; PEP 503 for PyPI), then checks that Open refuses it saying how to
// rebuild, that the next Write starts from its own batches and says the
// old file's sources were dropped (their encoded entries cannot be copied
// into schema 3), and that re-importing gives the schema-3 answers.
func TestSchema1(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "v1.db")
	bt := namesBatch(t)
	if _, err := Write(ctx, p, bt); err != nil {
		t.Fatal(err)
	}
	downgrade(t, p, bt)

	_, err := Open(ctx, p)
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "schema 1") || !strings.Contains(err.Error(), "sightline db update") {
		t.Fatalf("Open(schema 1) = %v; want ErrSchema saying how to rebuild", err)
	}

	kev, err := ReadKEV(filepath.Join(vulndbtest.Testdata("vulndb"), "kev", "known_exploited_vulnerabilities-subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Write(ctx, p, kev)
	if err != nil {
		t.Fatal(err)
	}
	if st.SchemaVersion != SchemaVersion || len(st.Sources) != 1 || st.Sources[0].Kind != KindKEV ||
		!strings.Contains(st.Dropped, "schema 1") {
		t.Fatalf("after writing over schema 1: schema %d, sources %+v, dropped %q", st.SchemaVersion, st.Sources, st.Dropped)
	}
	if _, err := Write(ctx, p, namesBatch(t)); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Schema 1 held NuGet "jQuery" and "jquery" apart; now they are one.
	es, err := db.Affected("NuGet", "JQuery")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.RecordID)
	}
	slices.Sort(got)
	if want := []string{"GHSA-6c3j-c64m-qhgq", "GHSA-gxr4-xjj5-5px2"}; !slices.Equal(got, want) {
		t.Errorf("NuGet jQuery entries %v, want %v", got, want)
	}
	if vs, _ := db.CaseVariants("Go", "github.com/1panel-dev/1panel"); !slices.Equal(vs, []string{"github.com/1Panel-dev/1Panel"}) {
		t.Errorf("fold index: %q", vs)
	}
	if len(db.Status().Sources) != 2 {
		t.Errorf("sources %+v, want kev and the names batch", db.Status().Sources)
	}
}

// downgrade rewrites a database into schema 1's layout: keys with the
// names exactly as the records spell them (PyPI: PEP 503), no fold bucket.
func downgrade(t *testing.T, path string, bt *Batch) {
	t.Helper()
	b, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		src := binary.BigEndian.Uint16(firstKey(tx.Bucket(bucketRecs)))
		pkgs := map[string][]byte{}
		for _, r := range bt.Records {
			for _, e := range r.Packages {
				name := e.Name
				if e.Ecosystem == "PyPI" {
					name = strings.ToLower(name) // the records' PyPI names are already PEP 503 but for case
				}
				k := e.Ecosystem + "\x00" + name
				e.Affected.Source = src
				pkgs[k] = encodeAffected(pkgs[k], e.Affected)
			}
		}
		if err := tx.DeleteBucket(bucketPkgs); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketFold); err != nil {
			return err
		}
		var pairs []kvPair
		for k, v := range pkgs {
			pairs = append(pairs, kvPair{[]byte(k), v})
		}
		if err := putSorted(tx, bucketPkgs, pairs); err != nil {
			return err
		}
		if err := writeHashes(tx, pairs); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(1)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func firstKey(b *bolt.Bucket) []byte {
	k, _ := b.Cursor().First()
	return k
}
