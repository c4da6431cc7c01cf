package vulndb

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"aead.dev/minisign"
)

// Bundle signatures (docs/db.md, "Signed bundles").
//
// A bundle's manifest checksum only catches corruption: whoever can edit
// the bundle can recompute it. A signature made with a key the receiving
// machine trusts is what proves origin. Sightline uses minisign
// (aead.dev/minisign, a maintained pure-Go implementation of Frank
// Denis's format): Ed25519 keys in small text files, signatures in a
// detached FILE.minisig, nothing to fetch at verification time (air-gap
// friendly), and the same files work with the standalone minisign tool
// (`minisign -Vm BUNDLE -p KEY.pub`). Signatures are the pre-hashed kind
// (BLAKE2b-512 of the whole bundle file), which minisign makes by default
// and which verify while the bundle streams.
//
// Considered and not taken: sigstore-go/cosign (keyless signing needs the
// Fulcio/Rekor services or a shipped trust root and a large dependency
// tree; too much for a machine that has no network) and SSH signatures
// (golang.org/x/crypto/ssh has no SSHSIG; the Go implementations are
// small single-maintainer packages, and allowed_signers handling would
// be ours).

// SignatureExt is appended to a bundle's name for its detached signature.
const SignatureExt = ".minisig"

// EnvSigningKeyPassword names the environment variable holding the
// password of an encrypted minisign secret key (minisign -G without -W).
const EnvSigningKeyPassword = "SIGHTLINE_SIGNING_KEY_PASSWORD"

// SigningKey is a minisign secret key.
type SigningKey struct{ key minisign.PrivateKey }

// TrustedKey is a minisign public key a bundle may be signed with.
type TrustedKey struct{ key minisign.PublicKey }

// ID is the key id as minisign prints it (16 hex digits).
func (k TrustedKey) ID() string { return fmt.Sprintf("%016X", k.key.ID()) }

// LoadSigningKey reads a minisign secret key file; an encrypted one is
// decrypted with password (from EnvSigningKeyPassword in the CLI).
func LoadSigningKey(path, password string) (SigningKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return SigningKey{}, fmt.Errorf("reading signing key: %w", err)
	}
	var k minisign.PrivateKey
	if minisign.IsEncrypted(b) {
		if password == "" {
			return SigningKey{}, fmt.Errorf("signing key %s is encrypted: set %s to its password", path, EnvSigningKeyPassword)
		}
		if k, err = minisign.DecryptKey(password, b); err != nil {
			return SigningKey{}, fmt.Errorf("signing key %s: %w", path, err)
		}
		return SigningKey{k}, nil
	}
	if err := k.UnmarshalText(b); err != nil {
		return SigningKey{}, fmt.Errorf("signing key %s: not a minisign secret key: %w", path, err)
	}
	return SigningKey{k}, nil
}

// LoadTrustedKey takes a minisign public key: a file (minisign.pub) or
// the key itself (the "RW…" line minisign prints).
func LoadTrustedKey(s string) (TrustedKey, error) {
	var k minisign.PublicKey
	text := []byte(s)
	if b, err := os.ReadFile(s); err == nil {
		text = b
	} else if !strings.HasPrefix(s, "RW") {
		return TrustedKey{}, fmt.Errorf("trusted key %s: %w", s, err)
	}
	if err := k.UnmarshalText(text); err != nil {
		return TrustedKey{}, fmt.Errorf("trusted key %s: not a minisign public key: %w", s, err)
	}
	return TrustedKey{k}, nil
}

// SignFile writes a detached signature of the file at path to
// path+SignatureExt (via a temporary file renamed into place). comment
// becomes the signature's trusted comment (signed, shown on verify).
func SignFile(path string, key SigningKey, comment string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	defer f.Close()
	r := minisign.NewReader(f)
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	sig := r.SignWithComments(key.key, comment, "signature from sightline db export, key "+fmt.Sprintf("%016X", key.key.ID()))
	out := path + SignatureExt
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(sig); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := syncClose(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return replaceFile(tmp.Name(), out)
}

// ErrSignature is wrapped by every refusal of a bundle for its signature:
// missing, malformed, made by an untrusted key, or not matching the bytes.
var ErrSignature = errors.New("bundle signature")

// sigCheck verifies, after the whole bundle has been read through r, its
// detached signature against the trusted keys.
type sigCheck struct {
	r       *minisign.Reader
	sig     []byte
	path    string
	keys    []TrustedKey
	comment string // trusted comment
}

// newSigCheck reads the signature of bundle src (sigPath, else
// src+SignatureExt) before any of the bundle is read.
func newSigCheck(src, sigPath string, keys []TrustedKey) (*sigCheck, error) {
	if sigPath == "" {
		sigPath = src + SignatureExt
	}
	sig, err := os.ReadFile(sigPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: bundle %s is not signed (no %s) and a trusted key is set: refused", ErrSignature, src, sigPath)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %w", ErrSignature, sigPath, err)
	}
	var s minisign.Signature
	if err := s.UnmarshalText(sig); err != nil {
		return nil, fmt.Errorf("%w: %s is not a minisign signature: %w", ErrSignature, sigPath, err)
	}
	if s.Algorithm != minisign.HashEdDSA {
		return nil, fmt.Errorf("%w: %s is a legacy (not pre-hashed) minisign signature: sign with `minisign -S` without -l, or `sightline db export --sign`", ErrSignature, sigPath)
	}
	return &sigCheck{sig: sig, path: sigPath, keys: keys, comment: s.TrustedComment}, nil
}

func (c *sigCheck) wrap(r io.Reader) io.Reader {
	c.r = minisign.NewReader(r)
	return c.r
}

// verify checks the signature over everything read so far and returns
// the id of the key that made it.
func (c *sigCheck) verify(src string) (string, error) {
	var s minisign.Signature
	_ = s.UnmarshalText(c.sig) // checked in newSigCheck
	for _, k := range c.keys {
		if k.key.ID() == s.KeyID && c.r.Verify(k.key, c.sig) {
			return k.ID(), nil
		}
	}
	ids := make([]string, len(c.keys))
	for i, k := range c.keys {
		ids[i] = k.ID()
	}
	return "", fmt.Errorf("%w: %s does not verify bundle %s with the trusted key(s) %s (signed by key %016X): refused",
		ErrSignature, c.path, src, strings.Join(ids, ", "), s.KeyID)
}
