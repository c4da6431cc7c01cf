package main

import (
	"context"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/awsrun"
	"github.com/sightline-sec/sightline/internal/check/dockerfile"
	"github.com/sightline-sec/sightline/internal/check/kubernetes"
	"github.com/sightline-sec/sightline/internal/check/terraform"
	"github.com/sightline-sec/sightline/internal/workload/kube/live"
)

// defaultCheckInputs are the inputs built into this binary: each input
// package (internal/check/dockerfile, …/kubernetes, …/terraform,
// …/awsrun) is registered here. Order matters for detection: the first
// Reader whose Detect accepts a file reads it. tf holds --var-file and
// --var for the Terraform input.
func defaultCheckInputs(tf terraform.Options) *checkInputs {
	files := &check.Registry{}
	k8s := kubernetes.Reader{}
	for _, r := range []check.Reader{dockerfile.Reader{}, k8s, &terraform.Reader{Options: tf}} {
		if err := files.Register(r); err != nil {
			panic(err) // a programming error: two readers for one input
		}
	}
	return &checkInputs{
		files: files,
		k8s:   k8s.Read,
		k8sWith: func(namespace string, values []string) func(context.Context, []string) (check.Set, error) {
			return kubernetes.Reader{Namespace: namespace, Values: values}.Read
		},
		cluster: func(ctx context.Context, kubeconfig, kubeContext string) (check.Set, error) {
			set, err := kubernetes.ReadCluster(ctx, live.Options{Kubeconfig: kubeconfig, Context: kubeContext})
			if err != nil {
				// An API server that cannot be reached is the
				// environment (3), as for inventory; it was exit 2.
				return set, kubeError(err)
			}
			return set, nil
		},
		aws: awsrun.Load,
	}
}
