package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"

	"github.com/sightline-sec/sightline/internal/workload"
)

// Bounds on what one LoadManifests call reads. They keep time and memory
// bounded on hostile input; anything over a bound is a Gap (or an error when
// nothing usable was read), never silently truncated.
const (
	// MaxFileBytes is the largest manifest file read (and the largest
	// rendered Helm or Kustomize output). Real manifests are kilobytes; the
	// largest public bundles (e.g. a CRD-heavy operator) are a few MiB.
	MaxFileBytes = 16 << 20
	// MaxDocuments is the most YAML documents (List items included) read
	// by one call.
	MaxDocuments = 50_000
	// MaxFiles is the most files visited under the given paths.
	MaxFiles = 20_000
	// Nesting depth and alias expansion are bounded by the YAML parser
	// (go.yaml.in/yaml/v2: "exceeded max depth of 10000", "excessive
	// aliasing") and encoding/json (depth 10000); both are errors → Gaps.
	//
	// maxListDepth bounds Lists inside Lists.
	maxListDepth = 2
)

// decoder turns documents into typed objects with a scheme that knows the
// groups modelled here (apps/v1, batch/v1, core/v1, networking/v1).
type decoder struct {
	ctx    context.Context
	codec  runtime.Decoder
	scheme *runtime.Scheme
	opts   LoadOptions
	objs   *Objects
	docs   int
	// read counts the objects decoded (modelled or ignored): "nothing
	// usable was read" means read == 0.
	read int
	// raw, when set, receives every document instead of the typed
	// decoding (ReadDocuments).
	raw func(RawDocument) error
	// rawErr is the first error raw returned; reading stops there.
	rawErr error
	// rendered is true while a Helm or Kustomize output is decoded;
	// renderedFrom is then the file it comes from (RawDocument.RenderedFrom).
	rendered     bool
	renderedFrom string
}

// newScheme knows the API groups modelled here (core/v1, apps/v1,
// batch/v1, networking/v1).
func newScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			return nil, fmt.Errorf("kubernetes scheme: %w", err)
		}
	}
	return scheme, nil
}

func newDecoder(ctx context.Context, objs *Objects, opts LoadOptions) (*decoder, error) {
	scheme, err := newScheme()
	if err != nil {
		return nil, err
	}
	return &decoder{codec: serializer.NewCodecFactory(scheme).UniversalDeserializer(), scheme: scheme, opts: opts, objs: objs, ctx: ctx}, nil
}

// document is one YAML document of a stream and the line it starts on.
type document struct {
	line int
	body []byte
}

// splitDocuments splits a multi-document YAML stream on "---" separator
// lines (YAML 1.2 §9.2), keeping each document's first content line for
// the Inputs map. A JSON file is one document.
// At most limit documents are returned (the caller reports the excess).
func splitDocuments(data []byte, isJSON bool, limit int) []document {
	if isJSON {
		return []document{{line: firstContentLine(data, 1), body: data}}
	}
	var docs []document
	start, startLine, line := 0, 1, 1
	flush := func(end int) {
		body := data[start:end]
		if len(bytes.TrimSpace(body)) > 0 {
			docs = append(docs, document{line: firstContentLine(body, startLine), body: body})
		}
	}
	for i := 0; i < len(data) && len(docs) <= limit; {
		j := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if j >= 0 {
			next = i + j + 1
		}
		l := bytes.TrimRight(data[i:next], "\r\n")
		if bytes.HasPrefix(l, []byte("---")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t') {
			flush(i)
			start, startLine = i+3, line
		} else if bytes.Equal(l, []byte("...")) {
			flush(i)
			start, startLine = next, line+1
		}
		i = next
		line++
	}
	if len(docs) <= limit {
		flush(len(data))
	}
	return docs
}

// firstContentLine is the line of the first line that is neither blank nor
// a comment, counting from line.
func firstContentLine(body []byte, line int) int {
	for _, l := range bytes.Split(body, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			return line
		}
		line++
	}
	return line
}

// header is the part of every object read before choosing its type.
type header struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// stream decodes every document of one file or rendered output; where
// names the input in Inputs and Gaps ("deploy/app.yaml", "chart ./shop
// (Helm) templates/web.yaml"), lineSuffix says whether ":line" is added.
func (d *decoder) stream(where string, data []byte, isJSON, lineSuffix bool) {
	for _, doc := range splitDocuments(data, isJSON, MaxDocuments-d.docs) {
		if d.ctx.Err() != nil {
			return // LoadManifests reports the context's error
		}
		loc := where
		if lineSuffix {
			loc = fmt.Sprintf("%s:%d", where, doc.line)
		}
		if d.docs >= MaxDocuments {
			d.gap(loc, "read documents", fmt.Sprintf("more than %d documents; the rest of the input was not read", MaxDocuments))
			return
		}
		d.docs++
		if d.raw != nil {
			d.rawDocument(where, doc.line, lineSuffix, loc, doc.body)
			if d.rawErr != nil {
				return
			}
			continue
		}
		start := 0
		if lineSuffix {
			start = doc.line - leadingLines(doc.body)
		}
		d.document(loc, start, doc.body)
	}
}

// document decodes one YAML or JSON document.
// start is the file line the document begins on (0: unknown, as in
// rendered output), to give a parser error's line in the file.
func (d *decoder) document(loc string, start int, body []byte) {
	js, err := yaml.YAMLToJSON(body)
	if err != nil {
		d.gap(loc, "parse document", fileLines(err.Error(), start))
		return
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return // only comments
	}
	d.object(loc, js, 0)
}

// object decodes one object (unwrapping Lists).
func (d *decoder) object(loc string, js []byte, depth int) {
	var h header
	if err := json.Unmarshal(js, &h); err != nil {
		d.gap(loc, "parse document", "not a Kubernetes object: "+err.Error())
		return
	}
	if h.Kind == "" || h.APIVersion == "" {
		d.gap(loc, "parse document", "not a Kubernetes object: apiVersion and kind are required")
		return
	}
	if strings.HasSuffix(h.Kind, "List") && h.Items != nil {
		if depth >= maxListDepth {
			d.gap(loc, "parse document", "List nested too deep")
			return
		}
		for _, item := range h.Items {
			if d.docs >= MaxDocuments {
				d.gap(loc, "read documents", fmt.Sprintf("more than %d documents; the rest of the input was not read", MaxDocuments))
				return
			}
			d.docs++
			d.object(loc, item, depth+1)
		}
		return
	}
	gvk := schema.FromAPIVersionAndKind(h.APIVersion, h.Kind)
	obj, _, err := d.codec.Decode(js, &gvk, nil)
	if runtime.IsNotRegisteredError(err) {
		if d.legacy(loc, h.APIVersion, h.Kind, js) {
			return
		}
		if modelledKinds[h.Kind] {
			d.gap(loc, "read "+h.Kind, fmt.Sprintf("apiVersion %s is not read (only %s); convert the manifest to the current API version", h.APIVersion, modelledKinds))
			return
		}
		if gv := gvk.GroupVersion(); d.scheme.IsVersionRegistered(gv) {
			// A kind the API group does not have (a typo such as
			// "Deploymnet"): the API server rejects it ("no matches for
			// kind"), so it is an error of the input, not an unmodelled kind.
			d.read++
			d.gap(loc, "read "+h.APIVersion+" "+h.Kind, unknownKind(h.APIVersion, h.Kind))
			return
		}
		d.ignore(loc, h.APIVersion, h.Kind)
		return
	}
	if err != nil {
		d.gap(loc, "decode "+h.Kind, err.Error())
		return
	}
	d.read++
	d.add(loc, obj)
}

// modelledKinds are the kinds Build models; an apiVersion of one of them
// that is neither current nor a known older one (legacyKinds) is a Gap,
// not silently ignored.
var modelledKinds = kindSet{
	"Pod": true, "Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true,
	"Job": true, "CronJob": true, "Service": true, "Ingress": true, "NetworkPolicy": true,
	"ServiceAccount": true, "Node": true, "Namespace": true,
}

type kindSet map[string]bool

func (k kindSet) String() string {
	return "apps/v1, batch/v1, v1, networking.k8s.io/v1"
}

func (d *decoder) ignore(loc, apiVersion, kind string) {
	d.read++
	if d.objs.Ignored == nil {
		d.objs.Ignored = map[string]int{}
		d.objs.IgnoredAt = map[string]string{}
	}
	k := apiVersion + "/" + kind
	if d.objs.Ignored[k] == 0 {
		d.objs.IgnoredAt[k] = loc
	}
	d.objs.Ignored[k]++
}

func (d *decoder) gap(loc, what, reason string) {
	d.objs.Gaps = append(d.objs.Gaps, workload.Gap{Source: workload.SourceKubernetes, What: what, Reason: reason, Input: loc})
}

// add appends a typed object, defaulting its namespace and recording where
// it was read. A second object with the same Kind/namespace/name is a Gap
// and the first is kept.
func (d *decoder) add(loc string, obj runtime.Object) {
	switch o := obj.(type) {
	case *corev1.Pod:
		if d.record(loc, "Pod", &o.ObjectMeta) {
			d.objs.Pods = append(d.objs.Pods, *o)
		}
	case *appsv1.Deployment:
		if d.record(loc, "Deployment", &o.ObjectMeta) {
			d.objs.Deployments = append(d.objs.Deployments, *o)
		}
	case *appsv1.StatefulSet:
		if d.record(loc, "StatefulSet", &o.ObjectMeta) {
			d.objs.StatefulSets = append(d.objs.StatefulSets, *o)
		}
	case *appsv1.DaemonSet:
		if d.record(loc, "DaemonSet", &o.ObjectMeta) {
			d.objs.DaemonSets = append(d.objs.DaemonSets, *o)
		}
	case *appsv1.ReplicaSet:
		if d.record(loc, "ReplicaSet", &o.ObjectMeta) {
			d.objs.ReplicaSets = append(d.objs.ReplicaSets, *o)
		}
	case *batchv1.Job:
		if d.record(loc, "Job", &o.ObjectMeta) {
			d.objs.Jobs = append(d.objs.Jobs, *o)
		}
	case *batchv1.CronJob:
		if d.record(loc, "CronJob", &o.ObjectMeta) {
			d.objs.CronJobs = append(d.objs.CronJobs, *o)
		}
	case *corev1.Service:
		if d.record(loc, "Service", &o.ObjectMeta) {
			d.objs.Services = append(d.objs.Services, *o)
		}
	case *networkingv1.Ingress:
		if d.record(loc, "Ingress", &o.ObjectMeta) {
			d.objs.Ingresses = append(d.objs.Ingresses, *o)
		}
	case *networkingv1.NetworkPolicy:
		if d.record(loc, "NetworkPolicy", &o.ObjectMeta) {
			d.objs.NetworkPolicies = append(d.objs.NetworkPolicies, *o)
		}
	case *corev1.ServiceAccount:
		if d.record(loc, "ServiceAccount", &o.ObjectMeta) {
			d.objs.ServiceAccounts = append(d.objs.ServiceAccounts, *o)
		}
	case *corev1.Node:
		if d.recordCluster(loc, "Node", o.Name) {
			d.objs.Nodes = append(d.objs.Nodes, *o)
		}
	case *corev1.Namespace:
		if d.recordCluster(loc, "Namespace", o.Name) {
			d.objs.Namespaces = append(d.objs.Namespaces, *o)
		}
	default:
		gvk := obj.GetObjectKind().GroupVersionKind()
		d.read--
		d.ignore(loc, gvk.GroupVersion().String(), gvk.Kind)
	}
}

// record defaults the namespace and claims the Inputs key; false for a
// duplicate.
func (d *decoder) record(loc, kind string, m interface {
	GetNamespace() string
	SetNamespace(string)
	GetName() string
}) bool {
	if m.GetNamespace() == "" {
		m.SetNamespace(d.opts.namespace())
	}
	if errs := nameErrors(kind, m.GetName(), m.GetNamespace()); len(errs) > 0 {
		d.gap(loc, "read "+kind+" "+m.GetNamespace()+"/"+m.GetName(), rejected("metadata", errs))
		return false
	}
	return d.claim(loc, kind+"/"+m.GetNamespace()+"/"+m.GetName())
}

// recordCluster claims the Inputs key "Kind//name" of a cluster-scoped
// object.
func (d *decoder) recordCluster(loc, kind, name string) bool {
	if errs := nameErrors(kind, name, ""); len(errs) > 0 {
		d.gap(loc, "read "+kind+" "+name, rejected("metadata", errs))
		return false
	}
	return d.claim(loc, kind+"//"+name)
}

func (d *decoder) claim(loc, key string) bool {
	if prev, ok := d.objs.Inputs[key]; ok {
		d.gap(loc, "read "+key, "duplicate of the object read at "+prev+"; the first is kept")
		return false
	}
	d.objs.Inputs[key] = loc
	return true
}
