// Package risk joins image scan results with the workloads that run the
// images and the exposure of their container ports, and ranks every
// vulnerability by what an attacker can actually reach (`sightline
// assess`, docs/risk.md).
//
// One risk row stands for one vulnerability in one image (by digest, else
// by reference): it lists every workload running that image and the most
// exposed path among them, the port evidence (does the vulnerable
// component serve the reachable port), the score and its parts, short
// reasons, and the fastest fix. What could not be joined (images with no
// scan result, containers with no image, scans with coverage gaps) is
// listed in Coverage, never dropped.
package risk

import "github.com/sightline-sec/sightline/internal/workload"

// Schema names the JSON document printed by `sightline assess`.
const Schema = "sightline.assess/v1"

// Report is the outcome of an assessment.
type Report struct {
	Schema   string     `json:"schema"`
	Risks    []Risk     `json:"risks"`
	Fixes    []FixGroup `json:"fixes"`
	Coverage Coverage   `json:"coverage"`
}

// Risk is one vulnerability in one image, with everything that ranks it.
type Risk struct {
	Rank         int           `json:"rank"`
	Score        float64       `json:"score"`
	ID           string        `json:"id"`
	Aliases      []string      `json:"aliases"`
	Summary      string        `json:"summary,omitempty"`
	Severity     Severity      `json:"severity"`
	Package      Package       `json:"package"`
	Image        Image         `json:"image"`
	Workloads    []WorkloadRef `json:"workloads"`
	Reachability Reachability  `json:"reachability"`
	PortEvidence PortEvidence  `json:"port_evidence"`
	Runtime      Runtime       `json:"runtime"`
	Reasons      []string      `json:"reasons"`
	// DataBehind are the data stores behind the workload the row is
	// scored for (DataAccess); omitted when none is known.
	DataBehind []DataAccess `json:"data_behind,omitempty"`
	Fix        Fix          `json:"fix"`
	ScoreParts ScoreParts   `json:"score_parts"`
}

// Severity is the exploitability data of the advisory.
type Severity struct {
	Level        string  `json:"level"` // critical, high, medium, low, unknown
	CVSS         float64 `json:"cvss,omitempty"`
	Vector       string  `json:"vector,omitempty"`
	AttackVector string  `json:"attack_vector"` // network, adjacent, local, physical, unknown
	// Rating is the ecosystem's own rating when the advisory has one
	// (Debian urgency, Ubuntu priority, GHSA severity), lower-case.
	Rating string  `json:"rating,omitempty"`
	KEV    bool    `json:"kev"`
	EPSS   float64 `json:"epss,omitempty"`
}

// Package is the vulnerable package (the first by name when several
// packages of the image carry the vulnerability; the others in Also).
type Package struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Ecosystem string   `json:"ecosystem"`
	PURL      string   `json:"purl"`
	Source    string   `json:"source,omitempty"` // source package (Debian, rpm, apk origin)
	Also      []string `json:"also,omitempty"`   // other packages with the finding, name@version
}

// Image is the image the row is about and how workloads were joined to it.
type Image struct {
	Ref    string `json:"ref,omitempty"`    // as the workloads name it (the first, sorted)
	Digest string `json:"digest,omitempty"` // manifest digest of the scanned image
	// Join is "digest" when a workload runs the scanned digest, "tag" when
	// only the reference matched (lower confidence: a tag can move), "none"
	// when no workload runs it.
	Join    string `json:"join"`
	Scanned string `json:"scanned"` // the scan target's name
}

// WorkloadRef is one workload running the image.
type WorkloadRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Owner is the controlling workload's ID (an ECS service, a
	// Deployment), "" if none.
	Owner     string   `json:"owner,omitempty"`
	Container string   `json:"container"`
	Join      string   `json:"join"`  // digest or tag
	Class     string   `json:"class"` // its own most exposed class
	Privilege []string `json:"privilege,omitempty"`
}

// Reachability is the most exposed path among the workloads running the
// image, with the exposure engine's proof (docs/exposure.md).
type Reachability struct {
	Verdict   string         `json:"verdict"` // exposed, not_exposed, unknown, not_running
	Width     string         `json:"width,omitempty"`
	Class     string         `json:"class"` // the Reach* constants
	Workload  string         `json:"workload,omitempty"`
	Container string         `json:"container,omitempty"`
	Port      string         `json:"port,omitempty"` // tcp/8080 (container port)
	Via       string         `json:"via,omitempty"`
	Sources   []string       `json:"sources,omitempty"`
	Path      []workload.Hop `json:"path"`
	BlockedBy *workload.Hop  `json:"blocked_by"`
	Missing   []string       `json:"missing"`
}

// PortEvidence says whether the vulnerable component serves the
// reachable port, and which evidence decided it.
type PortEvidence struct {
	Match string `json:"match"` // served, declared, other_port, none
	// Source: "well_known_ports" (the table in ports.go), "image
	// ExposedPorts", or the workload's declaration (containerPort,
	// portMapping, published, networkBinding, service, expose).
	Source string `json:"source,omitempty"`
	Port   string `json:"port,omitempty"`
	Detail string `json:"detail"`
}

// Runtime is the runtime evidence of whether the vulnerable code runs
// (docs/risk.md, internal/runevidence): loaded when a process of a
// container running the image maps a file of the package; dormant when
// every such container was read in full and none does; unknown otherwise,
// with what is missing.
type Runtime struct {
	State string `json:"state"` // loaded, dormant, unknown
	// Evidence is Lines joined by "; ".
	Evidence string `json:"evidence"`
	// Lines are the evidence one per line ("/usr/lib/x86_64-linux-gnu/
	// libssl.so.3 mapped by pid 3281 (nginx)"), prefixed with the package
	// when the row has several and the workload when several run it.
	Lines []string `json:"lines"`
}

// Fix is the fastest fix of one row.
type Fix struct {
	State         string   `json:"state"` // fixed, not_fixed
	FixedVersions []string `json:"fixed_versions"`
	Action        string   `json:"action"`
	// Kind is FixUpgrade or FixRebuild ("" without a fixed version).
	Kind string `json:"kind,omitempty"`
	// Base is the distribution release a rebuild takes ("Debian 12").
	Base string `json:"base,omitempty"`
	// Group is the key of the FixGroup this row counts in ("" without a fix).
	Group string `json:"group,omitempty"`
}

// Fix kinds: upgrade one package, or rebuild the image on a current base
// when the vulnerable packages came with the base image's layers.
const (
	FixUpgrade = "upgrade"
	FixRebuild = "rebuild"
)

// ScoreParts are the addends of Score (docs/risk.md).
type ScoreParts struct {
	Exploitability float64 `json:"exploitability"`
	Reachability   float64 `json:"reachability"`
	Port           float64 `json:"port"`
	Privilege      float64 `json:"privilege"`
	// Data: the data stores behind the workload (Weights.DataStore each).
	Data   float64 `json:"data"`
	FixAge float64 `json:"fix_age"`
	// Runtime: + for loaded, − for dormant (a share of the reachability
	// points), 0 for unknown.
	Runtime float64 `json:"runtime"`
}

// FixGroup is one upgrade and the rows it fixes.
type FixGroup struct {
	Key    string `json:"key"` // ecosystem/package, or rebuild/ecosystem
	Kind   string `json:"kind"`
	Action string `json:"action"`
	// Package is the package an upgrade names ("" for a rebuild, whose
	// packages are in Packages).
	Package   string   `json:"package"`
	Packages  []string `json:"packages,omitempty"`
	Base      string   `json:"base,omitempty"` // rebuild: "Debian 12"
	Ecosystem string   `json:"ecosystem"`
	To        string   `json:"to"` // the version an upgrade reaches ("" for a rebuild)
	Findings  int      `json:"findings"`
	Exposed   int      `json:"exposed"` // rows whose path is exposed to the internet
	Workloads int      `json:"workloads"`
	Images    int      `json:"images"`
	BestRank  int      `json:"best_rank"`
	Summary   string   `json:"summary"`
}

// Coverage lists what could not be assessed.
type Coverage struct {
	ScanResults int `json:"scan_results"`
	Images      int `json:"images"`    // distinct images run by workloads
	Workloads   int `json:"workloads"` // workloads read
	// ImagesNotScanned are images workloads run that no scan result
	// matched: their vulnerabilities are unknown, not absent.
	ImagesNotScanned []ImageGap `json:"images_not_scanned"`
	// UnknownImages are containers whose image is not known at all.
	UnknownImages []ContainerRef `json:"unknown_images"`
	// TagJoins counts workload containers joined to a scan by tag only.
	TagJoins int `json:"tag_joins"`
	// ScanGaps are scans whose coverage is incomplete (no advisory
	// database, unchecked packages, skipped files).
	ScanGaps []ScanGap `json:"scan_gaps"`
	// DuplicateScans are scan results of an image digest already given
	// (by name): the first result of each digest is used.
	DuplicateScans []string `json:"duplicate_scans"`
	// SeverityNotes name findings whose severity level was not a known
	// level: they are ranked (and gated) as unknown.
	SeverityNotes []string `json:"severity_notes"`
	// InventoryGaps are what the workload sources could not read.
	InventoryGaps []workload.Gap `json:"inventory_gaps"`
	// Runtime says whether runtime evidence was collected and lists what
	// could not be read (a container, an image's package lists, the host).
	Runtime RuntimeCoverage `json:"runtime"`
	// Identity says whether the workloads' cloud roles were evaluated from
	// the snapshot's IAM (Options.IdentityNote); empty without --aws.
	Identity string `json:"identity,omitempty"`
	// IdentityIncomplete is true when some workload role's permissions are
	// unknown (Identity says which and why).
	IdentityIncomplete bool `json:"identity_incomplete,omitempty"`
	// DataStores says which data stores were read and how the paths to
	// them were checked (Options.DataNote); empty without --aws.
	DataStores string `json:"data_stores,omitempty"`
	// DataStoresMissing names each data-service listing not collected
	// (stores of that kind unknown); DataStoresIncomplete is true when
	// anything about the data behind the workloads went unchecked (then
	// the table footer and stderr say DataStores too).
	DataStoresMissing    []string `json:"data_stores_missing,omitempty"`
	DataStoresIncomplete bool     `json:"data_stores_incomplete,omitempty"`
	// RolesNotObtained: workloads naming a role they cannot obtain, with
	// the statement or setting that stops them.
	RolesNotObtained []string `json:"roles_not_obtained,omitempty"`
}

// ImageGap is an image run by workloads with no scan result.
type ImageGap struct {
	Ref       string   `json:"ref"`
	Digest    string   `json:"digest,omitempty"`
	Workloads []string `json:"workloads"`
	// Exposed says whether one of those workloads has a container port
	// exposed to the internet: such a gap fails --fail-on-exposed.
	Exposed bool `json:"exposed"`
}

// ContainerRef names one container of a workload.
type ContainerRef struct {
	Workload  string `json:"workload"`
	Container string `json:"container"`
}

// ScanGap is a scan result whose coverage is incomplete.
type ScanGap struct {
	Target       string `json:"target"`
	DB           string `json:"db"`
	Unchecked    int    `json:"unchecked"`
	SkippedFiles int    `json:"skipped_files"`
	// Workloads run the scanned image; Exposed says whether one of them
	// has a container port exposed to the internet.
	Workloads []string `json:"workloads"`
	Exposed   bool     `json:"exposed"`
}
