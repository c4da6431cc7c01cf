package inventory

// Our composer.lock parser replaces osv-scalibr's, which finds each
// package's line with a JSON path query from the start of the file
// (quadratic in the number of packages, like its package-lock.json one).

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/osv-scalibr/purl"
)

const composerLockName = "php/composerlock"

// composerLock reads composer.lock (https://getcomposer.org/doc/01-basic-usage.md#commit-your-composer-lock-file-to-version-control):
// "packages" are installed with `composer install --no-dev`,
// "packages-dev" only without --no-dev (dev). A package whose dist is a
// local "path" repository is the project's own code: not listed.
type composerLock struct{}

func (composerLock) name() string  { return composerLockName }
func (composerLock) streams() bool { return true }

func (composerLock) required(p string, _ fs.FileMode, _ int64) bool {
	return pathBase(p) == "composer.lock"
}

type composerPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Dist    struct {
		Type string `json:"type"`
	} `json:"dist"`
}

func (composerLock) extract(ctx context.Context, in *input) ([]Record, error) {
	dec := jsontext.NewDecoder(in.r, jsonOpts)
	if err := expectObject(dec); err != nil {
		return nil, err
	}
	var out []Record
	for dec.PeekKind() == '"' {
		key, err := readName(dec)
		if err != nil {
			return out, err
		}
		if key != "packages" && key != "packages-dev" {
			if err := dec.SkipValue(); err != nil {
				return out, err
			}
			continue
		}
		dev := key == "packages-dev"
		err = eachElement(ctx, dec, func() error {
			var p composerPackage
			if err := json.UnmarshalDecode(dec, &p, jsonOpts); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			if p.Name != "" && p.Dist.Type != "path" {
				out = append(out, pkgRecord(composerLockName, in.path, p.Name, p.Version, purl.TypeComposer, dev))
			}
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	return out, expectEnd(dec)
}
