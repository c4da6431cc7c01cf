package terraform

import (
	"context"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/check"
)

// Reader is the check.Reader of Terraform input: *.tf files (read per
// directory, each directory a root module) and plan JSON
// (`terraform show -json`).
type Reader struct {
	Options Options
}

var _ check.Reader = (*Reader)(nil)

// Input implements check.Reader.
func (*Reader) Input() check.Input { return check.InputTerraform }

// Detect accepts *.tf and *.tf.json files and JSON whose head looks like a
// plan.
func (*Reader) Detect(path string, head []byte) bool {
	switch {
	case strings.HasSuffix(path, ".tf"), strings.HasSuffix(path, ".tf.json"):
		return true // a .tf.json file is read as part of its directory, which names it as a gap
	case strings.HasSuffix(path, ".json"):
		h, err := utf8JSON(head)
		return err == nil && strings.Contains(string(h), `"format_version"`) &&
			(strings.Contains(string(h), `"planned_values"`) || strings.Contains(string(h), `"terraform_version"`))
	}
	return false
}

// Read reads the plans, and the directories of the .tf files as root
// modules, except directories that another one calls as a local module
// (they are evaluated through the call, with its inputs). A file that does
// not parse is a Gap naming file and line.
func (r *Reader) Read(ctx context.Context, paths []string) (check.Set, error) {
	var set check.Set
	dirs := map[string]bool{}
	for _, p := range paths {
		if strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, ".tf.json") {
			s, err := LoadPlan(ctx, p, r.Options)
			if err != nil {
				if ctx.Err() != nil {
					return set, ctx.Err()
				}
				// The error names the file, as the gap's location does:
				// "plan.json: plan.json: line 1: …" said it twice.
				set.Gaps = append(set.Gaps, check.Gap{Input: check.InputTerraform, Location: check.Location{File: p},
					Reason: strings.TrimPrefix(err.Error(), p+": ")})
				continue
			}
			set.Add(s)
			continue
		}
		dirs[filepath.Clean(filepath.Dir(p))] = true
	}
	// A directory another one calls as a local module is read through
	// the call. A self-call does not count, and directories that only
	// call each other in a cycle are read as roots too: otherwise they
	// were not read at all, without a gap (LoadDir reports the cycle).
	called := map[string]bool{}
	calls := map[string][]string{}
	for d := range dirs {
		m, err := loadModule(ctx, d)
		if err != nil {
			continue // reported when the directory is read
		}
		for _, c := range m.calls {
			if localSource(c.source) {
				t := filepath.Clean(filepath.Join(d, filepath.FromSlash(c.source)))
				if t != d {
					called[t] = true
					calls[d] = append(calls[d], t)
				}
			}
		}
	}
	roots := make([]string, 0, len(dirs))
	reached := map[string]bool{}
	var reach func(string)
	reach = func(d string) {
		if reached[d] {
			return
		}
		reached[d] = true
		for _, t := range calls[d] {
			reach(t)
		}
	}
	for d := range dirs {
		if !called[d] {
			roots = append(roots, d)
			reach(d)
		}
	}
	var rest []string
	for d := range dirs {
		if !reached[d] {
			rest = append(rest, d)
		}
	}
	sort.Strings(rest)
	for _, d := range rest {
		if !reached[d] {
			roots = append(roots, d)
			reach(d)
		}
	}
	sort.Strings(roots)
	for _, d := range roots {
		s, err := LoadDir(ctx, d, r.Options)
		if err != nil {
			if ctx.Err() != nil {
				return set, ctx.Err()
			}
			set.Gaps = append(set.Gaps, check.Gap{Input: check.InputTerraform, Location: check.Location{File: d}, Reason: err.Error()})
			continue
		}
		set.Add(s)
	}
	return set, nil
}
