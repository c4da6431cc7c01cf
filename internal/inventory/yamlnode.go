package inventory

import "go.yaml.in/yaml/v3"

// YAML lockfiles are read as a node tree and walked by hand: decoding a
// mapping into a Go value makes go-yaml compare every key with every other
// (its duplicate-key check, go.yaml.in/yaml/v3 decode.go), which is
// quadratic in the mapping's size — a 4 MB pnpm-lock.yaml took 20 s.
// Building the node tree is linear; these helpers never decode a mapping.
// Aliases are not followed (lockfiles have none; following them invites
// alias bombs).

// yamlPairs calls fn for each key/value of a mapping node; other kinds
// have none.
func yamlPairs(n *yaml.Node, fn func(k string, v *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(yamlScalar(n.Content[i]), n.Content[i+1])
	}
}

// yamlGet returns the value of key in a mapping node, or nil.
func yamlGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if yamlScalar(n.Content[i]) == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// yamlScalar is a scalar node's value; "" for anything else.
func yamlScalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// yamlDoc unwraps a document node.
func yamlDoc(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return n.Content[0]
	}
	return n
}
