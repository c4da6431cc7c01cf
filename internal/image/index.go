package image

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// pickFromIndex chooses the image for plat from an index. A descriptor
// without platform matches (single-image layouts rarely annotate it);
// nested indexes are searched depth-first. Attestation manifests
// (platform unknown/unknown) are skipped.
func pickFromIndex(idx v1.ImageIndex, plat *v1.Platform) (v1.Image, error) {
	return pickDepth(ggcrIndex{idx}, plat, 0)
}

// index is the part of an image index that platform selection needs; both
// go-containerregistry indexes and OCI archives provide it.
type index interface {
	IndexManifest() (*v1.IndexManifest, error)
	Image(v1.Hash) (v1.Image, error)
	child(v1.Hash) (index, error)
}

type ggcrIndex struct{ v1.ImageIndex }

func (g ggcrIndex) child(h v1.Hash) (index, error) {
	c, err := g.ImageIndex.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	return ggcrIndex{c}, nil
}

func pickDepth(idx index, plat *v1.Platform, depth int) (v1.Image, error) {
	if depth > 4 {
		return nil, fmt.Errorf("image indexes nested too deep")
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var seen []string
	var fallback *v1.Descriptor
	var childErr error
	for i := range im.Manifests {
		d := im.Manifests[i]
		if d.MediaType.IsIndex() {
			child, err := idx.child(d.Digest)
			if err != nil {
				return nil, err
			}
			img, err := pickDepth(child, plat, depth+1)
			if err == nil {
				return img, nil
			}
			childErr = err
			continue
		}
		if !d.MediaType.IsImage() {
			continue
		}
		if d.Platform == nil {
			if fallback == nil {
				fallback = &im.Manifests[i]
			}
			continue
		}
		if d.Platform.OS == "unknown" {
			continue
		}
		seen = append(seen, d.Platform.String())
		if d.Platform.Satisfies(*plat) {
			return idx.Image(d.Digest)
		}
	}
	if fallback != nil && len(seen) == 0 {
		return idx.Image(fallback.Digest)
	}
	if len(seen) == 0 && childErr != nil {
		return nil, childErr
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("index holds no image manifest")
	}
	return nil, fmt.Errorf("no image for platform %s (available: %s); choose one with --platform",
		plat, strings.Join(seen, ", "))
}

// describe fills Digest and Platform from the chosen image.
func (im *Image) describe() error {
	// Docker archives and the engine hold uncompressed layers: their
	// manifest digest would mean compressing every layer, so they are
	// named by image ID (the config digest), as Docker does.
	digest := im.Image.Digest
	if im.Transport == DockerArchive || im.Transport == Daemon {
		digest = im.Image.ConfigName
	}
	if d, err := digest(); err == nil {
		im.Digest = d.String()
	}
	cf, err := im.Image.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading image config: %w", err)
	}
	if cf == nil {
		return fmt.Errorf("image has no config")
	}
	if p := cf.Platform(); p != nil && p.OS != "" {
		im.Platform = p.String()
	}
	return nil
}
