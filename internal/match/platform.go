package match

import (
	"slices"

	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Platform is the target a Go binary was built for (its build settings
// GOOS and GOARCH, e.g. "linux", "amd64"). An empty field is unknown —
// an SBOM component, a go.mod in a source tree — and matches every
// advisory (the finding is kept and says its platform was not checked).
type Platform struct {
	GOOS, GOARCH string
}

// Platform checks of a matched Go advisory (vulndb.Vulnerability.GoPlatform).
const (
	PlatformAny     = ""        // the advisory names no GOOS/GOARCH: applies everywhere
	PlatformMatched = "matched" // it is restricted, and the binary's platform is among them
	PlatformUnknown = "unknown" // it is restricted, and the package's platform is not known
)

// forPlatform applies the Go vulnerability database's platform rule to
// one affected entry, as govulncheck does (golang.org/x/vuln,
// internal/vulncheck: matchesPlatform): an import applies when its goos
// list is empty or holds the binary's GOOS, and likewise for goarch; an
// unknown GOOS or GOARCH matches any list. The entry is excluded only when
// it has imports and none applies. It returns the imports that apply, and
// how the platform was checked; excluded reports the entry must be
// dropped.
func forPlatform(a *vulndb.Affected, p Platform) (kept []vulndb.GoImport, check string, excluded bool, err error) {
	imports, err := a.GoImports()
	if err != nil || len(imports) == 0 {
		return nil, PlatformAny, false, err
	}
	for _, im := range imports {
		if applies(p.GOOS, im.GOOS) && applies(p.GOARCH, im.GOARCH) {
			kept = append(kept, im)
		}
	}
	if len(kept) == 0 {
		return nil, PlatformAny, true, nil
	}
	check = PlatformAny
	for _, im := range kept {
		switch {
		case (len(im.GOOS) > 0 && p.GOOS == "") || (len(im.GOARCH) > 0 && p.GOARCH == ""):
			return kept, PlatformUnknown, false, nil
		case len(im.GOOS) > 0 || len(im.GOARCH) > 0:
			check = PlatformMatched
		}
	}
	return kept, check, false, nil
}

func applies(v string, list []string) bool {
	return v == "" || len(list) == 0 || slices.Contains(list, v)
}

// mergePlatform combines the checks of several matched entries: one
// unchecked entry makes the finding unchecked.
func mergePlatform(a, b string) string {
	switch {
	case a == PlatformUnknown || b == PlatformUnknown:
		return PlatformUnknown
	case a == PlatformMatched || b == PlatformMatched:
		return PlatformMatched
	}
	return PlatformAny
}
