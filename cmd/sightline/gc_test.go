package main

import "testing"

// TestTopCommand: the GC policy is chosen by the root's subcommand,
// wherever the global flags stand.
func TestTopCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "image", "--offline", "x.tar"}, "scan"},
		{[]string{"--cache-dir", "/tmp/c", "scan", "fs", "."}, "scan"},
		{[]string{"-v", "--format", "json", "scan", "sbom", "a.json"}, "scan"},
		{[]string{"db", "status"}, "db"},
		{[]string{"exposure", "--aws", "dir"}, "exposure"},
		{[]string{"version"}, "version"},
		{nil, ""},
		{[]string{"--help"}, ""},
	} {
		if got := topCommand(c.args); got != c.want {
			t.Errorf("topCommand(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}
