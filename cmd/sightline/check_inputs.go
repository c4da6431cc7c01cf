package main

import (
	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/dockerfile"
)

// defaultCheckInputs are the inputs built into this binary: each input
// package (internal/check/dockerfile, …/kubernetes, …/terraform,
// …/awsrun) is registered here. Order matters for detection: the first
// Reader whose Detect accepts a file reads it.
func defaultCheckInputs() *checkInputs {
	files := &check.Registry{}
	mustRegister(files, dockerfile.Reader{})
	return &checkInputs{files: files}
}

// mustRegister registers a built-in Reader; a duplicate is a programming
// error in the list above.
func mustRegister(g *check.Registry, r check.Reader) {
	if err := g.Register(r); err != nil {
		panic(err)
	}
}
