package inventory

// Our gradle.lockfile parser replaces osv-scalibr's so that the
// configurations each dependency is locked for are kept: they tell test
// dependencies apart.

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/google/osv-scalibr/purl"
)

const gradleLockName = "java/gradlelockfile"

// gradleLock reads gradle.lockfile and buildscript-gradle.lockfile
// (https://docs.gradle.org/current/userguide/dependency_locking.html):
// one "group:artifact:version=conf1,conf2" line per dependency, "#"
// comments, and "empty=conf…" for configurations with none. A dependency
// locked only for test configurations (testCompileClasspath,
// testRuntimeClasspath, androidTest…, …UnitTest…) is dev.
type gradleLock struct{}

func (gradleLock) name() string  { return gradleLockName }
func (gradleLock) streams() bool { return true }

func (gradleLock) required(p string, _ fs.FileMode, _ int64) bool {
	b := pathBase(p)
	return b == "gradle.lockfile" || b == "buildscript-gradle.lockfile"
}

// maxLine bounds one line of a line-oriented lockfile; a longer line is an
// error naming its number, not a silent cut.
const maxLine = 1 << 20

func (gradleLock) extract(ctx context.Context, in *input) ([]Record, error) {
	sc := bufio.NewScanner(in.r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var out []Record
	for n := 1; sc.Scan(); n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return out, err
			}
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "empty=") {
			continue
		}
		coords, confs, _ := strings.Cut(line, "=")
		parts := strings.Split(coords, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return out, fmt.Errorf("line %d: %q is not group:artifact:version", n, coords)
		}
		out = append(out, pkgRecord(gradleLockName, in.path, parts[0]+":"+parts[1], parts[2], purl.TypeMaven, testOnly(confs)))
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("after %d packages: %w", len(out), err)
	}
	return out, nil
}

// testOnly reports whether every configuration in a comma-separated list
// is a test configuration.
func testOnly(confs string) bool {
	if confs == "" {
		return false
	}
	for c := range strings.SplitSeq(confs, ",") {
		if !strings.Contains(strings.ToLower(c), "test") {
			return false
		}
	}
	return true
}
