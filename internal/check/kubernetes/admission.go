package kubernetes

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sightline-sec/sightline/internal/check"
)

// MaxAdmissionObjectBytes bounds the object FromAdmission reads: the API
// server refuses request bodies over 3 MiB
// (https://kubernetes.io/docs/reference/using-api/api-concepts/, "request
// size limit"), and etcd objects over 1.5 MiB.
const MaxAdmissionObjectBytes = 3 << 20

// AdmissionRequest is what FromAdmission needs from an
// admission.k8s.io/v1 AdmissionRequest besides the object.
type AdmissionRequest struct {
	// UID of the request; it goes into Location.Resource.
	UID string
	// Namespace of the request: the object's namespace when its metadata
	// names none (as for objects created in the request's namespace).
	Namespace string
	// Name of the request; used when the object's metadata has neither
	// name nor generateName.
	Name string
}

// FromAdmission turns the object of an admission request
// (AdmissionRequest.object, JSON) into one check.Object, shaped as the
// manifest reader shapes objects (no Lines: a request has no text).
// Errors: empty or oversized JSON, JSON that is not an object, an object
// without apiVersion, kind or name.
func FromAdmission(raw []byte, req AdmissionRequest) (check.Object, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return check.Object{}, wrapf("admission request %s: %w", req.UID, errNoObjects)
	}
	if len(raw) > MaxAdmissionObjectBytes {
		return check.Object{}, wrapf("admission request %s: object larger than %d bytes", req.UID, MaxAdmissionObjectBytes)
	}
	data, err := decodeJSON(raw)
	if err != nil {
		return check.Object{}, wrapf("admission request %s: %w", req.UID, err)
	}
	if meta, ok := data["metadata"].(map[string]any); ok && req.Name != "" {
		if n, _ := meta["name"].(string); n == "" {
			if g, _ := meta["generateName"].(string); g == "" {
				meta["name"] = req.Name
			}
		}
	}
	o, err := newObject(source{namespace: req.Namespace}, data)
	if err != nil {
		return check.Object{}, wrapf("admission request %s: %w", req.UID, err)
	}
	o.Location.Resource = o.Name
	if req.UID != "" {
		o.Location.Resource = "admission request " + req.UID + ": " + o.Name
	}
	return o, nil
}

// errNoObjects is returned by FromAdmission for an empty object.
var errNoObjects = errors.New("no object")

// wrapf is fmt.Errorf with the input named.
func wrapf(format string, a ...any) error {
	return fmt.Errorf("kubernetes: "+format, a...)
}
