package admission

import "testing"

// privilegedMessage is what a denial of privilegedPod names.
const privilegedMessage = "SL-K8S-PSS-001: container shell is privileged"

// liveRules is the Evaluator of the live tests.
func liveRules(t *testing.T) Evaluator { return privilegedRule }
