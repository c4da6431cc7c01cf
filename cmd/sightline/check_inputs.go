package main

import (
	"context"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/kubernetes"
	"github.com/sightline-sec/sightline/internal/workload/kube/live"
)

// defaultCheckInputs are the inputs built into this binary: each input
// package (internal/check/dockerfile, …/kubernetes, …/terraform,
// …/awsrun) is registered here. Order matters for detection: the first
// Reader whose Detect accepts a file reads it.
func defaultCheckInputs() *checkInputs {
	in := &checkInputs{files: &check.Registry{}}
	k8s := kubernetes.Reader{}
	if err := in.files.Register(k8s); err != nil {
		panic(err) // a programming error: two readers for one input
	}
	in.k8s = k8s.Read
	in.cluster = func(ctx context.Context, kubeconfig, kubeContext string) (check.Set, error) {
		return kubernetes.ReadCluster(ctx, live.Options{Kubeconfig: kubeconfig, Context: kubeContext})
	}
	return in
}
