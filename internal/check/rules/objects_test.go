package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sightline-sec/sightline/internal/check"
)

// k8sObjects reads the Kubernetes objects of a manifest file the way a
// check input would (test stand-in for internal/check/kubernetes): Data
// is the object, Lines every field path's line, Vars.containers the pod
// template's containers with their paths.
func k8sObjects(t testing.TB, file string) []check.Object {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []check.Object
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		var data map[string]any
		if err := root.Decode(&data); err != nil {
			t.Fatal(err)
		}
		o := check.Object{Input: check.InputKubernetes, Data: normalize(data).(map[string]any),
			Location: check.Location{File: file, Line: root.Line}, Lines: map[string]int{}}
		o.Type, _ = data["kind"].(string)
		name, _ := data["metadata"].(map[string]any)["name"].(string)
		o.Name = o.Type + "/" + name
		nodeLines(root, "", o.Lines)
		o.Vars = map[string]any{"containers": containers(o.Data)}
		out = append(out, o)
	}
	return out
}

// normalize turns yaml.v3's int into int64, as the Object contract wants.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	case int:
		return int64(x)
	}
	return v
}

func nodeLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			lines[p] = n.Content[i].Line
			nodeLines(n.Content[i+1], p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = c.Line
			nodeLines(c, p, lines)
		}
	}
}

func containers(data map[string]any) []any {
	spec, prefix := data["spec"], "spec"
	if m, ok := spec.(map[string]any); ok && m["template"] != nil {
		spec = m["template"].(map[string]any)["spec"]
		prefix = "spec.template.spec"
	}
	m, _ := spec.(map[string]any)
	var out []any
	for _, field := range []string{"initContainers", "containers"} {
		list, _ := m[field].([]any)
		for i, c := range list {
			out = append(out, map[string]any{"container": c, "path": fmt.Sprintf("%s.%s[%d]", prefix, field, i)})
		}
	}
	return out
}
