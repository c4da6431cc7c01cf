package main

import "github.com/sightline-sec/sightline/internal/check"

// defaultCheckInputs are the inputs built into this binary: each input
// package (internal/check/dockerfile, …/kubernetes, …/terraform,
// …/awsrun) is registered here. Order matters for detection: the first
// Reader whose Detect accepts a file reads it.
func defaultCheckInputs() *checkInputs {
	return &checkInputs{files: &check.Registry{}}
}
