// Package inventory turns a filesystem (an image's final layers or a plain
// root directory) into a list of attributed packages.
package inventory

import "github.com/sightline-sec/sightline/internal/gobin"

// Package is one installed package as found on a filesystem. JSON names are
// a documented contract (docs/json.md).
type Package struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"` // OSV ecosystem with release suffix where it matters: "Debian:12", "Go", "npm"
	PURL      string `json:"purl"`
	Type      string `json:"type"` // deb, apk, rpm, go-module, go-stdlib, npm, python, maven, gem, cargo, composer, nuget
	// Arch is the rpm architecture ("x86_64", "noarch"): Oracle Linux
	// fixes can differ per architecture. Empty for other types.
	Arch string `json:"arch,omitempty"`

	// SourceName/SourceVersion: dpkg Source, apk origin, rpm source RPM.
	// Distro advisories are keyed by the source package.
	SourceName    string `json:"source_name,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`

	// NameCaseUnknown: the name came lower-case from a purl of an
	// ecosystem with case-sensitive names that the purl specification
	// asks producers to lowercase (golang, npm), so its original case is
	// unknown; matching then also uses advisories whose package name
	// differs only in case, and says so (docs/db.md, "Package names").
	NameCaseUnknown bool `json:"name_case_unknown,omitempty"`

	Locations []string  `json:"locations,omitempty"` // paths inside the image/filesystem
	Layer     *LayerRef `json:"layer,omitempty"`     // nil for filesystem scans
	Licenses  []string  `json:"licenses,omitempty"`
	// Dev is true when every lockfile that lists the package lists it only
	// as a development/test dependency (npm "dev", Pipfile "develop",
	// composer "packages-dev", Maven scope "test", …; docs/scan.md).
	Dev bool `json:"dev,omitempty"`

	// Platform is the GOOS/GOARCH ("linux/amd64") of the Go binary a
	// go-module/go-stdlib package was read from: its build settings, else
	// the image's platform; empty when unknown (SBOM, go.mod).
	Platform string `json:"platform,omitempty"`
	// GoBinaries are the Go binaries the package was found in, with
	// their function names: evidence for matching, not part of the JSON.
	GoBinaries []GoBinary `json:"-"`
}

// GoBinary is one Go binary a Go package was found in.
type GoBinary struct {
	Path    string    // absolute path in the image/filesystem
	Symbols gobin.Set // functions of the package's module, when in memory
	Ref     string    // else their layer-cache side file (Record.GoSymbolsRef)
	Note    string    // why neither is set
}

// LayerRef names the image layer that introduced a package.
type LayerRef struct {
	Index     int    `json:"index"` // 0 = bottom layer
	DiffID    string `json:"diff_id"`
	Digest    string `json:"digest,omitempty"`
	CreatedBy string `json:"created_by,omitempty"` // the image history line
	// Base is true when the layer belongs to the base image, false when it
	// was added on top; nil when that cannot be told.
	Base *bool `json:"base,omitempty"`
}

// OS is the operating system read from /etc/os-release.
type OS struct {
	ID         string `json:"id"`         // "debian", "alpine", …
	VersionID  string `json:"version_id"` // "12", "3.20.1", …
	PrettyName string `json:"pretty_name,omitempty"`
	Ecosystem  string `json:"ecosystem"` // advisory ecosystem: "Debian:12", "Alpine:v3.20", …
}
