package kube

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// TypeChecker decodes an object into the API's Go types, as the API
// server does before it validates anything: a field of the wrong type
// (`privileged: "true"`, `containers:` written as a map) makes the server
// reject the object, so nothing runs from it. LoadManifests reports such
// documents as gaps; TypeChecker lets other readers of raw documents
// (internal/check/kubernetes) do the same. Safe for concurrent use.
type TypeChecker struct{ codec runtime.Decoder }

// NewTypeChecker returns a checker for the API groups modelled here
// (core/v1, apps/v1, batch/v1, networking/v1).
func NewTypeChecker() (*TypeChecker, error) {
	scheme, err := newScheme()
	if err != nil {
		return nil, err
	}
	return &TypeChecker{codec: serializer.NewCodecFactory(scheme).UniversalDeserializer()}, nil
}

// Check returns the decoding error of the object js (JSON) of apiVersion
// and kind, or nil: also for kinds of other API groups and custom
// resources, whose types it does not know (they are not checked).
func (c *TypeChecker) Check(js []byte, apiVersion, kind string) error {
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	_, _, err := c.codec.Decode(js, &gvk, nil)
	if runtime.IsNotRegisteredError(err) {
		return nil
	}
	return err
}
