package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

const dbLong = `The advisory knowledge base: OSV records (every OSV ecosystem), the CISA KEV
catalog and FIRST EPSS scores in one file under the cache dir
(<cache-dir>/db/sightline.db). Every write builds a new file and renames it
into place, so an interrupted update leaves the previous database usable.
Old data is warned about, never refused. See docs/db.md.`

func newDBCmd(g *cliutil.Globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "db",
		Short: "Advisory knowledge base: update, import, query (OSV, KEV, EPSS)",
		Long:  dbLong,
		Example: `  sightline db import testdata/quickstart
  sightline db query pkg:golang/golang.org/x/text@v0.3.5
  sightline db update --ecosystems Go,npm
  sightline db status`,
	}
	c.AddCommand(newDBImportCmd(g), newDBQueryCmd(g), newDBStatusCmd(g), newDBUpdateCmd(g), newDBExportCmd(g))
	return c
}

func dbPath(g *cliutil.Globals) string { return vulndb.DefaultPath(g.CacheDir) }

// openDB opens the database, turning "no database yet" into an input
// error (exit 2) and warning about stale data.
func openDB(ctx context.Context, g *cliutil.Globals) (*vulndb.DB, error) {
	db, err := vulndb.Open(ctx, dbPath(g))
	if errors.Is(err, vulndb.ErrNoDB) || errors.Is(err, vulndb.ErrSchema) {
		return nil, cliutil.Usage(err) // the message says how to build or rebuild it
	}
	if err != nil {
		return nil, err
	}
	warnStale(g, db.Status())
	return db, nil
}

func warnStale(g *cliutil.Globals, st vulndb.Status) {
	for _, s := range st.Sources {
		if s.Stale {
			g.Warnf("advisory source %s holds data %s old (newest %s); run `sightline db update` when you can",
				s.Name, s.Age, s.Modified.Format("2006-01-02"))
		}
	}
}

func readOptions(g *cliutil.Globals) vulndb.ReadOptions {
	var ro vulndb.ReadOptions
	if g.StderrIsTTY() {
		ro.Progress = func(n int) { fmt.Fprintf(g.Stderr, "\rparsed %d records", n) }
	}
	return ro
}

// endProgress clears a progress line drawn on a terminal; warnings and
// results follow on clean lines.
func endProgress(g *cliutil.Globals) {
	if g.StderrIsTTY() {
		fmt.Fprint(g.Stderr, "\r\033[K")
	}
}

func newDBImportCmd(g *cliutil.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH...",
		Short: "Import OSV directories/zips/records, a CISA KEV catalog or an EPSS file",
		Long: `Import local advisory data into the database, offline. Each PATH is detected:
  - a directory tree of OSV records (.json, .yaml, .yml), an OSV zip (such as
    osv.dev's <Ecosystem>/all.zip) or a single OSV record;
  - the CISA KEV catalog (known_exploited_vulnerabilities.json);
  - FIRST EPSS scores: the daily CSV (plain or .gz, "cve,epss,percentile") or
    vulsio's JSON form ({"score_date", "data": [{"id","epss"}]}).
Re-importing the same path replaces what it imported before. A bad file stops
the import with an error naming it; the database is left as it was.`,
		Example: `  sightline db import testdata/quickstart
  sightline db import ~/osv/Go/all.zip known_exploited_vulnerabilities.json epss_scores-current.csv.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var batches []*vulndb.Batch
			for _, p := range args {
				bt, err := readImport(ctx, g, p)
				endProgress(g)
				if err != nil {
					return cliutil.Usage(err)
				}
				batches = append(batches, bt)
			}
			st, err := vulndb.Write(ctx, dbPath(g), batches...)
			if err != nil {
				return err
			}
			for _, bt := range batches {
				fmt.Fprintf(g.Stdout, "imported %d %s records from %s\n", bt.Meta.Records, bt.Meta.Kind, bt.Meta.Location)
			}
			fmt.Fprintf(g.Stdout, "database %s: %d sources\n", st.Path, len(st.Sources))
			return nil
		},
	}
}

func readImport(ctx context.Context, g *cliutil.Globals, p string) (*vulndb.Batch, error) {
	kind, err := vulndb.DetectKind(p)
	if err != nil {
		return nil, err
	}
	g.Logf("%s: %s", p, kind)
	switch kind {
	case vulndb.KindKEV:
		return vulndb.ReadKEV(p)
	case vulndb.KindEPSS:
		return vulndb.ReadEPSS(p)
	}
	return vulndb.ReadOSV(ctx, p, readOptions(g))
}

// queryJSON is the `db query --format json` document (docs/db.md).
type queryJSON struct {
	Package         queryPackage           `json:"package"`
	Vulnerabilities []vulndb.Vulnerability `json:"vulnerabilities"`
	Warnings        []string               `json:"warnings,omitempty"` // e.g. a lower-case Go path matched ignoring case
}

type queryPackage struct {
	PURL          string `json:"purl"`
	Ecosystem     string `json:"ecosystem"`
	Name          string `json:"name"`
	Version       string `json:"version"`
	SourceName    string `json:"source_name,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`
}

func newDBQueryCmd(g *cliutil.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "query PURL",
		Short: "List the advisories affecting one package version",
		Long: `List the advisories that affect one package version, given as a package URL.
Records that alias each other are reported once, under the ecosystem's own id
(GO-, DSA-/DLA-, PYSEC-, GHSA-…) with the other ids as aliases.

Distro packages: deb and apk PURLs need the release in the distro qualifier
(distro=debian-12, distro=bookworm, distro=alpine-3.19). Distro advisories are
keyed by source package: pass ?source=NAME when the binary package name differs
(libssl3 → source openssl); without it the name is taken as the source name.`,
		Example: `  sightline db query pkg:golang/golang.org/x/text@v0.3.5
  sightline db query 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&source=openssl' --format json
  sightline db query pkg:npm/lodash@4.17.15`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.CheckFormat("table", "json"); err != nil {
				return err
			}
			q, err := match.FromPURL(args[0])
			if err != nil {
				return cliutil.Usage(err)
			}
			db, err := openDB(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer db.Close()
			m := match.New(db)
			vulns, err := m.Match(cmd.Context(), q)
			if err != nil {
				return cliutil.Usage(err)
			}
			notes := m.Notes()
			for _, n := range notes {
				fmt.Fprintln(g.Stderr, "warning: "+n)
			}
			if vulns == nil {
				vulns = []vulndb.Vulnerability{}
			}
			doc := queryJSON{Package: queryPackage{PURL: args[0], Ecosystem: q.Ecosystem, Name: q.Name, Version: q.Version,
				SourceName: q.SourceName, SourceVersion: q.SourceVersion}, Vulnerabilities: vulns, Warnings: notes}
			if g.Format == "json" {
				return writeJSON(g.Stdout, doc)
			}
			return printQueryTable(g.Stdout, doc)
		},
	}
}

func printQueryTable(w io.Writer, doc queryJSON) error {
	if len(doc.Vulnerabilities) == 0 {
		_, err := fmt.Fprintf(w, "no known advisories for %s %s %s\n", doc.Package.Ecosystem, doc.Package.Name, doc.Package.Version)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tFIXED IN\tKEV\tEPSS\tALIASES\tSUMMARY")
	for _, v := range doc.Vulnerabilities {
		sev := v.Severity.Level
		if v.Severity.Score > 0 {
			sev = fmt.Sprintf("%s %.1f", sev, v.Severity.Score)
		}
		fixed := strings.Join(v.FixedVersions, ", ")
		if fixed == "" {
			fixed = "not fixed"
		}
		kev, epss := "-", "-"
		if v.KEV != nil {
			kev = "yes"
		}
		if v.EPSS != nil {
			epss = fmt.Sprintf("%.3f", v.EPSS.Score)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, sev, fixed, kev, epss, strings.Join(v.Aliases, " "), truncate(v.Summary, 60))
	}
	return tw.Flush()
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func newDBStatusCmd(g *cliutil.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the database's sources, record counts and data age",
		Long: `Show where the database is, when it was built, its schema version and, per
source, the record count, when it was fetched and how old its data is. Sources
whose data is older than 7 days are marked stale (a warning, never an error).`,
		Example: `  sightline db status
  sightline db status --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.CheckFormat("table", "json"); err != nil {
				return err
			}
			db, err := openDB(cmd.Context(), g)
			if err != nil {
				return err
			}
			st := db.Status()
			db.Close()
			if g.Format == "json" {
				return writeJSON(g.Stdout, st)
			}
			return printStatus(g.Stdout, st)
		},
	}
}

func printStatus(w io.Writer, st vulndb.Status) error {
	fmt.Fprintf(w, "database: %s\nschema:   %d\nbuilt:    %s (%s ago)\n\n", st.Path, st.SchemaVersion,
		st.BuiltAt.Format(time.RFC3339), vulndb.FormatAge(time.Since(st.BuiltAt)))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tRECORDS\tFETCHED\tDATA DATE\tAGE\tSTALE")
	for _, s := range st.Sources {
		data := "-"
		if !s.Modified.IsZero() {
			data = s.Modified.Format("2006-01-02")
		}
		stale := "no"
		if s.Stale {
			stale = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, s.Records, s.FetchedAt.Format("2006-01-02 15:04"), data, s.Age, stale)
	}
	return tw.Flush()
}

func newDBUpdateCmd(g *cliutil.Globals) *cobra.Command {
	var o vulndb.UpdateOptions
	var from, ecos string
	c := &cobra.Command{
		Use:   "update",
		Short: "Fetch what changed from OSV, CISA KEV and EPSS (or load a bundle)",
		Long: `Fetch advisory data and replace only the sources that changed.

OSV comes from an osv.dev-style mirror holding <Ecosystem>/all.zip (default:
OSV's public bucket, ` + vulndb.DefaultMirror + `); --mirror takes another
URL or a local directory with the same layout. Downloads are conditional
(ETag / Last-Modified), so an unchanged source costs one request. A source
that cannot be fetched is reported and its previous data kept.

--from FILE loads a bundle written by 'sightline db export' (air-gapped
machines): its checksum and schema are verified before anything is replaced.
--offline never touches the network: URL sources are skipped.`,
		Example: `  sightline db update
  sightline db update --ecosystems Go,npm,PyPI --kev none --epss none
  sightline db update --mirror /srv/osv-mirror --offline
  sightline db update --from sightline-db.tar.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if from != "" {
				m, err := vulndb.ImportBundle(ctx, from, dbPath(g))
				if err != nil {
					return cliutil.Usage(err)
				}
				fmt.Fprintf(g.Stdout, "loaded bundle %s (built %s, sha256 %s) into %s\n", from, m.BuiltAt.Format(time.RFC3339), m.SHA256, dbPath(g))
				return nil
			}
			for _, e := range strings.Split(ecos, ",") {
				if e = strings.TrimSpace(e); e != "" {
					o.Ecosystems = append(o.Ecosystems, e) // "Go, npm" as users type it
				}
			}
			o.Read = readOptions(g)
			o.Logf = func(f string, a ...any) { fmt.Fprintf(g.Stderr, f+"\n", a...) }
			res, err := vulndb.Update(ctx, dbPath(g), o)
			endProgress(g)
			for _, r := range res {
				line := fmt.Sprintf("%-16s %-9s %d records", r.Name, r.Action, r.Records)
				if r.Error != "" {
					line += "  (" + r.Error + ")"
				}
				fmt.Fprintln(g.Stdout, line)
			}
			if err != nil {
				if errors.Is(err, vulndb.ErrUnknownEcosystem) {
					return cliutil.Usage(err)
				}
				return err
			}
			// Open reports a missing DB itself; only an opened DB can be stale.
			if db, err := vulndb.Open(ctx, dbPath(g)); err == nil {
				warnStale(g, db.Status())
				db.Close()
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.Mirror, "mirror", "", "OSV mirror: base URL or directory with <Ecosystem>/all.zip (default OSV's bucket)")
	f.StringVar(&ecos, "ecosystems", "", "comma-separated OSV ecosystems (default "+strings.Join(vulndb.DefaultEcosystems, ",")+")")
	f.StringVar(&o.KEV, "kev", "", "CISA KEV catalog URL or file; none to skip (default CISA's feed)")
	f.StringVar(&o.EPSS, "epss", "", "EPSS CSV(.gz) URL or file; none to skip (default FIRST's daily file)")
	f.StringVar(&from, "from", "", "load a bundle written by `db export` instead of fetching")
	f.BoolVar(&o.Offline, "offline", false, "never touch the network (URL sources are skipped)")
	return c
}

func newDBExportCmd(g *cliutil.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "export FILE",
		Short: "Write the database as a checksummed bundle for air-gapped machines",
		Long: `Write the database as one bundle file (gzip'd tar: manifest.json with the
SHA-256 and size of the database, then the database). Load it elsewhere with
'sightline db update --from FILE', which verifies it before replacing anything.`,
		Example: `  sightline db export sightline-db.tar.gz
  sightline --cache-dir /airgap/cache db update --from sightline-db.tar.gz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := vulndb.Export(cmd.Context(), dbPath(g), args[0])
			if errors.Is(err, vulndb.ErrNoDB) {
				return cliutil.Usage(err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.Stdout, "wrote %s (database %d bytes, sha256 %s)\n", args[0], m.Size, m.SHA256)
			return nil
		},
	}
}
