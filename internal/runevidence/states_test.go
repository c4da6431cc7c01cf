package runevidence

import (
	"strings"
	"testing"
)

func TestExplainRules(t *testing.T) {
	ev := &Evidence{MapsComplete: true, Processes: []Process{
		{PID: 10, Command: "nginx", MapsRead: true, MappedFiles: []string{"/usr/sbin/nginx", "/usr/lib/x86_64-linux-gnu/libssl.so.3"}},
		{PID: 11, Command: "nginx", MapsRead: true, MappedFiles: []string{"/usr/sbin/nginx", "/usr/lib/x86_64-linux-gnu/libssl.so.3"}},
	}}
	pkgs := []PackageFiles{
		{Name: "libssl3", Files: []string{"/usr/share/doc/libssl3/copyright", "/usr/lib/x86_64-linux-gnu/libssl.so.3"}},
		{Name: "libc6", Files: []string{"/usr/lib/i386-linux-gnu/libc.so.6"}},   // :i386, not mapped
		{Name: "libc6", Files: []string{"/usr/lib/x86_64-linux-gnu/libc.so.6"}}, // :amd64, not mapped either
		{Name: "curl", Files: []string{"/usr/bin/curl"}},                        // dormant
		{Name: "tzdata", Files: nil}, // no list
		{Name: "libgcc-s1", Files: []string{"/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"}}, // multiarch pair, one loaded
		{Name: "libgcc-s1", Files: []string{"/usr/lib/i386-linux-gnu/libgcc_s.so.1"}, Version: "i386"},
	}
	pkgs[5].Files = append(pkgs[5].Files, "/usr/sbin/nginx") // stands for a loaded file
	got := Explain(ev, pkgs)
	want := map[string]State{"libssl3": Loaded, "libc6": Dormant, "curl": Dormant, "tzdata": Unknown, "libgcc-s1": Loaded}
	for n, w := range want {
		if got[n].State != w {
			t.Errorf("%s: %+v, want %s", n, got[n], w)
		}
	}
	if e := got["libssl3"].Evidence; len(e) != 1 || e[0] != "/usr/lib/x86_64-linux-gnu/libssl.so.3 mapped by pid 10 (nginx), pid 11 (nginx)" {
		t.Errorf("libssl3 evidence %q", e)
	}
	if e := got["curl"].Evidence; len(e) != 1 || !strings.Contains(e[0], "none of its 1 listed paths is mapped by the container's 2 process(es)") {
		t.Errorf("curl evidence %q", e)
	}
	if e := got["tzdata"].Evidence; len(e) != 1 || e[0] != "no file list for package tzdata" {
		t.Errorf("tzdata evidence %q", e)
	}
	if st := PackageStates(nil, pkgs); st["libssl3"] != Unknown {
		t.Errorf("no evidence: %v", st)
	}
}

func TestRemoteEngineRefused(t *testing.T) {
	_, err := InspectDocker(t.Context(), "abc", Options{Host: "tcp://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "tcp://127.0.0.1:1 is not local") {
		t.Errorf("remote engine: %v", err)
	}
}
