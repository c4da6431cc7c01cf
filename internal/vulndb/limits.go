package vulndb

import "fmt"

// Input size limits: one constant per limit, used by the code and by the
// error messages, and listed in docs/db.md ("Input limits and errors"),
// which TestLimitsDocumented keeps in step with SizeLimits.
const (
	// MaxRecordBytes bounds one OSV record, a file or a zip entry; the
	// largest real records (Debian CVE records with long `versions`
	// lists) are well under 1 MiB.
	MaxRecordBytes = 16 << 20
	// MaxKEVBytes bounds the CISA KEV catalog after decompression (about
	// 1.5 MB in 2025).
	MaxKEVBytes = 64 << 20
	// MaxDownloadBytes bounds one file `db update` downloads (OSV's
	// largest all.zip is a few hundred MiB).
	MaxDownloadBytes = 4 << 30
	// MaxManifestBytes bounds a bundle's manifest.json.
	MaxManifestBytes = 1 << 20
	// MaxUpdateinfoBytes bounds one decompressed Amazon Linux
	// updateinfo.xml; Amazon's largest (AL2 core) is about 10 MiB.
	MaxUpdateinfoBytes = 512 << 20
	// MaxOVALBytes bounds one decompressed Oracle Linux OVAL file
	// (com.oracle.elsa-all.xml is about 1 GiB of XML).
	MaxOVALBytes = 8 << 30
	// MaxFeedElementBytes bounds one <update> or <definition>; the
	// largest real ones (kernel updates) are well under 1 MiB.
	MaxFeedElementBytes = 16 << 20
	// MaxRepoMetadataBytes bounds a mirror.list or repomd.xml (real
	// ones: < 10 KiB).
	MaxRepoMetadataBytes = 16 << 20
)

// SizeLimit names one input limit for documentation.
type SizeLimit struct {
	What  string // as docs/db.md names the input
	Bytes int64
}

// SizeLimits lists every input limit, in the order docs/db.md gives them.
var SizeLimits = []SizeLimit{
	{"one OSV record", MaxRecordBytes},
	{"a KEV catalog", MaxKEVBytes},
	{"one download", MaxDownloadBytes},
	{"a bundle manifest", MaxManifestBytes},
	{"an Amazon Linux `updateinfo.xml` (decompressed)", MaxUpdateinfoBytes},
	{"an Oracle Linux OVAL file (decompressed)", MaxOVALBytes},
	{"one `<update>` or `<definition>` of those", MaxFeedElementBytes},
	{"a `mirror.list` or `repomd.xml`", MaxRepoMetadataBytes},
}

// FormatBytes renders a size limit the way messages and docs give it:
// "16 MiB", "4 GiB", else bytes.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
