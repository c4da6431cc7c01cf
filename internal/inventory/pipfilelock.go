package inventory

// Our Pipfile.lock reader replaces osv-scalibr's, which searches the whole
// file for each package's line: a 1 MB lockfile took 32 s, growing with the
// square of its size (BenchmarkParsers).

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/osv-scalibr/purl"
)

const pipfileLockName = "python/pipfilelock"

// pipfileLock reads Pipfile.lock (https://pipenv.pypa.io/en/latest/pipfile.html):
// "default" holds what `pipenv install` installs, "develop" what `pipenv
// install --dev` adds; a package in both is not dev. Versions are pinned
// ("==1.2.3"). Editable, path and file entries are local code: not
// listed; git entries have no registry version: listed without one.
type pipfileLock struct{}

func (pipfileLock) name() string  { return pipfileLockName }
func (pipfileLock) streams() bool { return true }

func (pipfileLock) required(p string, _ fs.FileMode, _ int64) bool {
	return pathBase(p) == "Pipfile.lock"
}

type pipfileEntry struct {
	Version  string `json:"version"`
	Path     string `json:"path"`
	File     string `json:"file"`
	Editable bool   `json:"editable"`
	Git      string `json:"git"`
}

func (pipfileLock) extract(ctx context.Context, in *input) ([]Record, error) {
	dec := jsontext.NewDecoder(in.r, jsonOpts)
	if err := expectObject(dec); err != nil {
		return nil, err
	}
	type key struct{ name, version string }
	var order []key
	dev := map[key]bool{}
	for dec.PeekKind() == '"' {
		section, err := readName(dec)
		if err != nil {
			return nil, err
		}
		if section != "default" && section != "develop" {
			if err := dec.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		err = eachMember(ctx, dec, func(name string) error {
			var e pipfileEntry
			if err := json.UnmarshalDecode(dec, &e, jsonOpts); err != nil {
				return fmt.Errorf("%s[%q]: %w", section, name, err)
			}
			if e.Path != "" || e.File != "" || e.Editable {
				return nil
			}
			v := strings.TrimPrefix(e.Version, "==")
			if e.Git != "" || !strings.HasPrefix(e.Version, "==") {
				v = ""
			}
			k := key{name, v}
			isDev, seen := dev[k]
			switch {
			case !seen:
				order = append(order, k)
				dev[k] = section == "develop"
			case isDev && section == "default":
				dev[k] = false
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if err := expectEnd(dec); err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(order))
	for _, k := range order {
		out = append(out, pkgRecord(pipfileLockName, in.path, k.name, k.version, purl.TypePyPi, dev[k]))
	}
	return out, nil
}
