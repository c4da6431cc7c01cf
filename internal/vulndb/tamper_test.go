package vulndb_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"testing"
)

// tamper flips one byte inside the database entry of a bundle and
// re-packs it, keeping the manifest: what a corrupted transfer or an
// edited file looks like.
func tamper(t *testing.T, bundle []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if h.Name == "sightline.db" {
			data[len(data)/3] ^= 0xff
		}
		tw.WriteHeader(h)
		tw.Write(data)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

// swapDB replaces the database inside a bundle with db and recomputes the
// manifest's size and SHA-256: what someone who can edit the bundle does.
// A checksum cannot tell; only a signature can.
func swapDB(t *testing.T, bundle, db []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		switch h.Name {
		case "manifest.json":
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(db)
			m["size"], m["sha256"] = len(db), hex.EncodeToString(sum[:])
			data, _ = json.Marshal(m)
		case "sightline.db":
			data = db
		}
		h.Size = int64(len(data))
		tw.WriteHeader(h)
		tw.Write(data)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}
