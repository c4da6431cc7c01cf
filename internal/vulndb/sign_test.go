package vulndb_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"github.com/sightline-sec/sightline/internal/vulndb"
)

// keyPair generates a real minisign key pair and writes it as minisign
// does (unencrypted secret key, as `minisign -G -W`).
func keyPair(t *testing.T) (secret, public string, id string) {
	t.Helper()
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sk, _ := priv.MarshalText()
	pk, _ := pub.MarshalText()
	secret, public = filepath.Join(dir, "minisign.key"), filepath.Join(dir, "minisign.pub")
	os.WriteFile(secret, sk, 0o600) // MarshalText writes minisign's file format, comment line included
	os.WriteFile(public, pk, 0o644)
	k, err := vulndb.LoadTrustedKey(public)
	if err != nil {
		t.Fatal(err)
	}
	return secret, public, k.ID()
}

func trusted(t *testing.T, keys ...string) vulndb.BundleOptions {
	t.Helper()
	var o vulndb.BundleOptions
	for _, k := range keys {
		tk, err := vulndb.LoadTrustedKey(k)
		if err != nil {
			t.Fatal(err)
		}
		o.TrustedKeys = append(o.TrustedKeys, tk)
	}
	return o
}

// TestSignedBundles: a checksum is not a signature. A bundle whose
// database was swapped for another valid one, checksum recomputed, is
// installed when no key is trusted (what docs/db.md says an unsigned
// bundle protects against: corruption only) and refused when one is;
// unsigned, foreign-signed, legacy-signed and extended bundles are
// refused too, and a refusal leaves the installed database alone.
func TestSignedBundles(t *testing.T) {
	secret, public, id := keyPair(t)
	otherSecret, otherPublic, otherID := keyPair(t)

	full := filepath.Join(t.TempDir(), "full.db")
	mustWrite(t, full, mustOSV(t, quickstart()))
	bundle := filepath.Join(t.TempDir(), "db.tar.gz")
	m, err := vulndb.Export(ctx, full, bundle)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := vulndb.LoadSigningKey(secret, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := vulndb.SignFile(bundle, sk, "sightline-db-bundle/1 db-sha256:"+m.SHA256); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "sightline.db")
	in, err := vulndb.ImportBundleWith(ctx, bundle, dst, trusted(t, otherPublic, public))
	if err != nil || in.SignedBy != id || !strings.Contains(in.TrustedComment, m.SHA256) {
		t.Fatalf("signed bundle, trusted key among two: %+v %v", in, err)
	}
	installed, _ := os.ReadFile(dst)

	// The attack: a valid database without the Go x/text advisories,
	// swapped in with a recomputed checksum, the old signature kept.
	quiet := filepath.Join(t.TempDir(), "quiet.db")
	mustWrite(t, quiet, mustOSV(t, filepath.Join(quickstart(), "GO-2022-1059.json")))
	quietBytes, _ := os.ReadFile(quiet)
	orig, _ := os.ReadFile(bundle)
	swapped := filepath.Join(t.TempDir(), "swapped.tar.gz")
	os.WriteFile(swapped, swapDB(t, orig, quietBytes), 0o644)
	sig, _ := os.ReadFile(bundle + vulndb.SignatureExt)
	os.WriteFile(swapped+vulndb.SignatureExt, sig, 0o644)

	refused := func(name string, o vulndb.BundleOptions, src, want string) {
		t.Helper()
		_, err := vulndb.ImportBundleWith(ctx, src, dst, o)
		if !errors.Is(err, vulndb.ErrSignature) || !strings.Contains(err.Error(), src) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want a signature refusal naming %s and saying %q", name, err, src, want)
		}
		if now, _ := os.ReadFile(dst); !bytes.Equal(now, installed) {
			t.Fatalf("%s: the installed database was replaced", name)
		}
	}
	refused("swapped database, recomputed checksum", trusted(t, public), swapped, "does not verify")

	unsigned := filepath.Join(t.TempDir(), "unsigned.tar.gz")
	os.WriteFile(unsigned, orig, 0o644)
	refused("unsigned", trusted(t, public), unsigned, "not signed")

	ok, _ := vulndb.LoadSigningKey(otherSecret, "")
	foreign := filepath.Join(t.TempDir(), "foreign.tar.gz")
	os.WriteFile(foreign, orig, 0o644)
	if err := vulndb.SignFile(foreign, ok, "other"); err != nil {
		t.Fatal(err)
	}
	refused("signed by an untrusted key", trusted(t, public), foreign, otherID)

	extended := filepath.Join(t.TempDir(), "extended.tar.gz")
	os.WriteFile(extended, append(bytes.Clone(orig), "trailing"...), 0o644)
	os.WriteFile(extended+vulndb.SignatureExt, sig, 0o644)
	refused("bytes appended after signing", trusted(t, public), extended, "does not verify")

	var priv minisign.PrivateKey
	b, _ := os.ReadFile(secret)
	priv.UnmarshalText(b)
	legacy := filepath.Join(t.TempDir(), "legacy.tar.gz")
	os.WriteFile(legacy, orig, 0o644)
	os.WriteFile(legacy+vulndb.SignatureExt, minisign.Sign(priv, orig), 0o644)
	refused("legacy (not pre-hashed) signature", trusted(t, public), legacy, "legacy")

	// Without a trusted key the swapped bundle is installed: its checksum
	// matches. This is the documented limit of an unsigned bundle.
	if _, err := vulndb.ImportBundle(ctx, swapped, dst); err != nil {
		t.Fatalf("swapped bundle without a trusted key: %v (a checksum cannot refuse it)", err)
	}
	if now, _ := os.ReadFile(dst); !bytes.Equal(now, quietBytes) {
		t.Fatal("swapped bundle not installed")
	}
}
