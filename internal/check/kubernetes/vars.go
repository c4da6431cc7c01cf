package kubernetes

import "strconv"

// podSpecPaths says where each kind that makes Pods holds its pod
// template: the pod spec path and the pod metadata path
// (https://kubernetes.io/docs/concepts/workloads/pods/#pod-templates; the
// same kinds the Pod Security admission controller checks, see
// k8s.io/pod-security-admission/admission.PodSpecExtractor).
var podSpecPaths = map[string][2]string{
	"Pod":                   {"spec", "metadata"},
	"PodTemplate":           {"template.spec", "template.metadata"},
	"ReplicationController": {"spec.template.spec", "spec.template.metadata"},
	"ReplicaSet":            {"spec.template.spec", "spec.template.metadata"},
	"Deployment":            {"spec.template.spec", "spec.template.metadata"},
	"StatefulSet":           {"spec.template.spec", "spec.template.metadata"},
	"DaemonSet":             {"spec.template.spec", "spec.template.metadata"},
	"Job":                   {"spec.template.spec", "spec.template.metadata"},
	"CronJob":               {"spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.metadata"},
}

// containerLists are the pod spec's container lists, in the order the Pod
// Security admission controller visits them (VisitContainers).
var containerLists = []string{"initContainers", "containers", "ephemeralContainers"}

// podVars derives the Vars of an object (docs/check-kubernetes.md):
//
//	podSpec      map or null: the pod spec of a kind that makes Pods
//	podSpecPath  string: its dotted path in the object ("" when none)
//	podMeta      map or null: the pod template's metadata (annotations)
//	podMetaPath  string: its dotted path ("" when none)
//	containers   list of {container: map, path: string, kind: string}:
//	             every container, init container and ephemeral container,
//	             path being "spec.template.spec.containers[0]" and kind the
//	             list it is in ("containers", "initContainers",
//	             "ephemeralContainers")
func podVars(kind string, data map[string]any) map[string]any {
	vars := map[string]any{"podSpec": nil, "podSpecPath": "", "podMeta": nil, "podMetaPath": "", "containers": []any{}}
	paths, ok := podSpecPaths[kind]
	if !ok {
		return vars
	}
	spec, ok := at(data, paths[0]).(map[string]any)
	if !ok {
		return vars
	}
	vars["podSpec"], vars["podSpecPath"] = spec, paths[0]
	if meta, ok := at(data, paths[1]).(map[string]any); ok {
		vars["podMeta"], vars["podMetaPath"] = meta, paths[1]
	}
	var cs []any
	for _, list := range containerLists {
		items, _ := spec[list].([]any)
		for i, c := range items {
			if m, ok := c.(map[string]any); ok {
				cs = append(cs, map[string]any{
					"container": m,
					"path":      paths[0] + "." + list + "[" + strconv.Itoa(i) + "]",
					"kind":      list,
				})
			}
		}
	}
	if cs != nil {
		vars["containers"] = cs
	}
	return vars
}

// at follows a dotted path of map keys.
func at(m map[string]any, path string) any {
	var cur any = m
	start := 0
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '.' {
			continue
		}
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[path[start:i]]
		start = i + 1
	}
	return cur
}
