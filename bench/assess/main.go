// Command assess measures `sightline assess`'s join and ranking
// (internal/risk.Assess) on a synthetic estate of the size: 5k
// workloads, 500 images, 100k findings (defaults). Workloads, verdicts and
// findings are generated (synthetic IDs, no advisory data): this measures
// time and memory only. Target: ≤ 15 s and ≤ 2 GiB on 2 cores.
//
//	go run ./bench/assess [-workloads 5000] [-images 500] [-findings 100000]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/workload"
)

func main() {
	nw := flag.Int("workloads", 5000, "workloads")
	ni := flag.Int("images", 500, "images")
	nf := flag.Int("findings", 100000, "findings in all")
	flag.Parse()
	t0 := time.Now()
	inv, results := generate(*nw, *ni, *nf)
	gen := time.Since(t0)
	t1 := time.Now()
	rep := risk.Assess(inv, results, risk.Options{Now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)})
	assess := time.Since(t1)
	rssAssess := peakRSS()
	t2 := time.Now()
	if err := risk.WriteJSON(io.Discard, rep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	enc := time.Since(t2)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("workloads=%d images=%d findings=%d risks=%d fixes=%d\n", *nw, *ni, *nf, len(rep.Risks), len(rep.Fixes))
	fmt.Printf("generate %v, assess %v (peak RSS %s), json %v; heap sys %d MiB; peak RSS %s\n", gen.Round(time.Millisecond),
		assess.Round(time.Millisecond), rssAssess, enc.Round(time.Millisecond), ms.HeapSys>>20, peakRSS())
}

// generate builds nw workloads spread over ni images (two ports each, a
// direct verdict and two routes per port, in the four verdict shapes) and
// ni scan results with nf findings in all.
func generate(nw, ni, nf int) (*workload.Inventory, []*scan.Result) {
	inv := &workload.Inventory{Schema: workload.Schema}
	digest := func(i int) string { return fmt.Sprintf("sha256:%064x", i+1) }
	shapes := []workload.Verdict{
		{Verdict: "exposed", Width: "wide", Sources: []string{"0.0.0.0/0"}, Via: "lb",
			Path: []workload.Hop{{Kind: "internet", ID: "0.0.0.0/0"}, {Kind: "load_balancer", ID: "lb"}, {Kind: "security_group", ID: "sg-1"}}},
		{Verdict: "exposed", Width: "narrow", Sources: []string{"81.2.69.0/25"}, Via: "svc",
			Path: []workload.Hop{{Kind: "internet", ID: "81.2.69.0/25"}, {Kind: "node_port", ID: "svc"}}},
		{Verdict: "not_exposed", BlockedBy: &workload.Hop{Kind: "security_group", ID: "sg-closed", Detail: "no rule admits tcp/8080"}},
		{Verdict: "unknown", Missing: []string{"the host's cloud identity"}},
	}
	for w := 0; w < nw; w++ {
		img := w % ni
		ct := workload.Container{Name: "app", Image: workload.Image{Ref: fmt.Sprintf("registry.example/app-%d:1", img), Digest: digest(img), Confidence: "digest"},
			Privileged: w%17 == 0, Mounts: []workload.Mount{{Type: "bind", Source: "/var/run/docker.sock", HostPath: true, RuntimeSocket: w%23 == 0}}}
		for p, port := range []int{80, 8080} {
			ct.Ports = append(ct.Ports, workload.Port{ContainerPort: port, Protocol: "tcp", Declared: "containerPort"})
			for r := 0; r < 3; r++ {
				v := shapes[(w+p+r)%len(shapes)]
				v.ContainerPort, v.Protocol = port, "tcp"
				if r == 0 {
					v.Via = ""
				}
				ct.Exposure = append(ct.Exposure, v)
			}
		}
		inv.Workloads = append(inv.Workloads, workload.Workload{ID: fmt.Sprintf("k8s:c/ns/Pod/app-%d", w), Kind: "Pod", Name: fmt.Sprintf("app-%d", w),
			Source: workload.SourceKubernetes, Containers: []workload.Container{ct}})
	}
	per := nf / ni
	pkgs := []string{"openssl", "nginx", "zlib", "curl", "glibc", "openssh-server", "libxml2", "redis"}
	var results []*scan.Result
	for i := 0; i < ni; i++ {
		r := &scan.Result{Schema: scan.Schema, Target: scan.Target{Kind: "image", Name: fmt.Sprintf("registry.example/app-%d:1", i),
			Transport: "registry", Digest: digest(i), Config: &scan.ImageConfig{ExposedPorts: []string{"8080/tcp"}}},
			Coverage: &scan.Coverage{DB: scan.CoverageDBOK}}
		for f := 0; f < per; f++ {
			pkg := pkgs[f%len(pkgs)]
			v := vulndb.Vulnerability{ID: fmt.Sprintf("SYN-%05d", f), Aliases: []string{fmt.Sprintf("CVE-2099-%05d", f)},
				FixedVersions: []string{fmt.Sprintf("1.%d", f%7+1)}, FixState: vulndb.FixStateFixed,
				Severity:  vulndb.Severity{Level: "high", Score: float64(f%100) / 10, CVSSv3: &vulndb.CVSS{Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}},
				Published: time.Date(2025, 1, 1+f%300, 0, 0, 0, 0, time.UTC)}
			if f%50 == 0 {
				v.KEV = &vulndb.KEV{CVE: v.Aliases[0], DateAdded: "2025-06-01"}
			}
			r.Findings = append(r.Findings, scan.Finding{Vulnerability: v,
				Package: scan.PackageRef{Name: pkg, Version: "1.0", Ecosystem: "Debian:12", PURL: "pkg:deb/debian/" + pkg + "@1.0"}})
		}
		results = append(results, r)
	}
	return inv, results
}

// peakRSS reads VmHWM from /proc/self/status (Linux); "?" elsewhere.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}
