package inventory

// Our conda-meta reader replaces osv-scalibr's, which reads only
// environments under an envs/ directory (so not the base environment of
// /opt/conda, the one most images use) and names every conda package a
// PyPI package (so conda's openssl or libgcc would be matched against
// PyPI advisories).

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/osv-scalibr/purl"
)

const condaMetaName = "python/condameta"

// condaMeta reads the package records of a conda environment,
// <env>/conda-meta/<name>-<version>-<build>.json
// (https://docs.conda.io/projects/conda/en/latest/user-guide/concepts/environments.html).
// Packages are PURL type conda; no OSV ecosystem covers conda, so they are
// listed and counted as unchecked. Python packages in the environment are
// also found, as PyPI packages, from their site-packages metadata.
type condaMeta struct{}

func (condaMeta) name() string  { return condaMetaName }
func (condaMeta) streams() bool { return true }

func (condaMeta) required(p string, _ fs.FileMode, _ int64) bool {
	dir, base, ok := cutLast(p, "/")
	return ok && strings.HasSuffix(base, ".json") && (dir == "conda-meta" || strings.HasSuffix(dir, "/conda-meta"))
}

func (condaMeta) extract(ctx context.Context, in *input) ([]Record, error) {
	dec := jsontext.NewDecoder(in.r, jsonOpts)
	if err := expectObject(dec); err != nil {
		return nil, err
	}
	var name, version, license string
	for dec.PeekKind() == '"' {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		key, err := readName(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "name":
			err = json.UnmarshalDecode(dec, &name, jsonOpts)
		case "version":
			err = json.UnmarshalDecode(dec, &version, jsonOpts)
		case "license":
			err = json.UnmarshalDecode(dec, &license, jsonOpts)
		default:
			err = dec.SkipValue() // "files" lists every file: skipped as a stream
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	if err := expectEnd(dec); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, nil // not a package record (e.g. conda-meta/history is not JSON; other JSON carries no name)
	}
	r := pkgRecord(condaMetaName, in.path, name, version, purl.TypeConda, false)
	if license != "" {
		r.Licenses = []string{license}
	}
	return []Record{r}, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+len(sep):], true
}
