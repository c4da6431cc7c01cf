package vulndb

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Reading the distributions' own feeds (ALAS updateinfo, ELSA OVAL) from
// files, for `db import` and `db update`.

type feedParser func(ctx context.Context, name string, r io.Reader) ([]*Parsed, error)

// ReadALAS reads Amazon Linux updateinfo files (plain XML or gzip, told
// by content) as one import source named "alas:<absolute path of the
// first>". An advisory found in several files is kept once (dedupeByID).
func ReadALAS(ctx context.Context, paths ...string) (*Batch, error) {
	return readFeedImport(ctx, paths, KindALAS, ParseUpdateinfo)
}

// ReadOVAL reads Oracle Linux ELSA OVAL files (plain XML, gzip or bzip2,
// told by content) as one import source named "oval:<absolute path of
// the first>", one record per ELSA id.
func ReadOVAL(ctx context.Context, paths ...string) (*Batch, error) {
	return readFeedImport(ctx, paths, KindOVAL, ParseOVAL)
}

func readFeedImport(ctx context.Context, paths []string, kind string, parse feedParser) (*Batch, error) {
	if len(paths) == 0 {
		return nil, errors.New("no file to read")
	}
	abs, err := filepath.Abs(paths[0])
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", paths[0], err)
	}
	var recs []*Parsed
	sum := ""
	for _, p := range paths {
		r, s, err := readFeedFile(ctx, p, parse)
		if err != nil {
			return nil, err
		}
		recs, sum = append(recs, r...), s
	}
	if len(paths) > 1 {
		sum = "" // the checksum describes single files only
	}
	bt := &Batch{Meta: SourceMeta{Name: kind + ":" + abs, Kind: kind, Location: abs,
		FetchedAt: time.Now().UTC(), SHA256: sum}, Records: dedupeByID(recs)}
	bt.Meta.Modified = newest(bt.Records)
	return bt, nil
}

// readFeedFile parses one feed file, decompressing by magic bytes, and
// returns its advisories (one per id) and the SHA-256 of the file.
func readFeedFile(ctx context.Context, p string, parse feedParser) ([]*Parsed, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	r, err := decompressed(io.TeeReader(f, h))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", p, err)
	}
	recs, err := parse(ctx, p, r)
	if err != nil {
		return nil, "", err
	}
	// Hash what the parser left unread too (trailing bytes).
	if _, err := io.Copy(h, f); err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", p, err)
	}
	return dedupeByID(recs), hex.EncodeToString(h.Sum(nil)), nil
}

// decompressed undoes gzip or bzip2 compression, told by magic bytes
// (downloads are often saved without their extension).
func decompressed(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), nil
	}
	return br, nil
}

// Fetching the feeds for `db update`.

// amazonMirrorLists are the mirror.list URLs of each Amazon Linux
// release's core repository, as its yum/dnf configuration uses them.
// Every line of a mirror.list is a repository root holding
// repodata/repomd.xml, which locates repodata/updateinfo.xml.gz and gives
// its SHA-256.
var amazonMirrorLists = map[string]string{
	"1":    "http://repo.us-west-2.amazonaws.com/2018.03/updates/x86_64/mirror.list",
	"2":    "https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list",
	"2022": "https://cdn.amazonlinux.com/al2022/core/mirrors/latest/x86_64/mirror.list",
	"2023": "https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list",
}

// defaultAmazonReleases are fetched for the ecosystem "Amazon Linux"
// without a release (2022 was a preview, superseded by 2023).
var defaultAmazonReleases = []string{"1", "2", "2023"}

// oracleOVALFile is the file name of the ELSA export under a mirror.
const oracleOVALFile = "com.oracle.elsa-all.xml.bz2"

// feedSources returns the update sources of a distribution whose
// advisories come from its own feed rather than OSV ("Amazon Linux",
// "Amazon Linux:2023", "Oracle Linux"); ok is false for OSV ecosystems.
// With a mirror (URL or directory) the feeds are read from
// <mirror>/<Ecosystem>/: for Amazon Linux that directory is a repository
// root (repodata/repomd.xml and the updateinfo it names), for Oracle
// Linux it holds com.oracle.elsa-all.xml.bz2.
func feedSources(eco, mirror string) (srcs []updSource, ok bool, err error) {
	base, rel, _ := strings.Cut(eco, ":")
	under := func(dir string, parts ...string) string {
		if isURL(mirror) {
			u := strings.TrimRight(mirror, "/") + "/" + url.PathEscape(dir)
			for _, p := range parts {
				u += "/" + p
			}
			return u
		}
		return filepath.Join(append([]string{mirror, dir}, parts...)...)
	}
	switch base {
	case "Amazon Linux":
		rels := []string{rel}
		if rel == "" {
			rels = defaultAmazonReleases
		}
		for _, r := range rels {
			ml, known := amazonMirrorLists[r]
			if !known {
				return nil, true, fmt.Errorf("%w %q (Amazon Linux releases: 1, 2, 2022, 2023)", ErrUnknownEcosystem, eco)
			}
			loc := ml
			if mirror != DefaultMirror {
				loc = under("Amazon Linux:" + r)
			}
			srcs = append(srcs, updSource{"alas:Amazon Linux:" + r, KindALAS, loc})
		}
		return srcs, true, nil
	case "Oracle Linux":
		loc := DefaultOracleOVALURL
		if mirror != DefaultMirror {
			loc = under("Oracle Linux", oracleOVALFile)
		}
		return []updSource{{"oval:Oracle Linux", KindOVAL, loc}}, true, nil
	}
	return nil, false, nil
}

type repomd struct {
	Data []struct {
		Type     string `xml:"type,attr"`
		Checksum struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"checksum"`
		Location struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
	} `xml:"data"`
}

// fetchRepo makes an Amazon Linux updateinfo available as a local file:
// mirror.list → repository roots, tried in order → repodata/repomd.xml →
// the updateinfo it names, whose SHA-256 must match repomd's. When that
// checksum equals the stored one, nothing is downloaded (notModified).
func (u *updater) fetchRepo(ctx context.Context, s updSource, prev SourceMeta, had bool) (string, SourceMeta, bool, error) {
	meta := SourceMeta{Name: s.name, Kind: s.kind, Location: s.loc, FetchedAt: time.Now().UTC()}
	roots := []string{s.loc}
	if strings.HasSuffix(s.loc, "mirror.list") {
		b, err := u.getBytes(ctx, s.loc)
		if err != nil {
			return "", meta, false, err
		}
		if roots = mirrorRoots(b); len(roots) == 0 {
			return "", meta, false, fmt.Errorf("%s: no repository URL in the mirror list", s.loc)
		}
	}
	var errs []error
	for _, root := range roots {
		file, sum, err := u.fromRepo(ctx, root, prev, had)
		if err == nil {
			meta.SHA256 = sum
			return file, meta, file == "", nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return "", meta, false, errors.Join(errs...)
}

// mirrorRoots reads a mirror.list: one repository URL per line.
func mirrorRoots(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); isURL(l) {
			out = append(out, l)
		}
	}
	return out
}

// fromRepo reads one repository root (URL or directory). It returns ""
// as the file when the updateinfo checksum equals the stored one.
func (u *updater) fromRepo(ctx context.Context, root string, prev SourceMeta, had bool) (string, string, error) {
	join := func(p string) string {
		if isURL(root) {
			return strings.TrimRight(root, "/") + "/" + p
		}
		return filepath.Join(root, filepath.FromSlash(p))
	}
	mdLoc := join("repodata/repomd.xml")
	b, err := u.getBytes(ctx, mdLoc)
	if err != nil {
		return "", "", err
	}
	var md repomd
	if err := xml.Unmarshal(b, &md); err != nil {
		return "", "", fmt.Errorf("%s: invalid repomd.xml: %w", mdLoc, err)
	}
	for _, d := range md.Data {
		if d.Type != "updateinfo" {
			continue
		}
		href := d.Location.Href
		if err := checkEntryName(href); err != nil || href == "" || strings.Contains(href, "://") {
			return "", "", fmt.Errorf("%s: updateinfo location %q is not a path inside the repository", mdLoc, href)
		}
		want := ""
		if d.Checksum.Type == "sha256" {
			want = strings.ToLower(strings.TrimSpace(d.Checksum.Value))
		}
		if had && want != "" && want == prev.SHA256 {
			return "", want, nil
		}
		return u.getFile(ctx, join(href), want)
	}
	return "", "", fmt.Errorf("%s: the repository publishes no updateinfo", mdLoc)
}

// getBytes reads a small file from a URL or a local path.
func (u *updater) getBytes(ctx context.Context, loc string) ([]byte, error) {
	if !isURL(loc) {
		return readFileLimited(loc, MaxRepoMetadataBytes, "a mirror.list or repomd.xml")
	}
	resp, err := u.get(ctx, loc)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := readAllLimited(resp.Body, MaxRepoMetadataBytes, "a mirror.list or repomd.xml")
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", loc, err)
	}
	return b, nil
}

// getFile makes loc available as a file (URL: downloaded to a temporary
// file; path: used in place) and checks its SHA-256 when want is set.
func (u *updater) getFile(ctx context.Context, loc, want string) (string, string, error) {
	if !isURL(loc) {
		sum, err := fileSHA256(loc)
		if err != nil {
			return "", "", err
		}
		if want != "" && sum != want {
			return "", "", fmt.Errorf("%s: SHA-256 %s does not match repomd.xml's %s", loc, sum, want)
		}
		return loc, sum, nil
	}
	resp, err := u.get(ctx, loc)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	f, err := os.CreateTemp(u.o.TempDir, "download-*")
	if err != nil {
		return "", "", fmt.Errorf("staging %s: %w", loc, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, MaxDownloadBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	sum := hex.EncodeToString(h.Sum(nil))
	switch {
	case err == nil && n > MaxDownloadBytes:
		err = fmt.Errorf("larger than the %s limit for one download", FormatBytes(MaxDownloadBytes))
	case err == nil && want != "" && sum != want:
		err = fmt.Errorf("SHA-256 %s does not match repomd.xml's %s", sum, want)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", fmt.Errorf("downloading %s: %w", loc, err)
	}
	return f.Name(), sum, nil
}

func (u *updater) get(ctx context.Context, loc string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	req.Header.Set("User-Agent", "sightline-db-update")
	resp, err := u.o.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", loc, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("fetching %s: HTTP %s", loc, resp.Status)
	}
	return resp, nil
}

// readFeedBatch parses a fetched feed file for Update.
func readFeedBatch(ctx context.Context, file, kind string, parse feedParser) (*Batch, error) {
	recs, _, err := readFeedFile(ctx, file, parse)
	if err != nil {
		return nil, err
	}
	bt := &Batch{Meta: SourceMeta{Kind: kind}, Records: recs}
	bt.Meta.Modified = newest(recs)
	return bt, nil
}
