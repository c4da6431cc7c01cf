package inventory

// Our pubspec.lock reader replaces osv-scalibr's, which lists SDK packages
// (flutter_test from the Flutter SDK, version "0.0.0") and path packages
// (the project's own code) as pub.dev packages.

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/google/osv-scalibr/purl"
	"go.yaml.in/yaml/v3"
)

const pubspecName = "dart/pubspec"

// pubspecLock reads pubspec.lock (https://dart.dev/tools/pub/glossary#lockfile):
// packages.<name>.{dependency, source, version}. Source "hosted" is a
// pub.dev (or mirror) package; "sdk" is part of the Dart or Flutter SDK
// and "path" is local code: neither is listed; "git" has no registry
// version: listed without one. dependency "direct dev" is dev (pub marks
// only direct dev dependencies; their transitive ones read "transitive").
type pubspecLock struct{}

func (pubspecLock) name() string  { return pubspecName }
func (pubspecLock) streams() bool { return false }

func (pubspecLock) required(p string, _ fs.FileMode, _ int64) bool {
	return pathBase(p) == "pubspec.lock"
}

func (pubspecLock) extract(ctx context.Context, in *input) ([]Record, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(in.r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding YAML: %w", err)
	}
	pkgs := yamlGet(yamlDoc(&doc), "packages")
	var out []Record
	if pkgs != nil {
		out = make([]Record, 0, len(pkgs.Content)/2)
	}
	n := 0
	yamlPairs(pkgs, func(name string, p *yaml.Node) {
		if n++; n%checkEvery == 0 && ctx.Err() != nil {
			return
		}
		version := yamlScalar(yamlGet(p, "version"))
		switch yamlScalar(yamlGet(p, "source")) {
		case "sdk", "path":
			return
		case "git":
			version = ""
		}
		dev := strings.Contains(yamlScalar(yamlGet(p, "dependency")), "dev")
		out = append(out, pkgRecord(pubspecName, in.path, name, version, purl.TypePub, dev))
	})
	return out, ctx.Err()
}
