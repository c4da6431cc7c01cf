package vulndb_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
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
