package inventory

// Our Gemfile.lock reader replaces osv-scalibr's, which lists the gems of
// PATH sections (the project's own or vendored local gems) as RubyGems
// packages and drops malformed spec lines without a word.

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/google/osv-scalibr/purl"
)

const gemfileLockName = "ruby/gemfilelock"

// gemfileLock reads Gemfile.lock and gems.locked (Bundler,
// https://bundler.io/man/gemfile.5.html): sections start unindented (GEM,
// GIT, PATH, PLUGIN SOURCE, PLATFORMS, DEPENDENCIES, …); a source section's
// gems are its "specs:" lines indented by exactly four spaces,
// "name (version)" or "name (version-platform)" (the platform of a
// native gem, e.g. 1.15.4-x86_64-linux, is not part of its version). GEM gems come from a gem
// server; GIT gems from a repository (no registry version: listed without
// one); PATH gems are local code (not listed). Bundler records no groups
// in the lockfile, so no gem is marked dev.
type gemfileLock struct{}

func (gemfileLock) name() string  { return gemfileLockName }
func (gemfileLock) streams() bool { return true }

func (gemfileLock) required(p string, _ fs.FileMode, _ int64) bool {
	b := pathBase(p)
	return b == "Gemfile.lock" || b == "gems.locked"
}

func (gemfileLock) extract(ctx context.Context, in *input) ([]Record, error) {
	sc := bufio.NewScanner(in.r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var out []Record
	section := ""
	for n := 1; sc.Scan(); n++ {
		if n%checkEvery == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if line[0] != ' ' {
			section = line
			continue
		}
		if section != "GEM" && section != "GIT" && section != "PLUGIN SOURCE" {
			continue // PATH gems are local; other sections list no gems
		}
		if !strings.HasPrefix(line, "    ") || line[4] == ' ' {
			continue // not a spec line (remote:, specs:, or a gem's own dependencies)
		}
		name, rest, ok := strings.Cut(line[4:], " (")
		if !ok || name == "" || !strings.HasSuffix(rest, ")") {
			return out, fmt.Errorf("line %d: %q is not \"name (version)\"", n, line[4:])
		}
		version := gemVersion(strings.TrimSuffix(rest, ")"))
		if section == "GIT" {
			version = ""
		}
		out = append(out, pkgRecord(gemfileLockName, in.path, name, version, purl.TypeGem, false))
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("after %d gems: %w", len(out), err)
	}
	return out, nil
}

// gemPlatforms are the words a RubyGems platform suffix is made of
// (Gem::Platform: cpu-os-version, e.g. x86_64-linux-musl, arm64-darwin,
// x64-mingw-ucrt, java).
var gemPlatforms = []string{"linux", "darwin", "mingw", "mswin", "java", "jruby", "x86", "x64", "arm", "aarch64", "universal", "freebsd", "solaris", "cygwin", "musl"}

// gemVersion drops a platform suffix from a locked version.
func gemVersion(v string) string {
	before, platform, ok := strings.Cut(v, "-")
	if !ok {
		return v
	}
	for _, w := range gemPlatforms {
		if strings.Contains(platform, w) {
			return before
		}
	}
	return v
}
