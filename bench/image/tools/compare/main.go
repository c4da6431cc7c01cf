// Command compare checks that every finding osv-scanner reports is also a
// Sightline finding, on the same image and OSV data.
//
// A finding is (ecosystem, package, advisory). osv-scanner names Debian
// packages by their source package; Sightline names the binary package and
// records the source in packages[].source_name, so both sides are keyed by
// the source name where there is one. Advisories match when the ids are
// equal or one side lists the other's id (or a shared id) among its aliases.
//
//	compare SIGHTLINE.json OSV-SCANNER.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type ours struct {
	Packages []struct {
		PURL       string `json:"purl"`
		SourceName string `json:"source_name"`
	} `json:"packages"`
	Findings []struct {
		ID      string   `json:"id"`
		Aliases []string `json:"aliases"`
		Package struct {
			Name, Ecosystem, PURL, Version string
		} `json:"package"`
	} `json:"findings"`
}

type theirs struct {
	Results []struct {
		Packages []struct {
			Package struct {
				Name, Version, Ecosystem string
			} `json:"package"`
			Vulnerabilities []struct {
				ID      string   `json:"id"`
				Aliases []string `json:"aliases"`
			} `json:"vulnerabilities"`
		} `json:"packages"`
	} `json:"results"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: compare SIGHTLINE.json OSV-SCANNER.json")
		os.Exit(2)
	}
	var a ours
	var b theirs
	if err := load(os.Args[1], &a); err != nil {
		fail(err)
	}
	if err := load(os.Args[2], &b); err != nil {
		fail(err)
	}
	missing, extra, common := diff(a, b)
	fmt.Printf("osv-scanner findings (package, advisory): %d; sightline findings (binary package, advisory): %d; osv-scanner findings also in sightline: %d\n", common+len(missing), len(a.Findings), common)
	fmt.Printf("missing from sightline: %d\n", len(missing))
	for _, m := range missing {
		fmt.Println("  -", m)
	}
	fmt.Printf("only in sightline (per source package): %d\n", len(extra))
	for _, e := range extra {
		fmt.Println("  +", e)
	}
	if len(missing) > 0 {
		os.Exit(1)
	}
}

func load(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(2)
}

// key is an ecosystem family (no release suffix) and a package name.
func key(eco, name string) string {
	e, _, _ := strings.Cut(eco, ":")
	return e + "/" + name
}

func diff(a ours, b theirs) (missing, extra []string, common int) {
	source := map[string]string{}
	for _, p := range a.Packages {
		if p.SourceName != "" {
			source[p.PURL] = p.SourceName
		}
	}
	// ids[pkgkey] = every id and alias of each of our findings on that package
	ids := map[string][]map[string]bool{}
	for _, f := range a.Findings {
		name := f.Package.Name
		if s := source[f.Package.PURL]; s != "" {
			name = s
		}
		set := map[string]bool{f.ID: true}
		for _, al := range f.Aliases {
			set[al] = true
		}
		k := key(f.Package.Ecosystem, name)
		ids[k] = append(ids[k], set)
	}
	used := map[string]map[int]bool{}
	seen := map[string]bool{}
	for _, r := range b.Results {
		for _, p := range r.Packages {
			k := key(p.Package.Ecosystem, p.Package.Name)
			for _, v := range p.Vulnerabilities {
				label := fmt.Sprintf("%s@%s %s", k, p.Package.Version, v.ID)
				if seen[label] {
					continue
				}
				seen[label] = true
				if hits := find(ids[k], append([]string{v.ID}, v.Aliases...)); len(hits) > 0 {
					if used[k] == nil {
						used[k] = map[int]bool{}
					}
					for _, i := range hits {
						used[k][i] = true // every binary package of the source
					}
					common++
				} else {
					missing = append(missing, label)
				}
			}
		}
	}
	dup := map[string]bool{}
	for k, sets := range ids {
		for i, s := range sets {
			label := fmt.Sprintf("%s %s", k, anyID(s))
			if !used[k][i] && !dup[label] {
				dup[label] = true // one line per source package, not per binary
				extra = append(extra, label)
			}
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra, common
}

// find returns the indexes of the id sets that share an id with want.
func find(sets []map[string]bool, want []string) []int {
	var hits []int
	for i, s := range sets {
		for _, w := range want {
			if s[w] {
				hits = append(hits, i)
				break
			}
		}
	}
	return hits
}

func anyID(s map[string]bool) string {
	var out []string
	for id := range s {
		out = append(out, id)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
