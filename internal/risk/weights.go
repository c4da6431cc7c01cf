package risk

// Weights are every number the score uses, in one place (docs/risk.md
// lists them and must be changed with them). The score is a sum of
// points: exploitability + reachability × vector factor + port match +
// privilege + fix age + runtime. Higher ranks first.
var Weights = struct {
	// Exploitability.
	CVSSPerPoint float64 // × the highest CVSS base score (0–10)
	NoCVSS       float64 // no CVSS score and no level: as CVSS 5 (unknown is not safe)
	// LevelCVSS stands in for the CVSS score when the advisory gives a
	// severity level but no CVSS vector (the middle of the level's band).
	LevelCVSS    map[string]float64
	KEV          float64 // listed in CISA KEV
	EPSS         float64 // × the EPSS probability (0–1)
	FixAvailable float64 // a fixed version exists: the fastest fix is known

	// Reachability of the most exposed path, by class.
	Reach map[string]float64
	// VectorFactor scales reachability by the CVSS attack vector: a
	// local or physical attack is not carried by a network path.
	VectorFactor map[string]float64
	// NegligibleFactor scales reachability instead when the advisory has
	// no CVSS vector and the distribution rates the flaw as no real
	// security problem in its build: Debian urgency "unimportant", Ubuntu
	// priority "negligible" (NegligibleRatings). Without a vector the
	// attack vector is unknown, which otherwise weighs as network.
	NegligibleFactor float64

	// Port evidence (PortEvidence.Match).
	Port map[string]float64
	// OtherPortFactor scales the reachability of a path to a port the
	// vulnerable server is known not to listen on (PortOtherPort): the
	// path does not carry the attack to it ("sg-0ab admits tcp/8080 only;
	// nginx listens on tcp/80").
	OtherPortFactor float64

	// Privilege of the most privileged container running the image.
	Privileged    float64
	RuntimeSocket float64
	HostPath      float64
	HostNetwork   float64
	Role          float64 // a cloud role whose permissions are not known (no IAM read) or hold no data access
	// A role whose IAM permissions were evaluated (internal/iam): it
	// reaches data stores, can escalate its privileges, or is admin.
	RoleData       float64
	RoleEscalation float64
	RoleAdmin      float64
	PrivilegeCap   float64

	// Data behind the workload (DataBehind): points per distinct data
	// store its identity or its network path reaches (half when
	// conditional or unknown), at most DataCap. A vulnerable service with
	// the customer database behind it is a different emergency from a
	// stateless one: two stores (12) outweigh a fix-age step or EPSS,
	// but not a reachability class (10–20 points apart).
	DataStore float64
	DataCap   float64

	// Fix age: days since the advisory was published, when a fix exists
	// (the longer a fix has been out, the longer attackers have had).
	FixAge []AgeStep

	// RuntimeLoaded is added when a process maps a file of the package:
	// the vulnerable code is in memory now.
	RuntimeLoaded float64
	// DormantReachFactor scales the reachability points of a dormant
	// package (installed, mapped by no process of any container running
	// the image): the part removed is the runtime score part. It is
	// chosen so that a dormant package on an internet path keeps more
	// reachability points than an unknown path (wide 40×0.75 = 30,
	// narrow 30×0.75 = 22.5, both above unknown's 20): dormant is a
	// snapshot — a library can be dlopen'ed, a binary exec'd, on the next
	// request — so it lowers a row but never to zero and never below
	// what missing data would rank.
	DormantReachFactor float64
}{
	CVSSPerPoint: 3,
	NoCVSS:       15,
	LevelCVSS:    map[string]float64{"critical": 9.5, "high": 8, "medium": 5.5, "low": 2},
	KEV:          15,
	EPSS:         10,
	FixAvailable: 2,
	Reach: map[string]float64{
		ReachWide:         40,
		ReachNarrow:       30,
		ReachUnknown:      20,
		ReachInternal:     10,
		ReachNotReachable: 0,
		ReachNotRunning:   0,
	},
	VectorFactor: map[string]float64{
		VectorNetwork:  1,
		VectorAdjacent: 0.5,
		VectorLocal:    0.25,
		VectorPhysical: 0.25,
		VectorUnknown:  1,
	},
	NegligibleFactor: 0.25,
	Port: map[string]float64{
		PortServed:    10,
		PortDeclared:  5,
		PortUnknown:   5,
		PortOtherPort: 0,
		PortNone:      0,
	},
	OtherPortFactor: 0.25,
	Privileged:      6,
	RuntimeSocket:   6,
	HostPath:        3,
	HostNetwork:     3,
	Role:            2,
	RoleData:        5,
	RoleEscalation:  8,
	RoleAdmin:       12,
	PrivilegeCap:    15,
	DataStore:       6,
	DataCap:         12,
	FixAge: []AgeStep{
		{Days: 365, Points: 5},
		{Days: 90, Points: 3},
		{Days: 30, Points: 1},
	},
	RuntimeLoaded:      8,
	DormantReachFactor: 0.75,
}

// runtimePoints is the runtime score part of a row whose reachability
// part is reach.
func runtimePoints(state string, reach float64) float64 {
	switch state {
	case RuntimeLoaded:
		return Weights.RuntimeLoaded
	case RuntimeDormant:
		return -reach * (1 - Weights.DormantReachFactor)
	}
	return 0
}

// AgeStep gives Points when the fix is at least Days old (first match wins;
// steps are listed oldest first).
type AgeStep struct {
	Days   int
	Points float64
}

// Reachability classes (Reachability.Class), most exposed first. Unknown
// ranks between internet-narrow and internal: missing data is never
// treated as safe.
const (
	ReachWide         = "internet_wide"
	ReachNarrow       = "internet_narrow"
	ReachUnknown      = "unknown"
	ReachInternal     = "internal_only"
	ReachNotReachable = "not_reachable"
	ReachNotRunning   = "not_running"
)

// CVSS attack vectors (Risk.AttackVector).
const (
	VectorNetwork  = "network"
	VectorAdjacent = "adjacent"
	VectorLocal    = "local"
	VectorPhysical = "physical"
	VectorUnknown  = "unknown"
)

// Port evidence matches (PortEvidence.Match).
const (
	// PortServed: the vulnerable package is a well-known server whose
	// default port is the reachable port.
	PortServed = "served"
	// PortDeclared: the reachable port is declared for the container
	// (image EXPOSE, containerPort, port mapping, Service targetPort) and
	// the vulnerable package is a library or tool that may be in its path.
	PortDeclared = "declared"
	// PortUnknown: the path is unknown, so is the port.
	PortUnknown = "unknown"
	// PortOtherPort: the package is a well-known server, but none of its
	// default ports is the reachable one.
	PortOtherPort = "other_port"
	// PortNone: no port at all (not reachable, not running).
	PortNone = "none"
)

// NegligibleRatings are the distributions' own ratings that say a flaw is
// not a security problem as shipped: Debian's "unimportant" urgency
// (https://security-team.debian.org/security_tracker.html#severity-levels)
// and Ubuntu's "negligible" priority
// (https://ubuntu.com/security/cves/about#priority).
var NegligibleRatings = map[string]bool{"unimportant": true, "negligible": true}
