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
	lr, err := s.walkFS(ctx, abs)
	if err != nil {
		return nil, err
	}
	v := compose([]*LayerResult{lr})
	osRel := v.osRelease()
	res := &Result{Schema: Schema, Target: Target{Kind: "fs", Name: root},
		OS: inventory.OSFromRelease(osRel), Warnings: lr.Warnings, Coverage: &Coverage{SkippedFiles: lr.Skipped}}
	recs := v.records()
	for i := range recs {
		recs[i].layer = -1
	}
	res.Packages = packages(recs, osRel, nil)
	s.dropDev(res)
	return res, s.match(ctx, res)
}

// walkFS reads the wanted files under the absolute root abs into one
// LayerResult, recording files it could not read in Skipped.
func (s *Scanner) walkFS(ctx context.Context, abs string) (*LayerResult, error) {
	lr := &LayerResult{Files: map[string][]inventory.Record{}, Links: map[string]string{}}
	fb := s.spool().Buffer()
	defer fb.Release()
	err := filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(abs, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			// An unreadable directory may hold files the inventory needs.
			lr.unreadable(rel, err)
			return nil
		}
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
	return lr, nil
}

func (s *Scanner) fsEntry(ctx context.Context, lr *LayerResult, p, rel string, d fs.DirEntry, fb *inventory.Buffer) error {
	info, err := d.Info()
	if err != nil {
		if s.Extractor.Required(rel, d.Type(), 0) {
			lr.unreadable(rel, err)
		}
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
	if !slices.Contains(inventory.OSReleasePaths, rel) && !s.Extractor.Required(rel, mode, info.Size()) {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		lr.unreadable(rel, err)
		return nil
	}
	defer f.Close()
	// Body is the *os.File itself: whole-file parsers read it in place
	// (inventory.Buffer), never copied.
	e := &image.Entry{Path: rel, Kind: image.File, Mode: mode, Size: info.Size(), Body: f}
	if err := lr.file(ctx, e, s.Extractor, fb); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		lr.unreadable(rel, err)
	}
	return nil
}

// unreadable records a path the walk could not read (a file or a whole
// directory) as skipped.
func (lr *LayerResult) unreadable(rel string, err error) {
	lr.skipRead(rel, SkipUnreadable, err.Error())
}
