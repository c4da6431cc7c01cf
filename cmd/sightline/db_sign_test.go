package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDBSignedBundleMinisign signs and verifies bundles across sightline
// and the reference minisign tool (Debian's minisign, Frank Denis's C
// implementation), with keys that tool generates: `db export --sign`
// output verifies with `minisign -V`, a `minisign -S` signature verifies
// with `db update --from --trusted-key`, and without a valid signature by
// a trusted key the bundle is refused (exit 2) and the database kept.
func TestDBSignedBundleMinisign(t *testing.T) {
	ms := requireTool(t, "minisign")
	dir := t.TempDir()
	pub, sec := filepath.Join(dir, "k.pub"), filepath.Join(dir, "k.key")
	if out, err := exec.Command(ms, "-G", "-W", "-p", pub, "-s", sec).CombinedOutput(); err != nil {
		t.Fatalf("minisign -G: %v: %s", err, out)
	}
	a := newCLI(t)
	a.ok("db", "import", filepath.Join("..", "..", "testdata", "quickstart"))
	bundle := filepath.Join(dir, "db.tar.gz")
	out := a.ok("db", "export", "--sign", sec, bundle)
	if !strings.Contains(out, bundle+".minisig") {
		t.Fatalf("export --sign output %q", out)
	}
	if out, err := exec.Command(ms, "-V", "-p", pub, "-m", bundle).CombinedOutput(); err != nil {
		t.Fatalf("minisign -V rejects sightline's signature: %v: %s", err, out)
	}

	b := newCLI(t)
	b.ok("db", "update", "--from", bundle, "--trusted-key", pub)
	if !slices.Contains(b.query("pkg:golang/golang.org/x/text@v0.3.5").ids(), "GO-2021-0113") {
		t.Fatal("signed bundle did not carry the data")
	}
	// The reference tool's own signature, the key given as its RW… line.
	os.Remove(bundle + ".minisig")
	if out, err := exec.Command(ms, "-S", "-s", sec, "-m", bundle).CombinedOutput(); err != nil {
		t.Fatalf("minisign -S: %v: %s", err, out)
	}
	pubText, _ := os.ReadFile(pub)
	rw := strings.TrimSpace(string(pubText[bytes.IndexByte(pubText, '\n')+1:]))
	c := newCLI(t)
	t.Setenv(envTrustedKey, rw)
	if out, errs, code := c.run("db", "update", "--from", bundle); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("minisign -S signature with %s: exit %d\n%s%s", envTrustedKey, code, out, errs)
	}
	before, _ := os.ReadFile(c.dbFile())

	// Unsigned, and tampered with the checksum recomputed: refused.
	unsigned := filepath.Join(t.TempDir(), "unsigned.tar.gz")
	data, _ := os.ReadFile(bundle)
	os.WriteFile(unsigned, data, 0o644)
	if _, errs, code := c.run("db", "update", "--from", unsigned); code != 2 || !strings.Contains(errs, "not signed") {
		t.Errorf("unsigned bundle with a trusted key: exit %d %q", code, errs)
	}
	garbage, _ := os.ReadFile(c.dbFile())
	tampered := filepath.Join(t.TempDir(), "tampered.tar.gz")
	os.WriteFile(tampered, rebundle(t, bundle, append(garbage, 0)), 0o644)
	sig, _ := os.ReadFile(bundle + ".minisig")
	os.WriteFile(tampered+".minisig", sig, 0o644)
	if _, errs, code := c.run("db", "update", "--from", tampered); code != 2 || !strings.Contains(errs, "does not verify") {
		t.Errorf("tampered bundle: exit %d %q", code, errs)
	}
	if after, _ := os.ReadFile(c.dbFile()); !bytes.Equal(before, after) {
		t.Fatal("a refused bundle replaced the database")
	}
	// Flag misuse is a usage error.
	if _, _, code := c.run("db", "update", "--trusted-key", pub, "--offline"); code != 2 {
		t.Errorf("--trusted-key without --from: exit %d, want 2", code)
	}
	if _, errs, code := a.run("db", "export", "--sign", pub, filepath.Join(t.TempDir(), "x.tar.gz")); code != 2 || !strings.Contains(errs, "secret key") {
		t.Errorf("export --sign with a public key: exit %d %q", code, errs)
	}
}
