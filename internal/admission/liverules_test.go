package admission

import (
	"context"
	"sync"
	"testing"
)

// privilegedMessage is what a denial of privilegedPod names: the built-in
// Pod Security Standards rule "Privileged containers".
const privilegedMessage = `SL-K8S-PSS-003: container "shell" is privileged (securityContext.privileged=true) (spec.containers[0].securityContext.privileged)`

var builtin struct {
	once sync.Once
	ev   *RulesEvaluator
	err  error
}

// liveRules is the real rule engine with the built-in packs, loaded once.
func liveRules(t testing.TB) Evaluator {
	t.Helper()
	builtin.once.Do(func() { builtin.ev, builtin.err = LoadRules(context.Background(), nil) })
	if builtin.err != nil {
		t.Fatal(builtin.err)
	}
	return builtin.ev
}
