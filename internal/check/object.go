// Package check holds the contract between the inputs `sightline check`
// reads (Dockerfiles, Kubernetes objects, Terraform, AWS snapshots) and the
// rule engine that evaluates CEL rules on them.
//
// An input package (internal/check/dockerfile, …/kubernetes, …/terraform,
// …/awsrun) turns what it reads into Objects; the engine evaluates every
// rule whose Inputs and Types match an Object, with the Object's Data bound
// to the CEL variable `object`. Rules never see a parser's types: Data is
// plain JSON-shaped values (map[string]any, []any, string, int64, float64,
// bool, nil), so a user can write a rule from the documentation of the
// input format alone.
package check

// Input names the kind of input an Object came from. Rules list the inputs
// they apply to.
type Input string

// The inputs `sightline check` reads.
const (
	// InputDockerfile: one Object per Dockerfile (Type "Dockerfile").
	InputDockerfile Input = "dockerfile"
	// InputKubernetes: one Object per Kubernetes object (Type = kind,
	// "Pod", "Deployment", …), from manifests, Helm, Kustomize, a live
	// cluster or an admission request.
	InputKubernetes Input = "kubernetes"
	// InputTerraform: one Object per Terraform resource instance (Type =
	// resource type, "aws_security_group"), from HCL or a plan.
	InputTerraform Input = "terraform"
	// InputAWS: one Object per resource of an AWS snapshot (Type = the
	// CloudFormation-style type, "AWS::EC2::Instance").
	InputAWS Input = "aws"
)

// Location says where an Object or a finding is: a file and a 1-based line
// (Dockerfile, YAML, HCL), or a cloud resource ID, or both (a Terraform
// resource has a file, a line and an address).
type Location struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Resource string `json:"resource,omitempty"`
}

// Object is one thing rules are evaluated on.
type Object struct {
	Input Input
	// Type selects rules (a rule lists the types it applies to, or none
	// for every type of its inputs): a Kubernetes kind, a Terraform
	// resource type, an AWS resource type, "Dockerfile".
	Type string
	// Name is what a reader calls the object: "ns/Deployment/web",
	// "aws_instance.web[0]", "sg-0ab…", "images/api/Dockerfile".
	Name string
	// Location of the object as a whole.
	Location Location
	// Data is the object as CEL sees it (variable `object`).
	Data map[string]any
	// Vars are values an input derives for rules (CEL variable `vars`),
	// JSON-shaped like Data and documented by each input: the pod spec
	// and containers of any workload controller, a Dockerfile's stages,
	// the exposure results of a Terraform resource.
	Vars map[string]any
	// Lines maps a field path in Data to the 1-based line that holds it,
	// when the input knows it. Paths are dotted with [i] for list indexes:
	// "spec.template.spec.containers[0].securityContext.privileged". A
	// finding whose rule names a path gets that line; otherwise the
	// object's line.
	Lines map[string]int
	// Unknown lists the paths in Data whose values could not be worked out
	// (a Terraform expression over a variable without a value, a computed
	// attribute of a plan). The engine reports a rule that reads only
	// known values normally; a rule whose evaluation touches an unknown
	// value yields an "unknown" result naming the path, never a pass.
	// Why a path is unknown goes in Vars["unknown"], a map from the path
	// to a string (UnknownReason reads it): the result shows it.
	Unknown []string
	// Ignores are the inline suppressions written in the input
	// ("# sightline:ignore RULE-ID reason").
	Ignores []Ignore
}

// Ignore is one inline suppression comment.
type Ignore struct {
	RuleID string
	Reason string
	// Line of the comment; it covers the object that begins on the next
	// line, or the line it is on when written at the end of a line.
	Line int
	// Covers, when > 0, narrows the ignore to the findings on that line:
	// an input whose one Object spans a whole file (a Dockerfile) scopes
	// each comment to the instruction below it, not to the file.
	Covers int
}

// Set is what one or more inputs produced: the Objects, and Gaps for what
// could not be read (a file that does not parse, a module that could not
// be loaded). A Gap is shown and counted, never dropped.
type Set struct {
	Objects []Object
	Gaps    []Gap
}

// Gap is something an input could not check.
type Gap struct {
	Input    Input    `json:"input"`
	Location Location `json:"location"`
	Reason   string   `json:"reason"`
}

// Add appends other's objects and gaps to s.
func (s *Set) Add(other Set) {
	s.Objects = append(s.Objects, other.Objects...)
	s.Gaps = append(s.Gaps, other.Gaps...)
}

// UnknownReason is why the Unknown path p of o could not be worked out, as
// the input recorded it in Vars["unknown"][p]; "" when it did not.
func (o *Object) UnknownReason(p string) string {
	m, _ := o.Vars["unknown"].(map[string]any)
	why, _ := m[p].(string)
	return why
}

// SetUnknown marks path p of o unknown for the reason why.
func (o *Object) SetUnknown(p, why string) {
	o.Unknown = append(o.Unknown, p)
	if o.Vars == nil {
		o.Vars = map[string]any{}
	}
	m, _ := o.Vars["unknown"].(map[string]any)
	if m == nil {
		m = map[string]any{}
		o.Vars["unknown"] = m
	}
	m[p] = why
}
