package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sightline-sec/sightline/internal/atomicfile"
	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/report"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// buildDB builds the advisory database at dbPath from the estate's real
// records, as `sightline db import advisories/osv advisories/kev/… advisories/epss/…`
// would (an existing database there is replaced).
func buildDB(ctx context.Context, advisories, dbPath string) error {
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		return fmt.Errorf("demo database: %w", err)
	}
	if err := os.Remove(dbPath); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("demo database: %w", err)
	}
	osv, err := vulndb.ReadOSV(ctx, filepath.Join(advisories, "osv"), vulndb.ReadOptions{})
	if err != nil {
		return fmt.Errorf("demo database: %w", err)
	}
	kev, err := vulndb.ReadKEV(filepath.Join(advisories, "kev", "known_exploited_vulnerabilities-subset.json"))
	if err != nil {
		return fmt.Errorf("demo database: %w", err)
	}
	epss, err := vulndb.ReadEPSS(filepath.Join(advisories, "epss", "epss-2021-08-31-subset.vuls-data-raw.json"))
	if err != nil {
		return fmt.Errorf("demo database: %w", err)
	}
	// Name the sources by their place in the estate rather than by the
	// absolute path of wherever it was written (the name shows in the
	// scan reports' staleness warning).
	for _, bt := range []*vulndb.Batch{osv, kev, epss} {
		bt.Meta.Location = estateRel(advisories, bt.Meta.Location)
	}
	osv.Meta.Name = "osv:" + osv.Meta.Location
	if _, err := vulndb.Write(ctx, dbPath, osv, kev, epss); err != nil {
		return fmt.Errorf("demo database: %w", err)
	}
	return nil
}

// scanImages scans each image's archive with the scanner `sightline scan
// image` uses and writes each result as its JSON report into dir.
func scanImages(ctx context.Context, dbPath string, images []Image, dir string) ([]string, error) {
	db, err := vulndb.Open(ctx, dbPath)
	if err != nil {
		return nil, fmt.Errorf("demo scan: %w", err)
	}
	defer db.Close()
	x, err := inventory.NewExtractor()
	if err != nil {
		return nil, err
	}
	st := db.Status()
	info := &scan.DBInfo{Path: estateRel(filepath.Dir(dbPath), dbPath), Stale: st.Stale, StaleDetail: st.StaleSummary(), Sources: len(st.Sources)}
	if !st.BuiltAt.IsZero() {
		info.Built = st.BuiltAt.UTC().Format(time.RFC3339)
	}
	s := &scan.Scanner{Extractor: x, Matcher: scan.DBMatcher{M: match.New(db)}, DB: info, TempDir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo scan: %w", err)
	}
	var out []string
	for _, im := range images {
		p, err := scanOne(ctx, s, im, dir)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func scanOne(ctx context.Context, s *scan.Scanner, im Image, dir string) (string, error) {
	src, err := image.Open(ctx, image.OCIArchive+":"+im.Archive, image.Options{Platform: "linux/amd64", Offline: true})
	if err != nil {
		return "", fmt.Errorf("demo scan %s: %w", im.Name, err)
	}
	defer src.Close()
	res, err := s.ScanImage(ctx, src)
	if err != nil {
		return "", fmt.Errorf("demo scan %s: %w", im.Name, err)
	}
	// The report names the image by the reference the workloads use (as
	// a scan of the registry would), not by the temporary archive path;
	// Transport still says it was read from an OCI archive.
	res.Target.Name = im.Name
	var buf bytes.Buffer
	if err := report.Render(&buf, res, report.Options{Format: "json"}); err != nil {
		return "", fmt.Errorf("demo scan %s: %w", im.Name, err)
	}
	p := filepath.Join(dir, strings.TrimSuffix(filepath.Base(im.Archive), ".tar")+".json")
	if err := atomicfile.Write(p, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("demo scan %s: %w", im.Name, err)
	}
	return p, nil
}

// estateRel is p relative to the estate directory, the parent of base
// (base is estate/advisories or estate/db), as a slash path
// ("advisories/osv", "db/sightline.db"); p itself when it is not below it.
func estateRel(base, p string) string {
	root, err := filepath.Abs(filepath.Dir(base))
	if err != nil {
		return p
	}
	ap, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	r, err := filepath.Rel(root, ap)
	if err != nil || strings.HasPrefix(r, "..") {
		return p
	}
	return filepath.ToSlash(r)
}
