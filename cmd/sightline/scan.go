package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

const scanLong = `Scan container images and root filesystems for vulnerable packages.

The inventory covers OS packages (dpkg incl. distroless, apk, rpm), Go and
Rust binaries, installed language packages (npm, Python, Java archives, Ruby
gems, .NET) and the lockfiles of source trees (go.mod, npm, yarn, pnpm, bun,
Python, Ruby, Maven, Gradle, NuGet, Composer, Cargo, Conan, Hex, Pub, Swift,
CocoaPods, conda; docs/scan.md lists them). Development/test-only
dependencies are kept and marked dev; --skip-dev leaves them out. Each
package is attributed to the image layer that introduced it. Matching uses
the local advisory database (sightline db).`

const scanImageLong = `Scan a container image without pulling it into Docker or unpacking it.

IMAGE may carry a prefix naming where it lives:
  registry:REF          a registry (Docker config credentials and helpers, else anonymous)
  docker:NAME           the running Docker engine, by name or ID (no registry involved)
  docker-archive:PATH   a 'docker save' archive (plain, .tar.gz or zstd)
  oci-layout:PATH       an OCI image layout directory
  oci-archive:PATH      a tar of an OCI image layout
Without a prefix an existing path is detected by content (x.tar, x.tar.gz,
x.tgz are paths, compressed archives are decompressed first); anything else
is an image reference, looked up in the local Docker engine, then Podman,
then the registry (docs/scan.md). References are checked against the
distribution grammar before any engine or registry is asked.

Layers are streamed and only the files extractors need are read. Results
per layer are cached by diffID under <cache-dir>/layers, so rescans and
images on the same base only read new layers.`

const scanImageExample = `  sightline scan image debian:12
  sightline scan image --platform linux/arm64 registry:ghcr.io/org/app:1.4
  sightline scan image --format json docker-archive:app.tar
  sightline scan image --insecure-registry localhost:5000/app:dev
  sightline scan image --offline docker:app:latest`

type scanFlags struct {
	platform string
	offline  bool
	insecure bool
	noCache  bool
	dbPath   string
	skipDev  bool
}

func newScanCmd(g *cliutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "scan",
		Short:   "Scan images and filesystems for vulnerable packages",
		Long:    scanLong,
		Example: "  sightline scan image nginx:1.25\n  sightline scan fs /srv/rootfs --format json\n  sightline scan sbom bom.cdx.json --fail-on high",
	}
	cmd.AddCommand(newScanImageCmd(g), newScanFSCmd(g), newScanSBOMCmd(g))
	return cmd
}

func (f *scanFlags) add(cmd *cobra.Command, image bool) {
	fl := cmd.Flags()
	if image {
		fl.StringVar(&f.platform, "platform", "", "platform to pick from a multi-arch image, e.g. linux/arm64 (default: this host's)")
		fl.BoolVar(&f.insecure, "insecure-registry", false, "allow plain-HTTP and unverified-TLS registries (local test registries)")
		fl.BoolVar(&f.noCache, "no-cache", false, "neither read nor write the per-layer cache")
	}
	fl.BoolVar(&f.offline, "offline", false, "never use the network: refuse registry references, fail when no advisory database exists")
	fl.StringVar(&f.dbPath, "db", "", "advisory database file (default: in the cache dir)")
}

// addInventory registers the flags of scans that build an inventory from
// files (image, fs; not sbom).
func (f *scanFlags) addInventory(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.skipDev, "skip-dev", false,
		"leave out development/test-only dependencies of lockfiles (npm dev, Pipfile develop, composer packages-dev, Maven test, …; kept and marked dev by default)")
}

func newScanImageCmd(g *cliutil.Globals) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:     "image IMAGE",
		Short:   "Scan a container image (registry, Docker engine, archive or OCI layout)",
		Long:    scanImageLong,
		Example: scanImageExample,
		Args:    cobra.ExactArgs(1),
	}
	f.add(cmd, true)
	f.addInventory(cmd)
	opts := addOutputFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return runScan(cmd.Context(), g, &f, opts, func(ctx context.Context, s *scan.Scanner) (*scan.Result, error) {
			return scanImage(ctx, g, &f, s, args[0])
		})
	}
	return cmd
}

func newScanFSCmd(g *cliutil.Globals) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "fs DIR",
		Short: "Scan a root filesystem directory",
		Long: `Scan a plain root filesystem (an unpacked image, a chroot, a mounted disk)
or a source tree: lockfiles (package-lock.json, go.mod, poetry.lock, pom.xml, …)
are read wherever they are. Development/test-only dependencies are listed and
marked dev; --skip-dev leaves them out (a warning counts them).
Symlinks are not followed; /proc, /sys, /dev and /run are skipped when DIR is /.`,
		Example: "  sightline scan fs /srv/rootfs\n  sightline scan fs --format json --offline ./out/rootfs\n  sightline scan fs --skip-dev --fail-on high ./my-repo",
		Args:    cobra.ExactArgs(1),
	}
	f.add(cmd, false)
	f.addInventory(cmd)
	opts := addOutputFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return runScan(cmd.Context(), g, &f, opts, func(ctx context.Context, s *scan.Scanner) (*scan.Result, error) {
			res, err := s.ScanFS(ctx, args[0])
			if err != nil {
				return nil, fmt.Errorf("scanning %s: %w", args[0], err)
			}
			return res, nil
		})
	}
	return cmd
}

func scanImage(ctx context.Context, g *cliutil.Globals, f *scanFlags, s *scan.Scanner, ref string) (*scan.Result, error) {
	im, err := image.Open(ctx, ref, image.Options{Platform: f.platform, Insecure: f.insecure,
		TempDir: filepath.Join(g.CacheDir, "tmp"), Offline: f.offline})
	if err != nil {
		return nil, cliutil.Usage(err)
	}
	defer im.Close()
	res, err := s.ScanImage(ctx, im)
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", ref, err)
	}
	return res, nil
}

// runScan is the body every scan subcommand shares: check the output flags
// before any work, open the scanner (advisory DB, cache, progress), run
// scanFn, clear the progress line (also before an error, which would
// otherwise follow the progress text), then render and apply the gates.
// Input-caused scan failures exit 2.
func runScan(ctx context.Context, g *cliutil.Globals, f *scanFlags, opts *outputOptions,
	scanFn func(context.Context, *scan.Scanner) (*scan.Result, error)) error {
	if err := opts.prepare(g); err != nil {
		return err
	}
	s, closeDB, err := newScanner(ctx, g, f)
	if err != nil {
		return err
	}
	defer closeDB()
	res, err := scanFn(ctx, s)
	endProgress(g)
	if err != nil {
		return classify(err)
	}
	return opts.finish(g, res)
}

// newScanner wires the extractors, the layer cache, the advisory database
// and the progress display.
func newScanner(ctx context.Context, g *cliutil.Globals, f *scanFlags) (*scan.Scanner, func(), error) {
	x, err := inventory.NewExtractor()
	if err != nil {
		return nil, nil, err
	}
	s := &scan.Scanner{Extractor: x, CacheDir: g.CacheDir, SkipDev: f.skipDev}
	if f.noCache {
		s.CacheDir = ""
	}
	if g.StderrIsTTY() && g.Format != "json" {
		s.Progress = newProgress(g.Stderr)
	}
	m, info, closeDB, err := openMatcher(ctx, g, f)
	if err != nil {
		return nil, nil, err
	}
	s.Matcher, s.DB = m, info
	return s, closeDB, nil
}

// classify maps input-caused failures to exit code 2.
func classify(err error) error {
	var in *scan.InputError
	if errors.As(err, &in) {
		return cliutil.Usage(err)
	}
	return err
}

// openMatcher opens the advisory database (--db, else the cache dir's).
// Without one, --offline fails with exit code 2; otherwise the scan still
// reports the inventory, with a warning. The returned close func is never nil.
func openMatcher(ctx context.Context, g *cliutil.Globals, f *scanFlags) (scan.Matcher, *scan.DBInfo, func(), error) {
	path := f.dbPath
	if path == "" {
		path = vulndb.DefaultPath(g.CacheDir)
	}
	db, err := vulndb.Open(ctx, path)
	if errors.Is(err, vulndb.ErrNoDB) {
		if f.offline || f.dbPath != "" {
			return nil, nil, func() {}, cliutil.Usagef("no advisory database at %s: "+
				"build one with `sightline db update` or `sightline db import` first", path)
		}
		g.Warnf("no advisory database at %s (run `sightline db update`); reporting the inventory only", path)
		return nil, nil, func() {}, nil
	}
	if errors.Is(err, vulndb.ErrDamaged) {
		return nil, nil, func() {}, err // names the file and how to rebuild it
	}
	if errors.Is(err, vulndb.ErrSchema) {
		return nil, nil, func() {}, cliutil.Usage(err) // says how to rebuild it
	}
	if err != nil {
		return nil, nil, func() {}, fmt.Errorf("opening advisory database %s: %w", path, err)
	}
	st := db.Status()
	info := &scan.DBInfo{Path: path, Stale: st.Stale, StaleDetail: st.StaleSummary(), Sources: len(st.Sources)}
	if !st.BuiltAt.IsZero() {
		info.Built = st.BuiltAt.UTC().Format(time.RFC3339)
	}
	return scan.DBMatcher{M: match.New(db)}, info, func() { db.Close() }, nil
}

// newProgress draws one self-overwriting status line on a terminal,
// at most ten times a second.
func newProgress(w io.Writer) scan.Progress {
	var mu sync.Mutex
	var last time.Time
	return func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if done < total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		switch stage {
		case "packages":
			fmt.Fprintf(w, "\r\033[K%d packages found", done)
		default:
			fmt.Fprintf(w, "\r\033[K%s %d/%d", stage, done, total)
		}
	}
}
