package risk

import (
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/sightline-sec/sightline/internal/runevidence"
	"github.com/sightline-sec/sightline/internal/workload"
	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// rtWorkload is a Docker workload running one container.
func rtWorkload(id string) occurrence {
	w := &workload.Workload{ID: id, Name: strings.TrimPrefix(id, "docker:"), Source: workload.SourceDocker,
		Containers: []workload.Container{{Name: "c"}}}
	return occurrence{w: w, c: &w.Containers[0], join: "digest"}
}

// rtEvidence is the evidence of a container whose one process (pid 7,
// nginx) maps mapped and listens on tcp/80.
func rtEvidence(mapped ...string) *runevidence.Evidence {
	return &runevidence.Evidence{MapsComplete: true,
		Processes: []runevidence.Process{{PID: 7, Command: "nginx", MappedFiles: mapped, MapsRead: true}},
		Listening: []runevidence.Socket{{Proto: "tcp", Port: 80, PIDs: []int{7}}}}
}

var rtPackages = []runevidence.PackageFiles{
	{Name: "libssl3", Type: "deb", Files: []string{"/usr/lib/x86_64-linux-gnu/libssl.so.3"}},
	{Name: "zlib1g", Type: "deb", Files: []string{"/usr/lib/x86_64-linux-gnu/libz.so.1"}},
	{Name: "nolist", Type: "deb"},
}

func TestRuntimeOf(t *testing.T) {
	loaded, dormant, gone := rtWorkload("docker:a"), rtWorkload("docker:b"), rtWorkload("docker:c")
	rt := &RuntimeInput{Containers: map[string]*ContainerRuntime{
		"docker:a": {Evidence: rtEvidence("/usr/lib/x86_64-linux-gnu/libssl.so.3"), Packages: rtPackages},
		"docker:b": {Evidence: rtEvidence("/usr/sbin/nginx"), Packages: rtPackages},
	}, Gaps: []RuntimeGap{{Workload: "docker:c", Reason: "not running"}}}
	deb := "pkg:deb/debian/libssl3@3.0.11-1"
	for _, c := range []struct {
		name  string
		rt    *RuntimeInput
		purl  string
		pkgs  []string
		occ   []occurrence
		state string
		line  string
	}{
		{"loaded in one of two", rt, deb, []string{"libssl3"}, []occurrence{dormant, loaded}, RuntimeLoaded,
			"a: /usr/lib/x86_64-linux-gnu/libssl.so.3 mapped by pid 7 (nginx)"},
		{"dormant everywhere", rt, deb, []string{"libssl3"}, []occurrence{dormant}, RuntimeDormant,
			"libssl3 installed, dormant: none of its 1 listed paths is mapped by the container's 1 process(es)"},
		{"dormant here, no evidence there", rt, deb, []string{"libssl3"}, []occurrence{dormant, gone}, RuntimeUnknown,
			"c: no runtime evidence: not running"},
		{"no file list", rt, deb, []string{"nolist"}, []occurrence{dormant}, RuntimeUnknown, "no file list for package nolist"},
		{"not in the database", rt, deb, []string{"other"}, []occurrence{dormant}, RuntimeUnknown, "other is not in the container's package database"},
		{"language package", rt, "pkg:npm/lodash@4.17.20", []string{"lodash"}, []occurrence{loaded}, RuntimeUnknown,
			"runtime evidence covers OS packages (deb, apk, rpm) only: a npm package has no package-manager file list to match against mapped files"},
		{"not collected", nil, deb, []string{"libssl3"}, []occurrence{loaded}, RuntimeUnknown, ""},
	} {
		eco := "Debian:12"
		if strings.HasPrefix(c.purl, "pkg:npm") {
			eco = "npm"
		}
		got := runtimeOf(c.rt, "", c.purl, eco, c.pkgs, c.occ)
		if got.State != c.state || (c.line != "" && !strings.Contains(got.Evidence, c.line)) || (c.line == "" && len(got.Lines) != 0) {
			t.Errorf("%s: %+v, want %s with %q", c.name, got, c.state, c.line)
		}
	}

	v := &workload.Verdict{Protocol: "tcp", ContainerPort: 80}
	pe, ok := runtimePort(rt, loaded, []string{"libssl3"}, deb, v)
	if !ok || pe.Match != PortServed || pe.Detail != "runtime: pid 7 (nginx) listens on tcp/80 and maps files of libssl3" {
		t.Errorf("runtime port evidence: %v %+v", ok, pe)
	}
	if _, ok := runtimePort(rt, dormant, []string{"libssl3"}, deb, v); ok {
		t.Error("a package no listener maps serves no port")
	}
	if _, ok := runtimePort(rt, loaded, []string{"libssl3"}, deb, &workload.Verdict{Protocol: "tcp", ContainerPort: 8080}); ok {
		t.Error("nothing listens on tcp/8080")
	}
}

// TestRuntimePoints: loaded raises, unknown is neutral, dormant lowers
// but keeps an internet path above an unknown path, and above zero.
func TestRuntimePoints(t *testing.T) {
	if runtimePoints(RuntimeLoaded, 40) <= 0 || runtimePoints(RuntimeUnknown, 40) != 0 {
		t.Error("loaded must raise, unknown must not move the score")
	}
	for _, class := range []string{ReachWide, ReachNarrow} {
		r := Weights.Reach[class]
		if after := r + runtimePoints(RuntimeDormant, r); after <= Weights.Reach[ReachUnknown] || after >= r {
			t.Errorf("%s dormant: %g reachability points (unknown path %g)", class, after, Weights.Reach[ReachUnknown])
		}
	}
	if r := Weights.Reach[ReachInternal]; r+runtimePoints(RuntimeDormant, r) <= 0 {
		t.Error("dormant must never lower a path to zero")
	}
}

// TestCollectRuntimeGaps: evidence that cannot be read is a gap naming
// the container (a /proc that is not the engine's, standing for Docker
// Desktop's VM or another PID namespace) or the host (a remote engine),
// and the rows of that container say so; never a silent dormant.
func TestCollectRuntimeGaps(t *testing.T) {
	cli := dockertest.Engine(t)
	tag, _ := dockertest.Image(t, cli)
	id := dockertest.MustRun(t, cli, "sl-risk-rt-"+dockertest.RandomHex(4), &container.Config{Image: tag}, &container.HostConfig{})
	inv := &workload.Inventory{Workloads: []workload.Workload{
		{ID: "docker:" + id, Name: "web", Source: workload.SourceDocker, Containers: []workload.Container{{Name: "web"}}},
		{ID: "k8s:/shop/Deployment/api", Name: "api", Source: "kubernetes", Containers: []workload.Container{{Name: "api"}}},
	}}
	rt := CollectRuntime(t.Context(), inv, runevidence.Options{ProcRoot: t.TempDir()})
	if rt.Inspected != 1 || len(rt.Containers) != 0 || len(rt.Gaps) != 1 || rt.Gaps[0].Workload != "docker:"+id ||
		!strings.Contains(rt.Gaps[0].Reason, "not the engine's PID namespace") {
		t.Fatalf("foreign /proc: %+v", rt)
	}
	o := occurrence{w: &inv.Workloads[0], c: &inv.Workloads[0].Containers[0]}
	k := occurrence{w: &inv.Workloads[1], c: &inv.Workloads[1].Containers[0]}
	got := runtimeOf(rt, "", "pkg:deb/debian/libssl3@3.0.11-1", "Debian:12", []string{"libssl3"}, []occurrence{o, k})
	if got.State != RuntimeUnknown || len(got.Lines) != 2 || !strings.Contains(got.Lines[0], "not the engine's PID namespace") ||
		got.Lines[1] != "api: no runtime evidence: not a Docker container of this host" {
		t.Errorf("rows of unread containers: %+v", got)
	}
	cov := runtimeCoverage(Options{Runtime: rt})
	if !cov.Collected || cov.Containers != 1 || cov.Read != 0 || len(cov.Gaps) != 1 {
		t.Errorf("coverage: %+v", cov)
	}

	remote := CollectRuntime(t.Context(), inv, runevidence.Options{Host: "tcp://127.0.0.1:1"})
	if len(remote.Gaps) != 1 || remote.Gaps[0].Workload != "" || !strings.Contains(remote.Gaps[0].Reason, "is not local") {
		t.Errorf("remote engine: %+v", remote.Gaps)
	}
	if lines := runtimeLines(runtimeCoverage(Options{Runtime: remote})); len(lines) != 2 || !strings.HasPrefix(lines[1], "runtime gap: host: ") {
		t.Errorf("footer: %q", lines)
	}
}
