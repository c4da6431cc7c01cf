package version

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sightline-sec/sightline/internal/vulndb/vulndbtest"
)

// rpmFamilies are the rpm-based ecosystems Sightline reads beyond those
// osv-scalibr names; they must order versions exactly as rpm does.
var rpmFamilies = []string{"Amazon Linux:2023", "Amazon Linux:1", "Oracle Linux:8", "Oracle Linux:8:ksplice", "Photon OS:5.0", "Azure Linux:3.0"}

// TestRPMFamilyOSVFixtures: the OSV project's Red Hat ordering vectors hold
// for every rpm-family ecosystem.
func TestRPMFamilyOSVFixtures(t *testing.T) {
	for _, eco := range rpmFamilies {
		parse, err := ForEcosystem(eco)
		if err != nil {
			t.Fatalf("%s: %v", eco, err)
		}
		n := 0
		forEachLine(t, "redhat-versions.txt", func(a, op, b string) {
			check(t, parse, a, b, map[string]int{"<": -1, "=": 0, ">": 1}[op])
			n++
		})
		if n == 0 {
			t.Fatal("no comparisons")
		}
	}
}

// TestRPMRealEVROrderings: 513 comparisons of real EVRs from the Amazon
// Linux and Oracle Linux samples (installed rpm -qa lists, ALAS and ELSA
// fixed versions; epochs 1, 2, 10, 30 among them), each as rpm 4.18's own
// rpm.vercmp answered (testdata/vulndb/rpm-orderings, generate.py).
func TestRPMRealEVROrderings(t *testing.T) {
	f, err := os.Open(filepath.Join(vulndbtest.Testdata("vulndb/rpm-orderings"), "rpm-evr-orderings.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parse, err := ForEcosystem("Amazon Linux:2")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) != 3 || p[0] == "#" {
			continue
		}
		check(t, parse, p[0], p[2], map[string]int{"<": -1, "=": 0, ">": 1}[p[1]])
		n++
	}
	if n != 513 {
		t.Fatalf("%d comparisons read, want 513", n)
	}
}
