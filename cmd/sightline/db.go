package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/textfit"
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

// warnStale prints one warning line naming every stale source and the
// age of its data (newest record), never the database's build time.
func warnStale(g *cliutil.Globals, st vulndb.Status) {
	if sum := st.StaleSummary(); sum != "" {
		g.Warnf("advisory data is stale: %s; run `sightline db update`", sum)
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
		Short: "Import OSV data, distro feeds (ALAS, ELSA OVAL), a CISA KEV catalog or an EPSS file",
		Long: `Import local advisory data into the database, offline. Each PATH is detected:
  - a directory tree of OSV records (.json, .yaml, .yml), an OSV zip (such as
    osv.dev's <Ecosystem>/all.zip) or a single OSV record;
  - an Amazon Linux updateinfo.xml (plain or .gz: ALAS advisories);
  - an Oracle Linux OVAL file (plain, .gz or .bz2, such as
    com.oracle.elsa-all.xml.bz2: ELSA advisories);
  - the CISA KEV catalog (known_exploited_vulnerabilities.json);
  - FIRST EPSS scores: the daily CSV (plain or .gz, "cve,epss,percentile") or
    vulsio's JSON form ({"score_date", "data": [{"id","epss"}]}).
Re-importing the same path replaces what it imported before. A bad file stops
the import with an error naming it; the database is left as it was.`,
		Example: `  sightline db import testdata/quickstart
  sightline db import ~/osv/Go/all.zip known_exploited_vulnerabilities.json epss_scores-current.csv.gz
  sightline db import updateinfo.xml.gz com.oracle.elsa-all.xml.bz2`,
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
			if st.Dropped != "" {
				g.Warnf("%s: a new database was built from this import only; re-import the other sources or run `sightline db update`", st.Dropped)
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
	case vulndb.KindALAS:
		return vulndb.ReadALAS(ctx, p)
	case vulndb.KindOVAL:
		return vulndb.ReadOVAL(ctx, p)
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

Distro packages: deb, apk and rpm PURLs need the release in the distro qualifier
(distro=debian-12, distro=bookworm, distro=alpine-3.19, distro=amzn-2023,
distro=ol-8.3). Debian, Ubuntu and Alpine advisories are keyed by source
package: pass ?source=NAME when the binary package name differs (libssl3 →
source openssl); without it the name is taken as the source name. rpm PURLs
name the binary package; their epoch=N and arch=X qualifiers count.`,
		Example: `  sightline db query pkg:golang/golang.org/x/text@v0.3.5
  sightline db query 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&source=openssl' --format json
  sightline db query pkg:npm/lodash@4.17.15
  sightline db query 'pkg:rpm/amzn/openssl-libs@3.0.8-1.amzn2023.0.4?arch=x86_64&distro=amzn-2023&epoch=1'`,
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
			var un *match.UncheckedError
			if errors.As(err, &un) {
				// Never "no known advisories" for a query that was not
				// answered: exit 2 saying why (docs/db.md).
				return cliutil.Usagef("cannot check %s: %s (%s)", args[0], un.Detail, un.Reason)
			}
			if err != nil {
				return err
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
			return printQueryTable(g.Stdout, doc, g.Width())
		},
	}
}

// printQueryTable writes one row per advisory, fitted to width columns:
// the summary column wraps and carries the aliases ("aka …").
func printQueryTable(w io.Writer, doc queryJSON, width int) error {
	if len(doc.Vulnerabilities) == 0 {
		_, err := fmt.Fprintf(w, "no known advisories for %s %s %s\n", doc.Package.Ecosystem, doc.Package.Name, doc.Package.Version)
		return err
	}
	t := textfit.Table{Header: []string{"ID", "SEVERITY", "FIXED IN", "KEV", "EPSS", "SUMMARY"}, Width: width}
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
		summary := truncate(v.Summary, 120)
		if len(v.Aliases) > 0 {
			summary = "aka " + strings.Join(v.Aliases, ", ") + " — " + summary
		}
		t.Add(v.ID, sev, fixed, kev, epss, summary)
	}
	return t.Write(w)
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
whose data is older than 7 days are marked stale (a warning, never an error).
Then, per ecosystem (release included: Alpine:v3.19, Debian:12), the records
held and the age of the newest one: packages of an ecosystem not listed are
reported as not checked by scans, never as clean.`,
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
			return printStatus(g.Stdout, st, g.Width())
		},
	}
}

func printStatus(w io.Writer, st vulndb.Status, width int) error {
	fmt.Fprintf(w, "database: %s\nschema:   %d\nbuilt:    %s (%s ago)\n\n", st.Path, st.SchemaVersion,
		st.BuiltAt.Format(time.RFC3339), vulndb.FormatAge(time.Since(st.BuiltAt)))
	// SOURCE comes last: it is the long column (an imported path) and wraps.
	t := textfit.Table{Header: []string{"KIND", "RECORDS", "FETCHED", "DATA DATE", "AGE", "STALE", "SOURCE"}, Width: width, MinLast: 16}
	for _, s := range st.Sources {
		data := "-"
		if !s.Modified.IsZero() {
			data = s.Modified.Format("2006-01-02")
		}
		stale := "no"
		if s.Stale {
			stale = "yes"
		}
		t.Add(s.Kind, strconv.Itoa(s.Records), s.FetchedAt.Format("2006-01-02 15:04"), data, s.Age, stale, s.Name)
	}
	if err := t.Write(w); err != nil {
		return err
	}
	return printEcosystems(w, st.Ecosystems, width)
}

// printEcosystems lists what the database can check, per ecosystem.
func printEcosystems(w io.Writer, ecos []vulndb.EcosystemStatus, width int) error {
	fmt.Fprintf(w, "\n%d ecosystems with advisories (packages of any other are not checked)\n", len(ecos))
	if len(ecos) == 0 {
		return nil
	}
	t := textfit.Table{Header: []string{"RECORDS", "NEWEST", "AGE", "ECOSYSTEM"}, Width: width, MinLast: 16}
	for _, e := range ecos {
		newest, age := "-", "-"
		if !e.Newest.IsZero() {
			newest, age = e.Newest.Format("2006-01-02"), e.Age
		}
		records := strconv.Itoa(e.Records)
		if e.Records == 0 {
			records = "?" // written before per-ecosystem counts: re-import to count
		}
		t.Add(records, newest, age, e.Ecosystem)
	}
	return t.Write(w)
}

// envTrustedKey configures a trusted bundle key for a whole machine: set,
// `db update --from` refuses bundles it did not sign (docs/db.md).
const envTrustedKey = "SIGHTLINE_DB_TRUSTED_KEY"

// bundleOptions turns --trusted-key/--signature (or envTrustedKey) into
// the signature check of a bundle import.
func bundleOptions(keys []string, sig string) (vulndb.BundleOptions, error) {
	if len(keys) == 0 {
		if env := strings.TrimSpace(os.Getenv(envTrustedKey)); env != "" {
			keys = []string{env}
		}
	}
	var o vulndb.BundleOptions
	for _, k := range keys {
		tk, err := vulndb.LoadTrustedKey(k)
		if err != nil {
			return o, cliutil.Usage(err)
		}
		o.TrustedKeys = append(o.TrustedKeys, tk)
	}
	if sig != "" && len(o.TrustedKeys) == 0 {
		return o, cliutil.Usagef("--signature needs --trusted-key (or %s): a signature is only worth checking against a key you trust", envTrustedKey)
	}
	o.Signature = sig
	return o, nil
}

func newDBUpdateCmd(g *cliutil.Globals) *cobra.Command {
	var o vulndb.UpdateOptions
	var from, ecos, sig string
	var keys []string
	c := &cobra.Command{
		Use:   "update",
		Short: "Fetch what changed from OSV, CISA KEV and EPSS (or load a bundle)",
		Long: `Fetch advisory data and replace only the sources that changed.

OSV comes from an osv.dev-style mirror holding <Ecosystem>/all.zip (default:
OSV's public bucket, ` + vulndb.DefaultMirror + `); --mirror takes another
URL or a local directory with the same layout. "Amazon Linux" (releases 1, 2,
2023; or one, "Amazon Linux:2023") comes from each release's repository
(mirror.list → repodata/repomd.xml → updateinfo.xml.gz, checksum verified) and
"Oracle Linux" from Oracle's ELSA OVAL file; with --mirror they are read from
<mirror>/Amazon Linux:<N>/ (a repository root) and
<mirror>/Oracle Linux/com.oracle.elsa-all.xml.bz2. Downloads are conditional
(ETag / Last-Modified), so an unchanged source costs one request. A source
that cannot be fetched is reported and its previous data kept.

--from FILE loads a bundle written by 'sightline db export' (air-gapped
machines): its checksum, schema and every page of its database are checked
before anything is replaced. The checksum only catches corruption: whoever
can edit the bundle can recompute it. With --trusted-key (a minisign public
key file or "RW..." string; or ` + envTrustedKey + `) the bundle must carry a
signature by that key (FILE.minisig, or --signature) or it is refused.
--offline never touches the network: URL sources are skipped.
Output: one summary line on stdout ("updated 3, unchanged 10, failed 0 …");
per-source lines with -v on stderr, or --format json. A source that fails
keeps its previous data and is named in a warning. Exit codes: 0 when every
source was updated or unchanged, or when some failed but others were
updated (with the warning); 3 when no source could be fetched at all
(network down, mirror unreachable): the previous database, if any, is left
as it was; 2 for bad flags, an unknown ecosystem, or --offline with nothing
but URL sources.`,
		Example: `  sightline db update
  sightline db update --ecosystems Go,npm,PyPI --kev none --epss none
  sightline db update --ecosystems "Amazon Linux:2023,Oracle Linux"
  sightline db update --mirror /srv/osv-mirror --offline
  sightline db update --from sightline-db.tar.gz
  sightline db update --from sightline-db.tar.gz --trusted-key sightline-db.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if from == "" && (len(keys) > 0 || sig != "") {
				return cliutil.Usagef("--trusted-key and --signature check bundles: use them with --from")
			}
			if from != "" {
				bo, err := bundleOptions(keys, sig)
				if err != nil {
					return err
				}
				in, err := vulndb.ImportBundleWith(ctx, from, dbPath(g), bo)
				if err != nil {
					return cliutil.Usage(err)
				}
				m := in.Manifest
				fmt.Fprintf(g.Stdout, "loaded bundle %s (built %s, sha256 %s) into %s\n", from, m.BuiltAt.Format(time.RFC3339), m.SHA256, dbPath(g))
				if in.SignedBy != "" {
					fmt.Fprintf(g.Stdout, "signature by trusted key %s verified (%s)\n", in.SignedBy, in.TrustedComment)
				} else {
					g.Warnf("bundle %s was not checked for a signature (no --trusted-key): its checksum catches corruption, not tampering", from)
				}
				return nil
			}
			for _, e := range strings.Split(ecos, ",") {
				if e = strings.TrimSpace(e); e != "" {
					o.Ecosystems = append(o.Ecosystems, e) // "Go, npm" as users type it
				}
			}
			o.Read = readOptions(g)
			o.Logf = g.Logf // per-source progress and errors with -v only
			o.Warnf = g.Warnf
			res, err := vulndb.Update(ctx, dbPath(g), o)
			endProgress(g)
			if errors.Is(err, vulndb.ErrUnknownEcosystem) {
				return cliutil.Usage(err)
			}
			return reportUpdate(ctx, g, res, err)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Mirror, "mirror", "", "OSV mirror: base URL or directory with <Ecosystem>/all.zip (default OSV's bucket)")
	f.StringVar(&ecos, "ecosystems", "", "comma-separated ecosystems: OSV names, \"Amazon Linux[:N]\", \"Oracle Linux\" (default "+strings.Join(vulndb.DefaultEcosystems, ",")+")")
	f.StringVar(&o.KEV, "kev", "", "CISA KEV catalog URL or file; none to skip (default CISA's feed)")
	f.StringVar(&o.EPSS, "epss", "", "EPSS CSV(.gz) URL or file; none to skip (default FIRST's daily file)")
	f.StringVar(&from, "from", "", "load a bundle written by `db export` instead of fetching")
	f.StringArrayVar(&keys, "trusted-key", nil, "with --from: require a signature by this minisign public key (file or RW... string; repeatable; default $"+envTrustedKey+")")
	f.StringVar(&sig, "signature", "", "with --from: the bundle's minisign signature file (default BUNDLE"+vulndb.SignatureExt+")")
	f.BoolVar(&o.Offline, "offline", false, "never touch the network (URL sources are skipped)")
	return c
}

// updateJSON is the `db update --format json` document (docs/db.md).
type updateJSON struct {
	Database string                `json:"database"`
	Sources  []vulndb.SourceResult `json:"sources"`
}

// reportUpdate prints what Update did and maps the outcome to an exit
// code: nothing fetched at all is an environment failure (exit 3),
// everything skipped by --offline a usage error (exit 2).
func reportUpdate(ctx context.Context, g *cliutil.Globals, res []vulndb.SourceResult, uerr error) error {
	counts := map[string]int{}
	var failed []string
	firstErr := ""
	for _, r := range res {
		counts[r.Action]++
		g.Logf("%-16s %-9s %d records%s", r.Name, r.Action, r.Records, parenthesize(r.Error))
		if r.Action == "failed" {
			failed = append(failed, r.Name)
			if firstErr == "" {
				firstErr = r.Error
			}
		}
	}
	if g.Format == "json" {
		if err := writeJSON(g.Stdout, updateJSON{Database: dbPath(g), Sources: res}); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	ok := counts["updated"] + counts["unchanged"]
	switch {
	case ok == 0 && len(failed) > 0:
		return fmt.Errorf("db update: no source could be fetched (%d failed; first: %s); %s",
			len(failed), firstErr, keptNote(uerr))
	case ok == 0 && counts["skipped"] > 0:
		return cliutil.Usagef("db update: nothing to do: --offline skips all %d sources, which are URLs "+
			"(give --mirror DIR, --kev FILE or --epss FILE, or use `db update --from BUNDLE`)", counts["skipped"])
	case uerr != nil:
		return uerr // the database could not be written
	}
	if len(failed) > 0 {
		g.Warnf("db update: %d of %d sources failed and keep their previous data: %s (first error: %s; -v for all)",
			len(failed), len(res), strings.Join(failed, ", "), firstErr)
	}
	if g.Format != "json" {
		fmt.Fprintf(g.Stdout, "updated %d, unchanged %d, failed %d, skipped %d sources: %s\n",
			counts["updated"], counts["unchanged"], len(failed), counts["skipped"], dbPath(g))
	}
	if db, err := vulndb.Open(ctx, dbPath(g)); err == nil {
		warnStale(g, db.Status())
		db.Close()
	}
	return nil
}

// keptNote says what became of the database after a failed update.
func keptNote(uerr error) string {
	if uerr != nil { // Update reports "no database yet"
		return "there is no database yet: use --mirror DIR, `db import` or `db update --from BUNDLE` offline"
	}
	return "the previous database is unchanged"
}

func parenthesize(s string) string {
	if s == "" {
		return ""
	}
	return "  (" + s + ")"
}

func newDBExportCmd(g *cliutil.Globals) *cobra.Command {
	var signKey string
	c := &cobra.Command{
		Use:   "export FILE",
		Short: "Write the database as a checksummed (optionally signed) bundle for air-gapped machines",
		Long: `Write the database as one bundle file (gzip'd tar: manifest.json with the
SHA-256 and size of the database, then the database). The database is fully
checked first: a damaged one is never shipped. Load it elsewhere with
'sightline db update --from FILE', which verifies it before replacing anything.

--sign KEY also writes FILE.minisig, a minisign signature made with the secret
key KEY (minisign -G; an encrypted key's password comes from
` + vulndb.EnvSigningKeyPassword + `). The receiving machine checks it with
--trusted-key; 'minisign -Vm FILE -p KEY.pub' checks it too.`,
		Example: `  sightline db export sightline-db.tar.gz
  sightline db export --sign ~/.minisign/minisign.key sightline-db.tar.gz
  sightline --cache-dir /airgap/cache db update --from sightline-db.tar.gz --trusted-key minisign.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var key vulndb.SigningKey
			if signKey != "" { // before exporting: a bad key wastes no work
				var err error
				if key, err = vulndb.LoadSigningKey(signKey, os.Getenv(vulndb.EnvSigningKeyPassword)); err != nil {
					return cliutil.Usage(err)
				}
			}
			m, err := vulndb.Export(cmd.Context(), dbPath(g), args[0])
			if errors.Is(err, vulndb.ErrNoDB) || errors.Is(err, vulndb.ErrDamaged) {
				return cliutil.Usage(err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.Stdout, "wrote %s (database %d bytes, sha256 %s)\n", args[0], m.Size, m.SHA256)
			if signKey == "" {
				return nil
			}
			comment := fmt.Sprintf("sightline-db-bundle/1 file:%s db-sha256:%s built:%s", filepath.Base(args[0]), m.SHA256, m.BuiltAt.UTC().Format(time.RFC3339))
			if err := vulndb.SignFile(args[0], key, comment); err != nil {
				return err
			}
			fmt.Fprintf(g.Stdout, "wrote %s%s\n", args[0], vulndb.SignatureExt)
			return nil
		},
	}
	c.Flags().StringVar(&signKey, "sign", "", "also write FILE"+vulndb.SignatureExt+", signed with this minisign secret key file")
	return c
}
