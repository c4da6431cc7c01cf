package main

import (
	"fmt"

	"github.com/sightline-sec/sightline/internal/check"
)

// Generate returns n Deployments shaped like the microservices-demo
// manifests, with a Lines entry for every field (as a YAML input gives)
// and the vars the Kubernetes input derives (containers, podSpec,
// podSpecPath, podMeta, podMetaPath; docs/check-kubernetes.md). Every 10th is privileged, every 25th mounts the Docker
// socket, every 40th uses the host network, every 15th adds NET_ADMIN.
func Generate(n int) []check.Object {
	out := make([]check.Object, n)
	for i := range out {
		out[i] = deployment(i)
	}
	return out
}

func deployment(i int) check.Object {
	name := fmt.Sprintf("svc-%05d", i)
	app := container(name, fmt.Sprintf("registry.example.test/team%d/%s:v1.%d.0", i%20, name, i%7), i)
	sidecar := container("envoy", "envoyproxy/envoy:v1.30.1", i+1)
	if i%3 == 0 {
		sidecar["image"] = "envoyproxy/envoy@sha256:" + fmt.Sprintf("%064x", i)
	}
	podSpec := map[string]any{
		"serviceAccountName": name,
		"securityContext":    map[string]any{"fsGroup": int64(1000), "runAsGroup": int64(1000), "runAsNonRoot": i%4 != 0, "runAsUser": int64(1000)},
		"containers":         []any{app, sidecar},
		"volumes": []any{
			map[string]any{"name": "config", "configMap": map[string]any{"name": name + "-config"}},
		},
	}
	if i%25 == 0 {
		podSpec["volumes"] = append(podSpec["volumes"].([]any),
			map[string]any{"name": "docker", "hostPath": map[string]any{"path": "/var/run/docker.sock", "type": "Socket"}})
	}
	if i%40 == 0 {
		podSpec["hostNetwork"] = true
	}
	data := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": fmt.Sprintf("ns-%02d", i%50),
			"labels": map[string]any{"app": name, "tier": "backend"}},
		"spec": map[string]any{
			"replicas": int64(1 + i%3),
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": name},
					"annotations": map[string]any{"sidecar.istio.io/rewriteAppHTTPProbers": "true"}},
				"spec": podSpec,
			},
		},
	}
	lines := map[string]int{}
	line := 1
	walk(data, "", lines, &line)
	const specPath = "spec.template.spec"
	ctrs := []any{
		map[string]any{"container": app, "path": specPath + ".containers[0]", "kind": "containers"},
		map[string]any{"container": sidecar, "path": specPath + ".containers[1]", "kind": "containers"},
	}
	return check.Object{
		Input: check.InputKubernetes, Type: "Deployment", Name: "ns/Deployment/" + name,
		Location: check.Location{File: fmt.Sprintf("manifests/%s.yaml", name), Line: 1},
		Data:     data, Lines: lines,
		Vars: map[string]any{"containers": ctrs, "podSpec": podSpec, "podSpecPath": specPath,
			"podMeta": data["spec"].(map[string]any)["template"].(map[string]any)["metadata"], "podMetaPath": "spec.template.metadata"},
	}
}

func container(name, image string, i int) map[string]any {
	env := make([]any, 10)
	for j := range env {
		env[j] = map[string]any{"name": fmt.Sprintf("SERVICE_%d_ADDR", j), "value": fmt.Sprintf("svc-%d:%d", j, 7000+j)}
	}
	sc := map[string]any{"allowPrivilegeEscalation": i%6 == 0, "readOnlyRootFilesystem": true,
		"capabilities": map[string]any{"drop": []any{"ALL"}}}
	if i%10 == 0 {
		sc["privileged"] = true
	}
	if i%15 == 0 {
		sc["capabilities"].(map[string]any)["add"] = []any{"NET_ADMIN"}
	}
	c := map[string]any{
		"name": name, "image": image, "securityContext": sc,
		"ports": []any{map[string]any{"containerPort": int64(8080)}},
		"env":   env,
		"readinessProbe": map[string]any{"initialDelaySeconds": int64(10),
			"httpGet": map[string]any{"path": "/_healthz", "port": int64(8080)}},
		"volumeMounts": []any{map[string]any{"name": "config", "mountPath": "/etc/config"}},
	}
	if i%5 != 0 {
		c["resources"] = map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "64Mi"},
			"limits":   map[string]any{"cpu": "200m", "memory": "128Mi"},
		}
	}
	return c
}

// walk gives every field a line, in document order, as a YAML input would.
func walk(v any, path string, lines map[string]int, line *int) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			lines[p] = *line
			*line++
			walk(e, p, lines, line)
		}
	case []any:
		for i, e := range x {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = *line
			walk(e, p, lines, line)
		}
	}
}
