package inventory

// Our Podfile.lock reader replaces osv-scalibr's, which decodes the YAML
// into Go values: go-yaml's mapping decode is quadratic in the number of
// keys (yamlnode.go), so a hostile file with one large mapping stalls it.

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/google/osv-scalibr/purl"
	"go.yaml.in/yaml/v3"
)

const podfileLockName = "swift/podfilelock"

// podfileLock reads CocoaPods' Podfile.lock
// (https://guides.cocoapods.org/using/using-cocoapods.html#what-is-podfilelock):
// PODS lists "Name (1.2.3)", or a one-key mapping from it to the pod's own
// dependencies. Subspecs ("AppCenter/Core") are listed as CocoaPods names
// them. No OSV ecosystem covers CocoaPods, so these are unchecked.
type podfileLock struct{}

func (podfileLock) name() string  { return podfileLockName }
func (podfileLock) streams() bool { return false }

func (podfileLock) required(p string, _ fs.FileMode, _ int64) bool {
	return pathBase(p) == "Podfile.lock"
}

func (podfileLock) extract(ctx context.Context, in *input) ([]Record, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(in.r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding YAML: %w", err)
	}
	pods := yamlGet(yamlDoc(&doc), "PODS")
	if pods == nil || pods.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("no PODS list")
	}
	out := make([]Record, 0, len(pods.Content))
	for i, item := range pods.Content {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		spec := yamlScalar(item)
		if item.Kind == yaml.MappingNode && len(item.Content) >= 2 {
			spec = yamlScalar(item.Content[0])
		}
		name, rest, ok := strings.Cut(spec, " (")
		if !ok || !strings.HasSuffix(rest, ")") || name == "" {
			return out, fmt.Errorf("PODS entry %q is not \"Name (version)\"", spec)
		}
		out = append(out, pkgRecord(podfileLockName, in.path, name, strings.TrimSuffix(rest, ")"), purl.TypeCocoapods, false))
	}
	return out, nil
}
