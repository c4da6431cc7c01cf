package main

import (
	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/awsrun"
	"github.com/sightline-sec/sightline/internal/check/terraform"
)

// defaultCheckInputs are the inputs built into this binary: each input
// package (internal/check/dockerfile, …/kubernetes, …/terraform,
// …/awsrun) is registered here. Order matters for detection: the first
// Reader whose Detect accepts a file reads it.
func defaultCheckInputs() *checkInputs {
	files := &check.Registry{}
	// Registering distinct inputs into a fresh registry cannot fail.
	_ = files.Register(&terraform.Reader{})
	return &checkInputs{files: files, aws: awsrun.Load}
}
