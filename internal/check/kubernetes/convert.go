package kubernetes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sightline-sec/sightline/internal/check"
)

// source says where a document was read, for Object.Location and Gaps.
type source struct {
	file string // Location.File: a file path or a rendered source's name
	line int    // the document's first content line; 0 = unknown
	// withLines: the YAML text's lines are the file's own (not Kustomize
	// output, whose lines are nobody's file).
	withLines bool
	namespace string // the namespace of objects that name none
	resource  string // Location.Resource: what rendered the document, if anything
}

// decodeJSON decodes a JSON object into JSON-shaped values, numbers as
// int64 when integral (runAsUser: 0 is an int in CEL, as the API's int64
// fields are) and float64 otherwise. A map entry whose value is null is
// dropped: the API server decodes a null field as unset and never serves
// it (`securityContext:` with nothing after it is no security context), so
// rules see what the cluster would hold, and `x.?f.orValue(d)` gives d.
func decodeJSON(js []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	m, ok := numbers(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a Kubernetes object: a %s, not a map", jsonType(v))
	}
	return m, nil
}

// numbers replaces json.Number values in place.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return string(x)
	}
	return v
}

func jsonType(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	case nil:
		return "null"
	case bool:
		return "bool"
	}
	return "number"
}

// documentObjects turns one document into Objects: itself, or each item
// of a List (kind ending in "List" with items, as kubectl unwraps them).
// Lines and inline ignores come from the YAML text when tree is non-nil.
func documentObjects(src source, data map[string]any, text []byte, tree *yamlTree) ([]check.Object, []check.Gap) {
	items, isList := data["items"].([]any)
	kind, _ := data["kind"].(string)
	if !isList || !strings.HasSuffix(kind, "List") {
		o, err := newObject(src, data)
		if err != nil {
			return nil, []check.Gap{gapAt(src, err.Error())}
		}
		if tree != nil {
			o.Lines = tree.Lines(tree.root)
			o.Ignores = tree.Ignores(text, 0, 0)
		}
		return []check.Object{o}, nil
	}
	var (
		objs []check.Object
		gaps []check.Gap
	)
	var itemNodes []*yaml.Node
	if tree != nil {
		if n := child(tree.root, "items"); n != nil && n.Kind == yaml.SequenceNode {
			itemNodes = n.Content
		}
	}
	for i, it := range items {
		m, ok := it.(map[string]any)
		isrc := src
		var node *yaml.Node
		if i < len(itemNodes) && len(itemNodes) == len(items) {
			node = itemNodes[i]
			isrc.line = node.Line + tree.offset
		}
		if !ok {
			gaps = append(gaps, gapAt(isrc, fmt.Sprintf("%s item %d is not an object", kind, i)))
			continue
		}
		o, err := newObject(isrc, m)
		if err != nil {
			gaps = append(gaps, gapAt(isrc, fmt.Sprintf("%s item %d: %v", kind, i, err)))
			continue
		}
		if node != nil {
			o.Lines = tree.Lines(node)
			from, to := itemLines(itemNodes, i)
			o.Ignores = tree.Ignores(text, from, to)
		}
		objs = append(objs, o)
	}
	return objs, gaps
}

// itemLines is the range of lines (of the document text) whose ignore
// comments belong to List item i: from the line after the previous item
// to the item's last line (to the end for the last item), so a comment on
// its own line covers the item that follows it.
func itemLines(items []*yaml.Node, i int) (from, to int) {
	from = 1
	if i > 0 {
		_, prev := nodeSpan(items[i-1])
		from = prev + 1
	}
	if i < len(items)-1 {
		_, to = nodeSpan(items[i])
	}
	return from, to
}

// clusterScoped are the built-in kinds that have no namespace
// (`kubectl api-resources --namespaced=false` on Kubernetes 1.33, less
// the virtual review kinds): their Name is "Kind/name".
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ComponentStatus": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "StorageClass": true, "CSIDriver": true,
	"CSINode": true, "VolumeAttachment": true, "IngressClass": true, "RuntimeClass": true,
	"PriorityClass": true, "PriorityLevelConfiguration": true, "FlowSchema": true,
	"CustomResourceDefinition": true, "APIService": true, "MutatingWebhookConfiguration": true,
	"ValidatingWebhookConfiguration": true, "ValidatingAdmissionPolicy": true,
	"ValidatingAdmissionPolicyBinding": true, "MutatingAdmissionPolicy": true,
	"MutatingAdmissionPolicyBinding": true, "CertificateSigningRequest": true,
	"IPAddress": true, "ServiceCIDR": true, "DeviceClass": true,
}

// newObject makes the Object of one Kubernetes object (Data = the object
// as the API gives it), with its Vars. An object without apiVersion or
// kind, or without a name, is an error (the API server would refuse it).
func newObject(src source, data map[string]any) (check.Object, error) {
	apiVersion, _ := data["apiVersion"].(string)
	kind, _ := data["kind"].(string)
	if apiVersion == "" || kind == "" {
		return check.Object{}, errors.New("not a Kubernetes object: apiVersion and kind are required")
	}
	meta, _ := data["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if name == "" {
		name, _ = meta["generateName"].(string)
	}
	if name == "" {
		return check.Object{}, fmt.Errorf("%s %s: metadata.name is required", apiVersion, kind)
	}
	full := kind + "/" + name
	if !clusterScoped[kind] {
		ns, _ := meta["namespace"].(string)
		if ns == "" {
			ns = src.namespace
		}
		if ns == "" {
			ns = "default"
		}
		full = ns + "/" + full
	}
	return check.Object{
		Input:    check.InputKubernetes,
		Type:     kind,
		Name:     full,
		Location: check.Location{File: src.file, Line: src.line},
		Data:     data,
		Vars:     podVars(kind, data),
	}, nil
}

func gapAt(src source, reason string) check.Gap {
	return check.Gap{Input: check.InputKubernetes, Location: check.Location{File: src.file, Line: src.line}, Reason: reason}
}
