package vulndb_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sightline-sec/sightline/internal/vulndb"
)

// repomdFor is a repodata/repomd.xml announcing an updateinfo file: the
// real repomd_valid.xml (Amazon Linux 2, vuln-list-update) with its
// updateinfo checksum replaced by the one of the file the test serves, as
// Amazon's repository would list it.
func repomdFor(t *testing.T, updateinfo []byte) []byte {
	t.Helper()
	real := mustRead(t, td("alas/vuln-list-update/repomd_valid.xml"))
	const amazons = "e6f569f8ed2246a6b06c0fef7cfd71560df02781327e31c38396ed358d591d48" // updateinfo checksum in the real file
	if !strings.Contains(real, amazons) {
		t.Fatal("repomd_valid.xml changed")
	}
	sum := sha256.Sum256(updateinfo)
	return []byte(strings.Replace(real, amazons, hex.EncodeToString(sum[:]), 1))
}

// TestUpdateDistroFeeds: `db update` follows Amazon's chain (mirror.list →
// repodata/repomd.xml → updateinfo.xml.gz, checksum verified) and fetches
// Oracle's OVAL file, from a local server serving the real files; an
// unchanged repository costs no updateinfo download, an unchanged OVAL
// file a 304.
func TestUpdateDistroFeeds(t *testing.T) {
	ui, _ := os.ReadFile(td("alas/vuls-data-update/updateinfo_2023.xml.gz"))
	ovalFile, _ := os.ReadFile(td("oval/vuls-data-update/com.oracle.elsa-all.xml.bz2"))
	m := &mirror{files: map[string][]byte{
		"/al2023/repo/repodata/repomd.xml":        repomdFor(t, ui),
		"/al2023/repo/repodata/updateinfo.xml.gz": ui,
		"/oracle/com.oracle.elsa-all.xml.bz2":     ovalFile,
	}, gets: map[string]int{}, notMod: map[string]int{}, modified: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(m)
	defer srv.Close()
	// A mirror.list is one repository URL per line (real ones:
	// testdata/vulndb/alas/claircore/mirrors_linux*.txt); this one lists a
	// dead mirror first, as lists of regional mirrors can.
	m.files["/al2023/mirror.list"] = []byte(srv.URL + "/gone/\n" + srv.URL + "/al2023/repo/\n")
	dbp := filepath.Join(t.TempDir(), "sightline.db")
	opts := vulndb.UpdateOptions{Ecosystems: []string{"Amazon Linux:2023", "Oracle Linux"}, KEV: "none", EPSS: "none",
		Feeds: map[string]string{
			"alas:Amazon Linux:2023": srv.URL + "/al2023/mirror.list",
			"oval:Oracle Linux":      srv.URL + "/oracle/com.oracle.elsa-all.xml.bz2",
		}}
	res, err := vulndb.Update(ctx, dbp, opts)
	if got := fmt.Sprint(res); err != nil || !strings.Contains(got, "alas:Amazon Linux:2023 updated 1") || !strings.Contains(got, "oval:Oracle Linux updated 2") {
		t.Fatalf("first update: %v %v", got, err)
	}
	res, err = vulndb.Update(ctx, dbp, opts)
	if got := fmt.Sprint(res); err != nil || !strings.Contains(got, "alas:Amazon Linux:2023 unchanged 1") || !strings.Contains(got, "oval:Oracle Linux unchanged 2") {
		t.Fatalf("second update: %v %v", got, err)
	}
	if g := m.gets["/al2023/repo/repodata/updateinfo.xml.gz"]; g != 1 {
		t.Errorf("updateinfo downloaded %d times, want 1 (the second run compares repomd's checksum)", g)
	}
	if m.notMod["/oracle/com.oracle.elsa-all.xml.bz2"] != 1 {
		t.Errorf("OVAL not fetched conditionally: %v", m.notMod)
	}
	db, err := vulndb.Open(ctx, dbp)
	if err != nil {
		t.Fatal(err)
	}
	aff, _ := db.Affected("Amazon Linux:2023", "rsyslog")
	bind, _ := db.Affected("Oracle Linux:5", "bind")
	db.Close()
	if len(aff) != 1 || aff[0].RecordID != "ALAS2023-2023-001" || len(bind) != 1 || bind[0].RecordID != "ELSA-2007-0057" {
		t.Fatalf("stored entries %+v %+v", aff, bind)
	}

	// A repository whose updateinfo does not match repomd.xml (here the
	// real repomd of Amazon's full AL2 updateinfo next to the sample) is
	// refused, and the stored data is kept.
	m.mu.Lock()
	m.files["/al2023/repo/repodata/repomd.xml"] = []byte(mustRead(t, td("alas/vuln-list-update/repomd_valid.xml")))
	m.mu.Unlock()
	res, err = vulndb.Update(ctx, dbp, opts)
	if err != nil || res[0].Action != "failed" || !strings.Contains(res[0].Error, "does not match repomd.xml") {
		t.Fatalf("checksum mismatch: %+v %v", res, err)
	}
	db, err = vulndb.Open(ctx, dbp)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if aff, _ := db.Affected("Amazon Linux:2023", "rsyslog"); len(aff) != 1 {
		t.Error("ALAS data lost after a failed update")
	}
}

// TestUpdateDistroMirrorDir: with --mirror DIR the feeds are read from
// <DIR>/Amazon Linux:2023/ (a repository root) and <DIR>/Oracle
// Linux/com.oracle.elsa-all.xml.bz2, offline; a repository without
// updateinfo (the real repomd_noupdateinfo.xml) is an error saying so.
func TestUpdateDistroMirrorDir(t *testing.T) {
	dir := t.TempDir()
	ui, _ := os.ReadFile(td("alas/vuln-list-update/updateinfo_AL2023.xml.gz"))
	ovalFile, _ := os.ReadFile(td("oval/vuln-list-update/all-positive-data.xml.bz2"))
	repo := filepath.Join(dir, "Amazon Linux:2023", "repodata")
	os.MkdirAll(repo, 0o755)
	os.MkdirAll(filepath.Join(dir, "Oracle Linux"), 0o755)
	os.WriteFile(filepath.Join(repo, "repomd.xml"), repomdFor(t, ui), 0o644)
	os.WriteFile(filepath.Join(repo, "updateinfo.xml.gz"), ui, 0o644)
	os.WriteFile(filepath.Join(dir, "Oracle Linux", "com.oracle.elsa-all.xml.bz2"), ovalFile, 0o644)
	dbp := filepath.Join(t.TempDir(), "sightline.db")
	opts := vulndb.UpdateOptions{Mirror: dir, Ecosystems: []string{"Amazon Linux:2023", "Oracle Linux"}, KEV: "none", EPSS: "none", Offline: true}
	for i, want := range []string{"updated", "unchanged"} {
		res, err := vulndb.Update(ctx, dbp, opts)
		if err != nil || len(res) != 2 || res[0].Action != want || res[1].Action != want || res[1].Records != 14 {
			t.Fatalf("run %d: %+v %v", i, res, err)
		}
	}
	if _, err := os.Stat(filepath.Join(repo, "updateinfo.xml.gz")); err != nil {
		t.Fatal("a mirror file was removed after reading it")
	}
	noui, _ := os.ReadFile(td("alas/vuls-data-update/repomd_noupdateinfo.xml"))
	os.WriteFile(filepath.Join(repo, "repomd.xml"), noui, 0o644)
	res, err := vulndb.Update(ctx, dbp, opts)
	if err != nil || res[0].Action != "failed" || !strings.Contains(res[0].Error, "no updateinfo") {
		t.Fatalf("repomd without updateinfo: %+v %v", res, err)
	}
	opts.Ecosystems = []string{"Amazon Linux:2099"}
	if _, err := vulndb.Update(ctx, dbp, opts); err == nil || !strings.Contains(err.Error(), "2099") {
		t.Fatalf("unknown release: %v", err)
	}
}

// TestMirrorLists: the real mirror.list files parse to their repository
// roots.
func TestMirrorLists(t *testing.T) {
	for f, want := range map[string]int{"mirrors_linux1.txt": 11, "mirrors_linux2.txt": 1, "mirrors_linux2023.txt": 1} {
		if got := vulndb.MirrorRoots([]byte(mustRead(t, td("alas/claircore/"+f)))); len(got) != want || !strings.HasPrefix(got[0], "http") {
			t.Errorf("%s: %v", f, got)
		}
	}
}
