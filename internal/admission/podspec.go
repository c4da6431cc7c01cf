package admission

import (
	"encoding/json"
	"fmt"
)

// workloadKinds are the kinds the webhook checks, by "group/Kind" (core
// group empty): Pods and the controllers that hold a pod template.
var workloadKinds = map[string]bool{
	"/Pod": true, "/ReplicationController": true,
	"apps/Deployment": true, "apps/StatefulSet": true, "apps/DaemonSet": true, "apps/ReplicaSet": true,
	"batch/Job": true, "batch/CronJob": true,
}

// isWorkload reports whether group/kind is one the webhook checks.
func isWorkload(group, kind string) bool { return workloadKinds[group+"/"+kind] }

// image is one container image of a pod spec and where it is.
type image struct {
	Ref  string // as written in the spec
	Path string // "spec.template.spec.containers[0].image"
}

// specImages is the part of a core/v1 PodSpec the image policy reads.
// Decoding only these fields costs a fraction of decoding the typed
// object (k8s.io/api), which the rules do not need either: they read the
// Kubernetes input's check.Object.
type specImages struct {
	InitContainers      []struct{ Image string } `json:"initContainers"`
	Containers          []struct{ Image string } `json:"containers"`
	EphemeralContainers []struct{ Image string } `json:"ephemeralContainers"`
}

// workloadImages covers every workload kind: a Pod's spec is the pod spec,
// a controller's is spec.template.spec, a CronJob's
// spec.jobTemplate.spec.template.spec.
type workloadImages struct {
	Spec struct {
		specImages
		Template *struct {
			Spec specImages `json:"spec"`
		} `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template struct {
					Spec specImages `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

// podImages lists the images of every container, init container and
// ephemeral container of a workload object's pod spec, with their paths.
// A controller without a template has none.
func podImages(kind string, raw []byte) ([]image, error) {
	if !isWorkload(groupOf(kind), kind) {
		return nil, fmt.Errorf("kind %s holds no pod spec", kind)
	}
	var w workloadImages
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", kind, err)
	}
	var spec *specImages
	prefix := "spec.template.spec"
	switch {
	case kind == "Pod":
		spec, prefix = &w.Spec.specImages, "spec"
	case kind == "CronJob" && w.Spec.JobTemplate != nil:
		spec, prefix = &w.Spec.JobTemplate.Spec.Template.Spec, "spec.jobTemplate.spec.template.spec"
	case kind != "CronJob" && w.Spec.Template != nil:
		spec = &w.Spec.Template.Spec
	default:
		return nil, nil
	}
	var out []image
	add := func(field string, list []struct{ Image string }) {
		for i, c := range list {
			out = append(out, image{Ref: c.Image, Path: fmt.Sprintf("%s.%s[%d].image", prefix, field, i)})
		}
	}
	add("initContainers", spec.InitContainers)
	add("containers", spec.Containers)
	add("ephemeralContainers", spec.EphemeralContainers)
	return out, nil
}

// groupOf is the API group of a workload kind.
func groupOf(kind string) string {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
		return "apps"
	case "Job", "CronJob":
		return "batch"
	}
	return ""
}
