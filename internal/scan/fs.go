package scan

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/inventory"
)

// skipDirs are pseudo filesystems skipped when the scanned root is "/".
var skipDirs = []string{"proc", "sys", "dev", "run"}

// ScanFS inventories a plain root filesystem (an unpacked image, a VM
// disk mounted read-only, a build output) and matches the packages. It
// never follows symlinks while walking; os-release links are resolved
// within root. Packages carry no layer.
func (s *Scanner) ScanFS(ctx context.Context, root string) (*Result, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, &InputError{err}
	}
	if !st.IsDir() {
		return nil, &InputError{fmt.Errorf("%s is not a directory (scan an image file with `sightline scan image`)", root)}
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	lr := &LayerResult{Files: map[string][]inventory.Record{}, Links: map[string]string{}}
	fb := s.spool().buffer()
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			lr.warn(fmt.Sprintf("skipped %s: %v", p, err))
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(abs, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if abs == "/" && slices.Contains(skipDirs, rel) {
				return filepath.SkipDir
			}
			return nil
		}
		return s.fsEntry(ctx, lr, p, rel, d, fb)
	})
	if err != nil {
		return nil, err
	}
	v := compose([]*LayerResult{lr})
	osRel := v.osRelease()
	res := &Result{Schema: Schema, Target: Target{Kind: "fs", Name: root},
		OS: inventory.OSFromRelease(osRel), Warnings: lr.Warnings}
	recs := v.records()
	for i := range recs {
		recs[i].layer = -1
	}
	res.Packages = packages(recs, osRel, nil)
	return res, s.match(ctx, res)
}

func (s *Scanner) fsEntry(ctx context.Context, lr *LayerResult, p, rel string, d fs.DirEntry, fb *fileBuffer) error {
	info, err := d.Info()
	if err != nil {
		return nil
	}
	mode := info.Mode()
	if mode&fs.ModeSymlink != 0 {
		if slices.Contains(inventory.OSReleasePaths, rel) {
			if t, err := os.Readlink(p); err == nil {
				lr.Links[rel] = t
			}
		}
		return nil
	}
	if !mode.IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		lr.warn(fmt.Sprintf("skipped %s: %v", p, err))
		return nil
	}
	defer f.Close()
	// Body is the *os.File itself: the spool reads it in place.
	e := &image.Entry{Path: rel, Kind: image.File, Mode: mode, Size: info.Size(), Body: f}
	if err := lr.file(ctx, e, s.Extractor, fb); err != nil {
		lr.warn(fmt.Sprintf("skipped %s: %v", p, err))
	}
	return nil
}
