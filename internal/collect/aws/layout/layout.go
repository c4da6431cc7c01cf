// Package layout names the files of a Sightline AWS snapshot directory, the
// offline form of an AWS estate that `sightline collect aws` writes and the
// exposure engine reads. A user can produce the same tree with the AWS CLI
// alone (docs/aws-snapshot.md, docs/aws-collect.md):
//
//	<root>/manifest.json
//	<root>/<account-id>/<region>/<service>/<operation>.json
//	<root>/<account-id>/<region>/<service>/<operation>/<file-safe-id>.json
//
// Each file holds what `aws <service> <operation> --output json` prints, all
// pages merged. Service and operation names are the AWS CLI's (ec2,
// describe-security-groups); global services (iam, s3api list-buckets) live
// under the region "global". Operations called once per resource (target
// health per target group, …) store one CLI output per file, named by the
// argument through EncodeID.
//
// The package is shared by the live collector and the snapshot reader so the
// two cannot drift apart.
package layout

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// GlobalRegion is the region directory of global services (IAM, S3 buckets).
const GlobalRegion = "global"

// ManifestFile is the name of the manifest at the snapshot root.
const ManifestFile = "manifest.json"

// maxEncodedLen bounds a file-safe id: file systems allow 255 bytes per name
// and ".json" plus headroom must fit.
const maxEncodedLen = 200

// hashMark separates the kept prefix of an over-long encoded id from its
// digest. '~' is outside the safe set, so EncodeID never emits it otherwise.
const hashMark = "~"

// safe reports whether b may appear unencoded in a file-safe id.
func safe(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' ||
		b == '.' || b == '_' || b == '-'
}

const hexDigits = "0123456789ABCDEF"

// EncodeID turns a resource argument (an ARN, a name, a prefix-list id) into
// a file name component: every byte outside [A-Za-z0-9._-] becomes %XX
// (upper-case hex, as in URL percent-encoding), and a leading '.' is encoded
// too so no id can become "." or ".." or a hidden file. Ids whose encoding
// exceeds 200 bytes keep their first 150 encoded bytes followed by "~" and
// the first 32 hex digits of the SHA-256 of the raw id; such names are not
// reversible (DecodeID reports ErrHashedID); the file content still names
// the resource. EncodeID("") is "", which ResourcePath rejects.
func EncodeID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if safe(c) && !(i == 0 && c == '.') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	s := b.String()
	if len(s) <= maxEncodedLen {
		return s
	}
	sum := sha256.Sum256([]byte(id))
	keep := s[:150]
	// Do not cut a %XX escape in half.
	if i := strings.LastIndexByte(keep, '%'); i >= len(keep)-2 {
		keep = keep[:i]
	}
	return keep + hashMark + hex.EncodeToString(sum[:16])
}

// ErrHashedID reports a file-safe id that was shortened with a digest.
var ErrHashedID = errors.New("file-safe id was shortened with a digest and cannot be decoded")

// DecodeID reverses EncodeID. It rejects names that EncodeID cannot produce
// (bad escapes, unsafe bytes, escapes of bytes that need none), so each file
// name maps to exactly one id.
func DecodeID(name string) (string, error) {
	if strings.Contains(name, hashMark) {
		return "", fmt.Errorf("decoding %q: %w", name, ErrHashedID)
	}
	if len(name) > maxEncodedLen {
		return "", fmt.Errorf("decoding file-safe id %q: longer than %d bytes", name, maxEncodedLen)
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			if !safe(c) || (i == 0 && c == '.') {
				return "", fmt.Errorf("decoding file-safe id %q: byte %q at %d must be percent-encoded", name, c, i)
			}
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(name) {
			return "", fmt.Errorf("decoding file-safe id %q: truncated escape at %d", name, i)
		}
		hi, lo := unhex(name[i+1]), unhex(name[i+2])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("decoding file-safe id %q: bad escape %q at %d", name, name[i:i+3], i)
		}
		v := byte(hi<<4 | lo)
		if safe(v) && !(i == 0 && v == '.') {
			return "", fmt.Errorf("decoding file-safe id %q: %q needs no escape", name, name[i:i+3])
		}
		b.WriteByte(v)
		i += 2
	}
	return b.String(), nil
}

// unhex accepts only the upper-case digits EncodeID writes.
func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`)
	nameRE    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// CheckAccount validates a 12-digit AWS account id used as a directory name.
func CheckAccount(account string) error {
	if !accountRE.MatchString(account) {
		return fmt.Errorf("account id %q is not 12 digits", account)
	}
	return nil
}

// CheckRegion validates a region directory name ("us-east-1" or "global").
func CheckRegion(region string) error {
	if region != GlobalRegion && !regionRE.MatchString(region) {
		return fmt.Errorf("region %q is not an AWS region name", region)
	}
	return nil
}

func checkName(kind, s string) error {
	if !nameRE.MatchString(s) {
		return fmt.Errorf("%s %q is not a lower-case AWS CLI name", kind, s)
	}
	return nil
}

// OperationPath is <root>/<account>/<region>/<service>/<operation>.json.
// Every component is validated, so the result always lies inside root.
func OperationPath(root, account, region, service, operation string) (string, error) {
	if err := checkParts(account, region, service, operation); err != nil {
		return "", err
	}
	return filepath.Join(root, account, region, service, operation+".json"), nil
}

// ResourcePath is <root>/<account>/<region>/<service>/<operation>/<EncodeID(id)>.json.
func ResourcePath(root, account, region, service, operation, id string) (string, error) {
	if err := checkParts(account, region, service, operation); err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("%s %s: empty resource id", service, operation)
	}
	return filepath.Join(root, account, region, service, operation, EncodeID(id)+".json"), nil
}

func checkParts(account, region, service, operation string) error {
	if err := CheckAccount(account); err != nil {
		return err
	}
	if err := CheckRegion(region); err != nil {
		return err
	}
	if err := checkName("service", service); err != nil {
		return err
	}
	return checkName("operation", operation)
}
