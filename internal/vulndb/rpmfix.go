package vulndb

import (
	"cmp"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// Shared by the rpm-distribution importers (alas.go, oval.go): both feeds
// list, per advisory, binary packages with the EVR that fixes them, per
// architecture. They become OSV-style affected entries: introduced "0"
// (or a known floor), fixed = the feed's EVR.

// ArchName is the index name of a fix that applies to one architecture
// only ("rsyslog.x86_64", yum's name.arch spelling). Importers store a
// package's fix under its plain name when every architecture the advisory
// lists has the same fix, and under ArchName per architecture when the
// fixes differ (Oracle respins one architecture: ELSA-2022-4803 fixes
// rsyslog at 8.24.0-57.0.4.el7_9.3 on aarch64 and at another revision on
// x86_64). match.Query.Arch looks up both names.
func ArchName(name, arch string) string { return name + "." + arch }

// rpmFix is one "package < EVR" statement of a distribution advisory.
type rpmFix struct {
	eco, name, arch string
	evr             string // fixed version, epoch spelled as in EVRString
	introduced      string // "0" unless the feed bounds the range from below
}

// EVRString spells an rpm EVR as inventories do (inventory.EVR): "E:V-R",
// without the epoch when it is empty or "0" ("0:1.2-3" → "1.2-3").
func EVRString(epoch, ver, rel string) string {
	vr := ver
	if rel != "" {
		vr += "-" + rel
	}
	epoch = strings.TrimLeft(strings.TrimSpace(epoch), "0")
	if epoch == "" {
		return vr
	}
	return epoch + ":" + vr
}

// normalizeEVR turns an "E:V-R" string into EVRString's spelling.
func normalizeEVR(s string) string {
	e, vr, ok := strings.Cut(s, ":")
	if !ok {
		return s
	}
	if strings.Trim(e, "0") == "" {
		return vr
	}
	return strings.TrimLeft(e, "0") + ":" + vr
}

// foldFixes turns one advisory's fixes into affected entries. A package
// listed several times for one architecture (OR-ed criteria: Oracle lists
// each rebuild) is vulnerable below the highest of those EVRs. Then, per
// ecosystem and package, one entry under the plain name when all
// architectures agree, else one entry per architecture (ArchName).
// Source RPMs (arch "src") are never installed and are skipped.
func foldFixes(id string, fixes []rpmFix) []PkgEntry {
	type key struct{ eco, name string }
	type fix struct{ evr, intro string }
	byPkg := map[key]map[string]fix{}
	var order []key
	for _, f := range fixes {
		if f.arch == "src" || f.name == "" || f.evr == "" {
			continue
		}
		k := key{f.eco, f.name}
		arches, ok := byPkg[k]
		if !ok {
			arches = map[string]fix{}
			byPkg[k] = arches
			order = append(order, k)
		}
		if old, ok := arches[f.arch]; !ok || evrLess(f.eco, old.evr, f.evr) {
			arches[f.arch] = fix{f.evr, f.introduced}
		}
	}
	var out []PkgEntry
	for _, k := range order {
		arches := byPkg[k]
		distinct := map[fix]bool{}
		for _, f := range arches {
			distinct[f] = true
		}
		if len(distinct) == 1 {
			for f := range distinct {
				out = append(out, rpmEntry(id, k.eco, k.name, f.evr, f.intro))
			}
			continue
		}
		names := make([]string, 0, len(arches))
		for a := range arches {
			names = append(names, a)
		}
		slices.Sort(names)
		for _, a := range names {
			name := k.name
			if a != "" {
				name = ArchName(k.name, a)
			}
			out = append(out, rpmEntry(id, k.eco, name, arches[a].evr, arches[a].intro))
		}
	}
	slices.SortStableFunc(out, func(a, b PkgEntry) int {
		return cmp.Or(cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func evrLess(eco, a, b string) bool {
	parse, err := version.ForEcosystem(eco)
	if err != nil {
		return a < b
	}
	va, err1 := parse(a)
	vb, err2 := parse(b)
	if err1 != nil || err2 != nil {
		return a < b
	}
	return va.Compare(vb) < 0
}

func rpmEntry(id, eco, name, evr, intro string) PkgEntry {
	if intro == "" {
		intro = "0"
	}
	rg := Range{Type: RangeEcosystem, Events: []Event{{Introduced, intro}, {Fixed, evr}}}
	rg.Sorted = sortEvents(eco, &rg)
	return PkgEntry{Ecosystem: eco, Name: name, Affected: Affected{RecordID: id, Ranges: []Range{rg}}}
}

// dedupeByID keeps one record per advisory id across the files of one
// source: the most recently modified copy; copies with the same date (the
// same advisory trimmed differently by different fixture sets, or listed
// in several repositories) are merged, their packages united.
func dedupeByID(recs []*Parsed) []*Parsed {
	byID := map[string]int{}
	var out []*Parsed
	for _, p := range recs {
		i, ok := byID[p.Record.ID]
		if !ok {
			byID[p.Record.ID] = len(out)
			out = append(out, p)
			continue
		}
		old := out[i]
		switch {
		case p.Record.Modified.After(old.Record.Modified):
			out[i] = p
		case p.Record.Modified.Equal(old.Record.Modified):
			old.Packages = unionEntries(old.Packages, p.Packages)
			old.Record.Aliases = unionStrings(old.Record.Aliases, p.Record.Aliases)
			old.Record.References = unionStrings(old.Record.References, p.Record.References)
		}
	}
	slices.SortFunc(out, func(a, b *Parsed) int { return strings.Compare(a.Record.ID, b.Record.ID) })
	return out
}

func unionEntries(a, b []PkgEntry) []PkgEntry {
	type key struct{ eco, name, fixed string }
	seen := map[key]bool{}
	k := func(e PkgEntry) key {
		var f string
		for _, r := range e.Affected.Ranges {
			for _, ev := range r.Events {
				f += ev.Version + " "
			}
		}
		return key{e.Ecosystem, e.Name, f}
	}
	for _, e := range a {
		seen[k(e)] = true
	}
	for _, e := range b {
		if !seen[k(e)] {
			seen[k(e)] = true
			a = append(a, e)
		}
	}
	return a
}

func unionStrings(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	slices.Sort(a)
	return a
}
