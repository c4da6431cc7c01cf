// Package demo writes the offline demo estate of `sightline demo`
// (docs/demo.md): an AWS snapshot, Kubernetes objects and container images
// that belong together, plus an advisory database built from the real
// advisory records shipped with it and the scan results of really scanning
// the images against it.
//
// The estate exists to show the mission's case end to end without a
// network, an AWS account or a cluster: the same vulnerable application
// (shop/api, a real npm install with lodash 4.17.15, minimist 1.2.0 and
// express 4.17.1 on a real Debian 12 package set) runs in two ECS fleets —
// release 1.4.2 behind an internet-facing ALB, the previous build 1.4.1
// (same dependencies, its own digest) on hosts whose security group admits
// the port the application listens on from the VPC only — while shop/web
// runs on EKS behind an NLB and a bastion admits SSH from one office range.
// The two fleets run two digests on purpose: `sightline assess` keeps one
// risk row per (vulnerability, image digest), so the same CVE yields two
// rows, ranked apart, each with its own explanation.
//
// Everything comes from files embedded in the binary (estate/, see its
// PROVENANCE.md): the AWS snapshot is written by
// testdata/aws/scenarios/make_scenarios.py (scenario "demo"), the package
// metadata and advisories are byte-for-byte copies of real public data, and
// the images are assembled in-process with go-containerregistry with fixed
// timestamps and uncompressed layers, so their digests — which the snapshot
// and the Kubernetes objects name — do not change between runs.
package demo

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
)

//go:embed estate
var estateFS embed.FS

// Estate says where Write put each part of the demo estate.
type Estate struct {
	// Dir is the directory the estate was written into.
	Dir string
	// AWS is the AWS snapshot directory (docs/aws-snapshot.md layout),
	// for snapshot.Load or `--aws`.
	AWS string
	// K8s are the Kubernetes manifest files (live-style objects with
	// status), for kube.LoadManifests or `--k8s`.
	K8s []string
	// Images are the container images the workloads run.
	Images []Image
	// Advisories is the directory of the real advisory records (OSV, KEV,
	// EPSS) the database was built from.
	Advisories string
	// DB is the advisory database built from Advisories (vulndb format),
	// for vulndb.Open or `--db`.
	DB string
	// ScanResults are `sightline scan image --format json` documents
	// (schema sightline.scan/v1), one per image in Images order.
	ScanResults []string
}

// Image is one container image of the estate.
type Image struct {
	// Name is the image reference the workloads use (ECR repository:tag).
	Name string
	// Archive is the OCI archive (an OCI image layout in a tar) holding it,
	// scannable as "oci-archive:<Archive>".
	Archive string
	// Digest is the manifest digest, as a registry, ECS
	// (containers[].imageDigest) and Kubernetes (imageID) report it.
	Digest string
	// Workloads are the inventory IDs (workload.Workload.ID) of the
	// workloads that run it: ECS tasks ("ecs:<task ARN>") and pods
	// ("k8s:/<namespace>/Pod/<name>"; manifests carry no cluster name).
	Workloads []string
}

// Write writes the estate into dir (created if needed; existing files of
// the same names are replaced), builds the advisory database and scans the
// images. It reads nothing outside the binary and makes no network call.
func Write(ctx context.Context, dir string) (*Estate, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo estate: %w", err)
	}
	e := &Estate{
		Dir:        dir,
		AWS:        filepath.Join(dir, "aws"),
		K8s:        []string{filepath.Join(dir, "k8s", "cluster.yaml")},
		Advisories: filepath.Join(dir, "advisories"),
		DB:         filepath.Join(dir, "db", "sightline.db"),
	}
	for _, c := range []struct{ from, to string }{
		{"estate/aws", e.AWS}, {"estate/k8s", filepath.Join(dir, "k8s")}, {"estate/advisories", e.Advisories},
	} {
		if err := copyTree(ctx, c.from, c.to); err != nil {
			return nil, err
		}
	}
	for _, spec := range imageSpecs() {
		im, err := writeImage(ctx, spec, filepath.Join(dir, "images"))
		if err != nil {
			return nil, err
		}
		e.Images = append(e.Images, im)
	}
	if err := buildDB(ctx, e.Advisories, e.DB); err != nil {
		return nil, err
	}
	res, err := scanImages(ctx, e.DB, e.Images, filepath.Join(dir, "scan"))
	if err != nil {
		return nil, err
	}
	e.ScanResults = res
	return e, nil
}

// estateEntries are the top-level entries Write creates in its directory.
var estateEntries = []string{"advisories", "aws", "db", "images", "k8s", "scan"}

// HoldsEstate says whether dir holds an estate an earlier Write left
// there (only Write's top-level entries, its Kubernetes manifest and scan
// results among them), which a new Write may replace. An empty or absent
// dir holds none; a non-empty dir that holds none must not be written
// into: Write would merge the demo into the user's files.
func HoldsEstate(dir string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		return false, err
	}
	for _, e := range ents {
		if !slices.Contains(estateEntries, e.Name()) || !e.IsDir() {
			return false, nil
		}
	}
	for _, p := range []string{filepath.Join("k8s", "cluster.yaml"), "scan", "aws"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			return false, nil
		}
	}
	return true, nil
}

// copyTree copies the embedded directory from (and everything below it)
// to the directory to.
func copyTree(ctx context.Context, from, to string) error {
	return fs.WalkDir(estateFS, from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := p[len(from):]
		dst := filepath.Join(to, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := estateFS.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("demo estate: writing %s: %w", dst, err)
		}
		return nil
	})
}

// readEstate reads one embedded file (a path below estate/).
func readEstate(p string) ([]byte, error) {
	b, err := estateFS.ReadFile(path.Join("estate", p))
	if err != nil {
		return nil, fmt.Errorf("demo estate: %w", err)
	}
	return b, nil
}
