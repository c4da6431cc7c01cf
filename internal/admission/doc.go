// Package admission is Sightline's Kubernetes validating admission webhook
// (`sightline admission serve`, docs/admission.md).
//
// The API server POSTs an admission.k8s.io/v1 AdmissionReview for every
// Pod and workload controller (Deployment, StatefulSet, DaemonSet,
// ReplicaSet, Job, CronJob, ReplicationController) created or updated in
// the namespaces the ValidatingWebhookConfiguration selects
// (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/).
// The handler checks two things:
//
//   - the Kubernetes rules (the built-in pack and user rules) through an
//     Evaluator: the same rules `sightline check` applies to manifests;
//   - the image policy: an image is refused when its scan has a finding in
//     the CISA KEV catalog or a critical one with a fixed version. Scan
//     results come from a cache directory of `sightline scan image --format
//     json` results keyed by image digest (ScanCache); an image the cache
//     does not hold is scanned within a time budget, else the configured
//     failure choice (open or closed) decides, and the response says so.
//
// Modes: enforce denies; warn admits with AdmissionResponse.Warnings;
// audit admits and only logs and annotates the audit event. Nothing is a
// silent pass: an evaluation error follows the failure choice, is logged,
// and is named in the response.
package admission
