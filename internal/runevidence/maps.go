package runevidence

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// deletedSuffix is what the kernel appends to the path of a mapped file
// that has been unlinked (replaced by an upgrade while the process runs).
const deletedSuffix = " (deleted)"

// maxMaps bounds one /proc/<pid>/maps (a large JVM has tens of thousands
// of mappings, a few MiB).
const maxMaps = 64 << 20

// mapping is one file mapped by a process.
type mapping struct {
	path    string
	deleted bool
}

// parseMaps returns the distinct files a /proc/<pid>/maps lists, in order
// of first appearance. Format: proc(5), "/proc/pid/maps": six fields, the
// last (the path) possibly containing spaces and possibly absent
// (anonymous mappings); pseudo-paths ("[heap]", "[vdso]") are skipped, as
// are memfd and System V shared memory (not files of any package).
func parseMaps(r io.Reader) ([]mapping, error) {
	sc := bufio.NewScanner(bounded(r, maxMaps))
	sc.Buffer(make([]byte, 0, 1024), 64<<10)
	seen := map[string]bool{}
	var out []mapping
	line := 0
	for sc.Scan() {
		line++
		path, err := mapsPath(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("maps line %d: %w", line, err)
		}
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/memfd:") || strings.HasPrefix(path, "/SYSV") {
			continue
		}
		m := mapping{path: path}
		if p, ok := strings.CutSuffix(path, deletedSuffix); ok {
			m = mapping{path: p, deleted: true}
		}
		if seen[m.path] {
			continue
		}
		seen[m.path] = true
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("maps: %w", err)
	}
	return out, nil
}

// mapsPath returns the sixth field of a maps line: what follows the five
// fixed fields and the padding after them.
func mapsPath(l string) (string, error) {
	rest := l
	for i := range 5 {
		rest = strings.TrimLeft(rest, " ")
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			if i == 4 && rest != "" {
				return "", nil // anonymous mapping: no path
			}
			return "", fmt.Errorf("%q: %d fields, want at least 5", l, i+1)
		}
		rest = rest[sp:]
	}
	return strings.TrimLeft(rest, " "), nil
}
