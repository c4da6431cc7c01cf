package image

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// An OCI archive is an OCI image layout packed into a tar. go-containerregistry
// reads layouts only from directories, so we index the tar once (name →
// byte range; contents are seeked over, not read) and serve blobs as
// section readers of the archive: nothing is unpacked to disk.

type tarSection struct{ off, size int64 }

type ociArchive struct {
	f     *os.File
	files map[string]tarSection
}

func openOCIArchive(p string, plat *v1.Platform) (*Image, error) {
	a, err := indexTar(p)
	if err != nil {
		return nil, err
	}
	raw, err := a.read("index.json", 4<<20)
	if err != nil {
		a.f.Close()
		return nil, err
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(raw, &im); err != nil {
		a.f.Close()
		return nil, fmt.Errorf("index.json: %w", err)
	}
	img, err := pickDepth(&archiveIndex{a: a, m: &im}, plat, 0)
	if err != nil {
		a.f.Close()
		return nil, err
	}
	return &Image{Image: img, closers: []func() error{a.f.Close}}, nil
}

// countingReader tracks the offset tar.Reader has consumed so each entry's
// data offset is known; Seek lets tar skip contents instead of reading them.
type countingReader struct {
	f   *os.File
	pos int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	c.pos += int64(n)
	return n, err
}

func (c *countingReader) Seek(off int64, whence int) (int64, error) {
	n, err := c.f.Seek(off, whence)
	if err == nil {
		c.pos = n
	}
	return n, err
}

func indexTar(p string) (*ociArchive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	cr := &countingReader{f: f}
	tr := tar.NewReader(cr)
	files := map[string]tarSection{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if len(files) > 1_000_000 {
			f.Close()
			return nil, fmt.Errorf("archive has more than a million files")
		}
		files[path.Clean(strings.TrimPrefix(h.Name, "/"))] = tarSection{off: cr.pos, size: h.Size}
	}
	return &ociArchive{f: f, files: files}, nil
}

func (a *ociArchive) section(name string) (*io.SectionReader, error) {
	s, ok := a.files[name]
	if !ok {
		return nil, fmt.Errorf("archive has no %s", name)
	}
	return io.NewSectionReader(a.f, s.off, s.size), nil
}

func (a *ociArchive) read(name string, max int64) ([]byte, error) {
	sr, err := a.section(name)
	if err != nil {
		return nil, err
	}
	if sr.Size() > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, max)
	}
	return io.ReadAll(sr)
}

func blobName(h v1.Hash) string { return path.Join("blobs", h.Algorithm, h.Hex) }

// archiveIndex is an index (index.json or a nested index blob) in the archive.
type archiveIndex struct {
	a *ociArchive
	m *v1.IndexManifest
}

func (x *archiveIndex) IndexManifest() (*v1.IndexManifest, error) { return x.m, nil }

func (x *archiveIndex) child(h v1.Hash) (index, error) {
	raw, err := x.a.read(blobName(h), 4<<20)
	if err != nil {
		return nil, err
	}
	var m v1.IndexManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("index %s: %w", h, err)
	}
	return &archiveIndex{a: x.a, m: &m}, nil
}

func (x *archiveIndex) Image(h v1.Hash) (v1.Image, error) {
	raw, err := x.a.read(blobName(h), 4<<20)
	if err != nil {
		return nil, err
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", h, err)
	}
	return partial.CompressedToImage(&archiveImage{a: x.a, raw: raw, m: &m})
}

// archiveImage implements partial.CompressedImageCore.
type archiveImage struct {
	a   *ociArchive
	raw []byte
	m   *v1.Manifest
}

func (i *archiveImage) RawConfigFile() ([]byte, error) {
	return i.a.read(blobName(i.m.Config.Digest), 16<<20)
}

func (i *archiveImage) MediaType() (types.MediaType, error) {
	if i.m.MediaType != "" {
		return i.m.MediaType, nil
	}
	return types.OCIManifestSchema1, nil
}

func (i *archiveImage) RawManifest() ([]byte, error) { return i.raw, nil }

func (i *archiveImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, d := range append([]v1.Descriptor{i.m.Config}, i.m.Layers...) {
		if d.Digest == h {
			return &archiveBlob{a: i.a, d: d}, nil
		}
	}
	return nil, fmt.Errorf("manifest has no blob %s", h)
}

type archiveBlob struct {
	a *ociArchive
	d v1.Descriptor
}

func (b *archiveBlob) Digest() (v1.Hash, error)            { return b.d.Digest, nil }
func (b *archiveBlob) Size() (int64, error)                { return b.d.Size, nil }
func (b *archiveBlob) MediaType() (types.MediaType, error) { return b.d.MediaType, nil }
func (b *archiveBlob) Compressed() (io.ReadCloser, error) {
	sr, err := b.a.section(blobName(b.d.Digest))
	if err != nil {
		return nil, err
	}
	return io.NopCloser(sr), nil
}
