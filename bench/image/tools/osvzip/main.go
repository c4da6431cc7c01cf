// Command osvzip lays OSV JSON records out as an osv.dev-style offline
// mirror, `<out>/<Ecosystem>/all.zip`, which is what osv-scanner's
// --offline --local-db-path reads (under an `osv-scalibr/` folder).
// osv-scanner silently skips matching for an ecosystem that has no zip, so
// an (empty) zip is written for every ecosystem in the OSV schema list.
//
//	osvzip -o DIR SRC_DIR...
package main

import (
	"archive/zip"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ecosystems from the OSV schema's ecosystem list (osv-schema ecosystems.txt).
var ecosystems = []string{"AlmaLinux", "Alpaquita", "Alpine", "Android", "Bioconductor", "Bitnami",
	"Chainguard", "ConanCenter", "CRAN", "crates.io", "Debian", "GHC", "GitHub Actions", "Go",
	"Hackage", "Hex", "Linux", "Mageia", "Maven", "MinimOS", "npm", "NuGet", "openEuler",
	"openSUSE", "OSS-Fuzz", "Packagist", "Photon OS", "Pub", "PyPI", "Red Hat", "Rocky Linux",
	"RubyGems", "SUSE", "SwiftURL", "Ubuntu", "Wolfi"}

func main() {
	out := flag.String("o", "", "output directory")
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "osvzip:", err)
		os.Exit(1)
	}
}

func run(out string, srcs []string) error {
	files := map[string]map[string][]byte{} // ecosystem → name → record
	for _, e := range ecosystems {
		files[e] = map[string][]byte{}
	}
	for _, src := range srcs {
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			var rec struct {
				Affected []struct {
					Package struct{ Ecosystem string } `json:"package"`
				} `json:"affected"`
			}
			if json.Unmarshal(b, &rec) != nil {
				return nil // not an OSV record (e.g. a listing file)
			}
			for _, a := range rec.Affected {
				eco, _, _ := strings.Cut(a.Package.Ecosystem, ":")
				if files[eco] == nil {
					files[eco] = map[string][]byte{}
				}
				files[eco][filepath.Base(p)] = b
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for eco, recs := range files {
		if err := writeZip(filepath.Join(out, eco, "all.zip"), recs); err != nil {
			return err
		}
	}
	return nil
}

func writeZip(path string, recs map[string][]byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for name, b := range recs {
		w, err := zw.Create(name)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
