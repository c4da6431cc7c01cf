package vulndb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// Default upstreams of `db update`.
const (
	DefaultMirror = "https://osv-vulnerabilities.storage.googleapis.com"
	DefaultKEVURL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	// FIRST publishes the daily EPSS file through Empirical Security since 2025.
	DefaultEPSSURL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
)

// DefaultEcosystems are fetched by `db update` unless --ecosystems says
// otherwise: the language ecosystems and distros Sightline inventories.
// "Amazon Linux" and "Oracle Linux" come from the vendors' own feeds
// (ALAS updateinfo, ELSA OVAL; see feedSources), the rest from OSV.
var DefaultEcosystems = []string{"Alpine", "Debian", "Ubuntu", "Amazon Linux", "Oracle Linux", "Go", "npm", "PyPI", "Maven", "RubyGems", "crates.io", "NuGet", "Packagist"}

// ErrUnknownEcosystem is returned (wrapped) by Update for an ecosystem
// name without a version ordering: a typo in the user's input.
var ErrUnknownEcosystem = errors.New("unknown ecosystem")

// UpdateOptions configure Update.
type UpdateOptions struct {
	Mirror     string   // base URL or local directory with <Ecosystem>/all.zip; "" = DefaultMirror
	Ecosystems []string // "" = DefaultEcosystems
	KEV, EPSS  string   // URL or file; "" = default URL; "none" = skip
	Offline    bool     // never touch the network: URL sources are skipped
	Client     *http.Client
	TempDir    string // where downloads are staged; "" = next to the database
	Read       ReadOptions
	Logf       func(format string, args ...any) // progress lines (shown with -v)
	// Warnf receives what the user must always see (a damaged database
	// being rebuilt); nil means Logf.
	Warnf func(format string, args ...any)
	// Feeds overrides the location (URL or path) of distribution feed
	// sources by source name ("alas:Amazon Linux:2023" → a mirror.list
	// URL or repository root, "oval:Oracle Linux" → an OVAL file).
	Feeds map[string]string
}

// SourceResult is what Update did with one source.
type SourceResult struct {
	Name    string `json:"name"`
	Action  string `json:"action"` // "updated", "unchanged", "skipped", "failed"
	Records int    `json:"records,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Update fetches each configured source, replaces the ones that changed
// and keeps the rest. A source that cannot be fetched is reported (and
// its previous data kept), never fatal while a database exists.
func Update(ctx context.Context, dbPath string, o UpdateOptions) ([]SourceResult, error) {
	if o.Mirror == "" {
		o.Mirror = DefaultMirror
	}
	if len(o.Ecosystems) == 0 {
		o.Ecosystems = DefaultEcosystems
	}
	for _, e := range o.Ecosystems {
		if !version.Supported(e) {
			return nil, fmt.Errorf("%w %q (OSV ecosystem names are case-sensitive, e.g. Go, npm, PyPI, Debian)", ErrUnknownEcosystem, e)
		}
		if _, _, err := feedSources(e, o.Mirror); err != nil {
			return nil, err
		}
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if o.TempDir == "" {
		o.TempDir = filepath.Dir(dbPath)
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Warnf == nil {
		o.Warnf = o.Logf
	}
	if err := os.MkdirAll(o.TempDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", o.TempDir, err)
	}
	prev := previous(ctx, dbPath, o.Warnf)
	u := &updater{o: o, prev: prev}
	var batches []*Batch
	var results []SourceResult
	for _, s := range u.sources() {
		bt, res := u.one(ctx, s)
		results = append(results, res)
		if bt != nil {
			batches = append(batches, bt)
		}
	}
	if err := ctx.Err(); err != nil {
		return results, err
	}
	if len(batches) == 0 {
		if len(prev.Sources) == 0 {
			return results, errors.New("no source could be read and there is no database yet: use --mirror DIR, `db import` or `db update --from BUNDLE` offline")
		}
		return results, nil
	}
	if _, err := Write(ctx, dbPath, batches...); err != nil {
		return results, err
	}
	return results, nil
}

// previous is the status of the installed database, whose sources may
// be fetched conditionally (ETag, checksum). A damaged database is fully
// checked here and counts as none: every source is fetched anew and the
// file is rebuilt, which is how `db update` repairs it.
func previous(ctx context.Context, dbPath string, logf func(string, ...any)) Status {
	db, err := Open(ctx, dbPath)
	if err == nil {
		err = db.verify(ctx)
		st := db.Status()
		db.Close()
		if err == nil {
			return st
		}
	}
	if d := (*DamagedError)(nil); errors.As(err, &d) {
		logf("advisory database %s is damaged (%v): rebuilding it from every source", d.Path, d.Err)
	}
	return Status{}
}

type updSource struct {
	name, kind, loc string
}

type updater struct {
	o    UpdateOptions
	prev Status
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func (u *updater) sources() []updSource {
	var out []updSource
	seen := map[string]bool{}
	for _, e := range u.o.Ecosystems {
		if feeds, ok, _ := feedSources(e, u.o.Mirror); ok {
			for _, f := range feeds {
				if loc := u.o.Feeds[f.name]; loc != "" {
					f.loc = loc
				}
				if !seen[f.name] {
					seen[f.name] = true
					out = append(out, f)
				}
			}
			continue
		}
		var loc string
		if isURL(u.o.Mirror) {
			loc = strings.TrimRight(u.o.Mirror, "/") + "/" + url.PathEscape(e) + "/all.zip"
		} else {
			loc = filepath.Join(u.o.Mirror, e, "all.zip")
		}
		out = append(out, updSource{"osv:" + e, KindOSV, loc})
	}
	if u.o.KEV != "none" {
		out = append(out, updSource{"kev", KindKEV, firstNonEmpty(u.o.KEV, DefaultKEVURL)})
	}
	if u.o.EPSS != "none" {
		out = append(out, updSource{"epss", KindEPSS, firstNonEmpty(u.o.EPSS, DefaultEPSSURL)})
	}
	return out
}

func (u *updater) one(ctx context.Context, s updSource) (*Batch, SourceResult) {
	res := SourceResult{Name: s.name}
	prev, had := u.prev.Source(s.name)
	fail := func(err error) (*Batch, SourceResult) {
		res.Action, res.Error = "failed", err.Error()
		if had {
			u.o.Logf("warning: %s: %v (keeping the previous data)", s.name, err)
		}
		return nil, res
	}
	if isURL(s.loc) && u.o.Offline {
		res.Action = "skipped"
		return nil, res
	}
	fetch := u.fetch
	if s.kind == KindALAS {
		fetch = u.fetchRepo
	}
	file, meta, notModified, err := fetch(ctx, s, prev, had)
	if err != nil {
		return fail(err)
	}
	if isURL(s.loc) && file != "" {
		defer os.Remove(file) // a download; local files are read in place
	}
	if notModified || (had && meta.SHA256 != "" && meta.SHA256 == prev.SHA256) {
		meta.Records, meta.Modified = prev.Records, prev.Modified
		res.Action, res.Records = "unchanged", prev.Records
		u.o.Logf("%s: unchanged", s.name)
		return &Batch{Meta: meta, Unchanged: true}, res
	}
	u.o.Logf("%s: reading %s", s.name, s.loc)
	bt, err := readSource(ctx, s, file, u.o.Read)
	if err != nil {
		return fail(err)
	}
	bt.Meta.Name, bt.Meta.Location, bt.Meta.FetchedAt = s.name, s.loc, meta.FetchedAt
	bt.Meta.ETag, bt.Meta.LastModified, bt.Meta.SHA256 = meta.ETag, meta.LastModified, meta.SHA256
	res.Action, res.Records = "updated", bt.count()
	return bt, res
}

func readSource(ctx context.Context, s updSource, file string, ro ReadOptions) (*Batch, error) {
	switch s.kind {
	case KindKEV:
		return ReadKEV(file)
	case KindEPSS:
		return ReadEPSS(file)
	case KindALAS:
		return readFeedBatch(ctx, file, KindALAS, ParseUpdateinfo)
	case KindOVAL:
		return readFeedBatch(ctx, file, KindOVAL, ParseOVAL)
	}
	return ReadOSVZip(ctx, file, s.name, s.loc, ro)
}

// fetch makes the source's bytes available as a local file. For URLs it
// sends the previous ETag / Last-Modified and reports notModified on 304.
func (u *updater) fetch(ctx context.Context, s updSource, prev SourceMeta, had bool) (string, SourceMeta, bool, error) {
	meta := SourceMeta{Name: s.name, Kind: s.kind, Location: s.loc, FetchedAt: time.Now().UTC()}
	if !isURL(s.loc) {
		sum, err := fileSHA256(s.loc)
		if err != nil {
			return "", meta, false, err
		}
		meta.SHA256 = sum
		return s.loc, meta, false, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.loc, nil)
	if err != nil {
		return "", meta, false, fmt.Errorf("%s: %w", s.loc, err)
	}
	req.Header.Set("User-Agent", "sightline-db-update")
	if had && prev.Location == s.loc {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := u.o.Client.Do(req)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // *url.Error repeats the method and URL named below
	}
	if err != nil {
		return "", meta, false, fmt.Errorf("fetching %s: %w", s.loc, err)
	}
	defer resp.Body.Close()
	meta.ETag, meta.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	switch {
	case resp.StatusCode == http.StatusNotModified && had:
		meta.ETag, meta.LastModified, meta.SHA256 = firstNonEmpty(meta.ETag, prev.ETag), firstNonEmpty(meta.LastModified, prev.LastModified), prev.SHA256
		return "", meta, true, nil
	case resp.StatusCode != http.StatusOK:
		return "", meta, false, fmt.Errorf("fetching %s: HTTP %s", s.loc, resp.Status)
	}
	f, err := os.CreateTemp(u.o.TempDir, "download-*"+downloadExt(s))
	if err != nil {
		return "", meta, false, fmt.Errorf("staging %s: %w", s.loc, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, MaxDownloadBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > MaxDownloadBytes {
		err = fmt.Errorf("larger than the %s limit for one download", FormatBytes(MaxDownloadBytes))
	}
	if err != nil {
		os.Remove(f.Name())
		return "", meta, false, fmt.Errorf("downloading %s: %w", s.loc, err)
	}
	meta.SHA256 = hex.EncodeToString(h.Sum(nil))
	return f.Name(), meta, false, nil
}

func downloadExt(s updSource) string {
	if s.kind == KindOSV {
		return ".zip"
	}
	return ""
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
