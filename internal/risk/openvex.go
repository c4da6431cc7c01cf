package risk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
)

// OpenVEX output (docs/risk.md "OpenVEX"): one not_affected statement per
// risk row that cannot be exploited here, and none for any other row. The
// OpenVEX specification (v0.2.0, "Status Justifications") requires a
// not_affected statement to carry a justification label or an
// impact_statement; its five labels all speak of the code, none of the
// network in front of it, so:
//
//   - runtime evidence that the package is installed but never mapped
//     by the process serving the port (Runtime.State "dormant") is the
//     label vulnerable_code_not_in_execute_path, with the evidence as the
//     impact statement;
//   - a network path the internet cannot take (every workload running the
//     image is not exposed, with the blocking control, or declares no
//     port) gets no label: none fits (vulnerable_code_cannot_be_controlled_by_adversary
//     claims the code itself cannot be driven, which a firewall does not
//     prove), and the impact_statement names the control. Only for
//     advisories whose CVSS attack vector is network: a local or adjacent
//     attack needs no internet path, and an unknown vector proves nothing.
//
// Unknown reachability, unknown runtime state and rows no workload runs
// never yield a statement: "we could not tell" is not "not affected".

// VEXOptions set what the document cannot derive from the report.
type VEXOptions struct {
	Now         time.Time // document and statement timestamp
	ToolVersion string
	// NetworkBlocked also states not_affected for rows whose every path
	// from the internet is blocked by a named control (attack vector
	// network). Off by default: such a port may still be reached from
	// inside the network (peers, lateral movement), and a consumer of the
	// document suppresses the finding wherever it applies it.
	NetworkBlocked bool
}

// VEXIDPrefix starts the @id of the documents Sightline writes (an IRI,
// as OpenVEX requires; followed by the content's SHA-256).
const VEXIDPrefix = "urn:sightline:openvex:sha256:"

// VEXAuthor is the author of the documents Sightline writes.
const VEXAuthor = "Sightline (automated assessment)"

// VEXStatement returns the not_affected statement of r, or false when r
// may be exploitable here or when that cannot be told.
func VEXStatement(r *Risk, now time.Time) (vex.Statement, bool) {
	return vexStatement(r, now, true)
}

func vexStatement(r *Risk, now time.Time, network bool) (vex.Statement, bool) {
	just, impact, ok := notAffected(r)
	if ok && just == "" && !network {
		return vex.Statement{}, false // a network-only reason: opt-in (VEXOptions.NetworkBlocked)
	}
	if !ok {
		return vex.Statement{}, false
	}
	vuln := vex.Vulnerability{Name: vex.VulnerabilityID(r.ID)}
	for _, a := range r.Aliases {
		vuln.Aliases = append(vuln.Aliases, vex.VulnerabilityID(a))
	}
	prod := vex.Product{Component: imageComponent(&r.Image)}
	if r.Package.PURL != "" {
		prod.Subcomponents = []vex.Subcomponent{{Component: vex.Component{ID: r.Package.PURL,
			Identifiers: map[vex.IdentifierType]string{vex.PURL: r.Package.PURL}}}}
	}
	return vex.Statement{
		Vulnerability: vuln, Timestamp: &now, Products: []vex.Product{prod},
		Status: vex.StatusNotAffected, Justification: just, ImpactStatement: impact,
		StatusNotes: fmt.Sprintf("sightline assess rank %d, score %.1f, reachability %s, runtime %s", r.Rank, r.Score, r.Reachability.Class, r.Runtime.State),
	}, true
}

// notAffected decides the justification and impact statement of r.
func notAffected(r *Risk) (vex.Justification, string, bool) {
	if r.Reachability.Class == ReachNotRunning || r.Reachability.Class == ReachUnknown || r.Image.Digest == "" && r.Image.Ref == "" {
		return "", "", false
	}
	if r.Runtime.State == "dormant" {
		return vex.VulnerableCodeNotInExecutePath, r.Package.Name + " is installed but not loaded: " + r.Runtime.Evidence, true
	}
	if r.Severity.AttackVector != VectorNetwork {
		return "", "", false
	}
	for _, w := range r.Workloads {
		if w.Class != ReachInternal && w.Class != ReachNotReachable {
			return "", "", false
		}
	}
	rc := &r.Reachability
	switch rc.Class {
	case ReachInternal:
		if rc.BlockedBy == nil {
			return "", "", false // not exposed without a named control: say nothing
		}
		return "", fmt.Sprintf("Not reachable from the internet (attack vector network): %s %s blocks %s to %s/%s: %s. Assessed paths: %d workload(s); internal clients are not assessed.",
			rc.BlockedBy.Kind, rc.BlockedBy.ID, rc.Port, rc.Workload, rc.Container, rc.BlockedBy.Detail, len(r.Workloads)), true
	case ReachNotReachable:
		return "", fmt.Sprintf("Not reachable from the network (attack vector network): no workload running the image publishes or declares a port (%d workload(s)).", len(r.Workloads)), true
	}
	return "", "", false
}

// imageComponent identifies the image as an OCI package URL
// (purl-spec types: pkg:oci/NAME@DIGEST?repository_url=REPO) when the
// digest is known, else by its reference.
func imageComponent(im *Image) vex.Component {
	ref := im.Ref
	if ref == "" {
		ref = im.Scanned
	}
	if im.Digest == "" {
		return vex.Component{ID: ref}
	}
	repo := ref
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	name := repo[strings.LastIndex(repo, "/")+1:]
	p := "pkg:oci/" + url.PathEscape(strings.ToLower(name)) + "@" + url.PathEscape(im.Digest)
	if repo != "" {
		p += "?repository_url=" + url.QueryEscape(repo)
	}
	return vex.Component{ID: p, Identifiers: map[vex.IdentifierType]string{vex.PURL: p}}
}

// VEXDocument builds the OpenVEX document of the report.
func VEXDocument(rep *Report, o VEXOptions) (*vex.VEX, error) {
	now := o.Now.UTC()
	doc := &vex.VEX{Metadata: vex.Metadata{
		Context: vex.ContextLocator(), Author: VEXAuthor, AuthorRole: "Automated risk assessment",
		Version: 1, Timestamp: &now, Tooling: "sightline " + versionOr(o.ToolVersion) + " assess",
	}, Statements: []vex.Statement{}}
	for i := range rep.Risks {
		if s, ok := vexStatement(&rep.Risks[i], now, o.NetworkBlocked); ok {
			doc.Statements = append(doc.Statements, s)
		}
	}
	// go-vex's GenerateCanonicalID concatenates strings per statement
	// (quadratic: 43 s for 100k statements) and re-sorts the statements;
	// the ID here is the SHA-256 of the statements in rank order.
	h := sha256.New()
	fmt.Fprintf(h, "%d:%d:%s\n", now.Unix(), doc.Version, doc.Author)
	enc := json.NewEncoder(h)
	for i := range doc.Statements {
		if err := enc.Encode(&doc.Statements[i]); err != nil {
			return nil, fmt.Errorf("openvex: document ID: %w", err)
		}
	}
	doc.ID = VEXIDPrefix + hex.EncodeToString(h.Sum(nil))
	return doc, nil
}

// WriteOpenVEX writes the OpenVEX document of the report.
func WriteOpenVEX(w io.Writer, rep *Report, o VEXOptions) error {
	doc, err := VEXDocument(rep, o)
	if err != nil {
		return err
	}
	return doc.ToJSON(w)
}

func versionOr(v string) string {
	if v == "" {
		return "dev"
	}
	return v
}
