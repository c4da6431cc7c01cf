package reach

import (
	"testing"

	"github.com/sightline-sec/sightline/internal/risk"
)

// TestMergePicks: a workload with several interfaces gets, per store, the
// best-ranked flow over them (the first interface on ties), in store
// order, after the accesses it already has.
func TestMergePicks(t *testing.T) {
	acc := func(detail string) risk.DataAccess { return risk.DataAccess{Detail: detail} }
	picks := map[string][]ifacePick{
		"eni-a": {{store: 1, rank: 1, acc: acc("a1 unknown")}, {store: 4, rank: 0, acc: acc("a4 reachable")}},
		"eni-b": {{store: 1, rank: 0, acc: acc("b1 reachable")}, {store: 2, rank: 1, acc: acc("b2 unknown")}, {store: 4, rank: 0, acc: acc("b4 reachable")}},
	}
	have := []risk.DataAccess{acc("identity")}
	got := mergePicks(have, []string{"eni-a", "eni-b"}, picks)
	want := []string{"identity", "b1 reachable", "b2 unknown", "a4 reachable"}
	if len(got) != len(want) {
		t.Fatalf("got %d accesses, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Detail != want[i] {
			t.Errorf("access %d: got %q, want %q", i, got[i].Detail, want[i])
		}
	}
	if len(have) != 1 || have[0].Detail != "identity" {
		t.Errorf("the workload's earlier list changed: %+v", have)
	}
	one := mergePicks(nil, []string{"eni-a"}, picks)
	if len(one) != 2 || one[0].Detail != "a1 unknown" || one[1].Detail != "a4 reachable" {
		t.Errorf("one interface: %+v", one)
	}
	if none := mergePicks(have, []string{"eni-c"}, picks); len(none) != 1 {
		t.Errorf("an interface without picks added accesses: %+v", none)
	}
}
