package report

import (
	"slices"
	"testing"

	"github.com/sightline-sec/sightline/internal/scan"
)

func TestEvidenceMarks(t *testing.T) {
	for _, c := range []struct {
		e    *scan.Evidence
		want []string
	}{
		{nil, nil},
		{&scan.Evidence{Symbols: scan.SymbolsPresent, Platform: "windows/amd64"}, []string{"code linked"}},
		{&scan.Evidence{Symbols: scan.SymbolsAbsent}, []string{"code not linked"}},
		{&scan.Evidence{Symbols: scan.SymbolsUnknown, Platform: scan.PlatformUnknown}, []string{"platform unchecked"}},
	} {
		if got := evidenceMarks(c.e); !slices.Equal(got, c.want) {
			t.Errorf("evidenceMarks(%+v) = %q, want %q", c.e, got, c.want)
		}
	}
}
