package admission

import (
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
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

// podImages decodes obj (a workload kind) and lists the images of every
// container, init container and ephemeral container of its pod spec.
func podImages(kind string, raw []byte) ([]image, error) {
	spec, prefix, err := podSpec(kind, raw)
	if err != nil {
		return nil, err
	}
	if spec == nil {
		return nil, nil
	}
	var out []image
	add := func(field string, i int, ref string) {
		out = append(out, image{Ref: ref, Path: fmt.Sprintf("%s.%s[%d].image", prefix, field, i)})
	}
	for i, c := range spec.InitContainers {
		add("initContainers", i, c.Image)
	}
	for i, c := range spec.Containers {
		add("containers", i, c.Image)
	}
	for i, c := range spec.EphemeralContainers {
		add("ephemeralContainers", i, c.Image)
	}
	return out, nil
}

// podSpec returns the pod spec of a workload object and its field path.
// A controller without a template (nil) yields a nil spec.
func podSpec(kind string, raw []byte) (*corev1.PodSpec, string, error) {
	const tmpl = "spec.template.spec"
	var err error
	switch kind {
	case "Pod":
		var o corev1.Pod
		if err = json.Unmarshal(raw, &o); err == nil {
			return &o.Spec, "spec", nil
		}
	case "Deployment":
		var o appsv1.Deployment
		if err = json.Unmarshal(raw, &o); err == nil {
			return &o.Spec.Template.Spec, tmpl, nil
		}
	case "StatefulSet":
		var o appsv1.StatefulSet
		if err = json.Unmarshal(raw, &o); err == nil {
			return &o.Spec.Template.Spec, tmpl, nil
		}
	case "DaemonSet":
		var o appsv1.DaemonSet
		if err = json.Unmarshal(raw, &o); err == nil {
			return &o.Spec.Template.Spec, tmpl, nil
		}
	case "ReplicaSet":
		var o appsv1.ReplicaSet
		if err = json.Unmarshal(raw, &o); err == nil {
			return &o.Spec.Template.Spec, tmpl, nil
		}
	case "Job":
		var o batchv1.Job
		if err = json.Unmarshal(raw, &o); err == nil {
			return &o.Spec.Template.Spec, tmpl, nil
		}
	case "CronJob":
		var o batchv1.CronJob
		if err = json.Unmarshal(raw, &o); err == nil {
			return &o.Spec.JobTemplate.Spec.Template.Spec, "spec.jobTemplate.spec.template.spec", nil
		}
	case "ReplicationController":
		var o corev1.ReplicationController
		if err = json.Unmarshal(raw, &o); err == nil {
			if o.Spec.Template == nil {
				return nil, "", nil
			}
			return &o.Spec.Template.Spec, tmpl, nil
		}
	default:
		return nil, "", fmt.Errorf("kind %s holds no pod spec", kind)
	}
	return nil, "", fmt.Errorf("decoding %s: %w", kind, err)
}
