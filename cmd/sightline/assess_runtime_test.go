package main

import (
	"archive/tar"
	"encoding/json"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/sightline-sec/sightline/internal/image/imagetest"
	"github.com/sightline-sec/sightline/internal/risk"
	"github.com/sightline-sec/sightline/internal/workload/docker/dockertest"
)

// Library and program paths of Debian 12's libssl3, openssl and libssl-dev
// packages, abridged from their file lists
// (https://packages.debian.org/bookworm/amd64/libssl3/filelist, …/openssl/…,
// …/libssl-dev/…; documentation, manual pages and most headers left out), as dpkg
// writes them to /var/lib/dpkg/info.
const (
	libssl3List = "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu/engines-3\n" +
		"/usr/lib/x86_64-linux-gnu/engines-3/afalg.so\n/usr/lib/x86_64-linux-gnu/engines-3/loader_attic.so\n" +
		"/usr/lib/x86_64-linux-gnu/engines-3/padlock.so\n/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n" +
		"/usr/lib/x86_64-linux-gnu/libssl.so.3\n/usr/lib/x86_64-linux-gnu/ossl-modules\n" +
		"/usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so\n/usr/share\n/usr/share/doc\n/usr/share/doc/libssl3\n" +
		"/usr/share/doc/libssl3/copyright\n"
	opensslList = "/.\n/etc\n/etc/ssl\n/etc/ssl/certs\n/etc/ssl/openssl.cnf\n/etc/ssl/private\n/usr\n/usr/bin\n" +
		"/usr/bin/c_rehash\n/usr/bin/openssl\n/usr/lib\n/usr/lib/ssl\n/usr/lib/ssl/misc\n/usr/lib/ssl/misc/CA.pl\n" +
		"/usr/lib/ssl/misc/tsget.pl\n/usr/share\n/usr/share/doc\n/usr/share/doc/openssl\n/usr/share/doc/openssl/copyright\n" +
		"/usr/lib/ssl/certs\n/usr/lib/ssl/openssl.cnf\n/usr/lib/ssl/private\n"
	libsslDevList = "/.\n/usr\n/usr/include\n/usr/include/openssl\n/usr/include/openssl/ssl.h\n/usr/include/openssl/crypto.h\n" +
		"/usr/include/x86_64-linux-gnu\n/usr/include/x86_64-linux-gnu/openssl\n/usr/include/x86_64-linux-gnu/openssl/opensslconf.h\n" +
		"/usr/lib\n/usr/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu/libcrypto.a\n/usr/lib/x86_64-linux-gnu/libssl.a\n" +
		"/usr/lib/x86_64-linux-gnu/pkgconfig\n/usr/lib/x86_64-linux-gnu/pkgconfig/libssl.pc\n" +
		"/usr/lib/x86_64-linux-gnu/libcrypto.so\n/usr/lib/x86_64-linux-gnu/libssl.so\n"
)

// runtimeImage is the vulnerable Debian 12 package set (openssl and libssl3
// at 3.0.11-1~deb12u1) with the file lists of the three packages built from
// openssl (CVE-2010-0928 has no fix: it names libssl-dev too), and the
// static test server as its entrypoint: at /usr/bin/openssl (the file of
// the openssl package: the server maps it, so openssl is loaded and
// serves the port) when asOpenSSL, else at /server (no package's file:
// openssl and libssl3 are installed and dormant).
func runtimeImage(t *testing.T, cli *client.Client, asOpenSSL bool) string {
	t.Helper()
	dir := func(p string) imagetest.File { return imagetest.File{Path: p, Type: tar.TypeDir, Mode: 0o755} }
	placeholder := []byte("a stand-in for the shipped binary: never run in this test\n")
	server, entry := dockertest.ServerBinary(t), "/server"
	files := append(vulnerableDebian(t),
		dir("usr/bin/"), dir("usr/lib/x86_64-linux-gnu/"), dir("var/lib/dpkg/info/"),
		imagetest.File{Path: "usr/lib/x86_64-linux-gnu/libssl.so.3", Data: placeholder},
		imagetest.File{Path: "usr/lib/x86_64-linux-gnu/libcrypto.so.3", Data: placeholder},
		imagetest.File{Path: "var/lib/dpkg/info/libssl3:amd64.list", Data: []byte(libssl3List)},
		imagetest.File{Path: "var/lib/dpkg/info/openssl.list", Data: []byte(opensslList)},
		imagetest.File{Path: "var/lib/dpkg/info/libssl-dev:amd64.list", Data: []byte(libsslDevList)})
	if asOpenSSL {
		files = append(files, imagetest.File{Path: "usr/bin/openssl", Mode: 0o755, Data: server})
		entry = "/usr/bin/openssl"
	} else {
		files = append(files, imagetest.File{Path: "usr/bin/openssl", Mode: 0o755, Data: placeholder},
			imagetest.File{Path: "server", Mode: 0o755, Data: server})
	}
	img := imagetest.Image(t, v1.Config{Entrypoint: []string{entry}, User: dockertest.ImageUser,
		ExposedPorts: map[string]struct{}{"8080/tcp": {}}},
		imagetest.Step{Layer: imagetest.Layer(t, files), CreatedBy: "ADD rootfs.tar / # debian:12.2 + server"})
	tag, _ := dockertest.Load(t, cli, img, "sightline-test/assess-runtime")
	return tag
}

// TestAssessDockerRuntime: the same openssl CVEs in two images on the
// same open host, both published on 0.0.0.0:8080; in one the listening
// server is openssl's /usr/bin/openssl (loaded, serving tcp/8080), in the
// other no process maps a file of openssl or libssl3 (dormant). Every CVE
// ranks the loaded image above the dormant one, both explained by the
// runtime evidence; --no-runtime leaves both unknown and says so.
func TestAssessDockerRuntime(t *testing.T) {
	cli := dockertest.Engine(t)
	loadedTag, dormantTag := runtimeImage(t, cli, true), runtimeImage(t, cli, false)
	suffix := dockertest.RandomHex(4)
	p := dockertest.Port(t, "8080/tcp")
	hc := &container.HostConfig{PortBindings: network.PortMap{p: {{HostIP: netip.MustParseAddr("0.0.0.0")}}}}
	loaded := dockertest.MustRun(t, cli, "sl-rtload-"+suffix, &container.Config{Image: loadedTag}, hc)
	dormant := dockertest.MustRun(t, cli, "sl-rtdorm-"+suffix, &container.Config{Image: dormantTag}, hc)
	for _, id := range []string{loaded, dormant} { // listening before the evidence is read
		dockertest.HTTPGet(t, "http://127.0.0.1:"+strconv.Itoa(dockertest.HostPorts(t, cli, id, p)["0.0.0.0"]))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // a dead metadata endpoint: the host is what --host-id says
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://"+l.Addr().String())
	l.Close()

	c := assessDB(t)
	args := []string{"assess", "--docker", "--host-id", openHost, "--aws", scenarioDir("docker-host"), "--offline",
		"--images", "docker:" + loadedTag, "--images", "docker:" + dormantTag, "--format", "json"}
	rep := decodeAssess(t, c.ok(args...))
	rt := rep.Coverage.Runtime
	if !rt.Collected || rt.Read < 2 {
		t.Fatalf("runtime coverage: %+v", rt)
	}
	rank := map[string]map[string]risk.Risk{} // CVE → workload → row
	for _, r := range rep.Risks {
		w := r.Reachability.Workload
		if w != "docker:"+loaded && w != "docker:"+dormant {
			continue
		}
		if rank[r.ID] == nil {
			rank[r.ID] = map[string]risk.Risk{}
		}
		rank[r.ID][w] = r
	}
	if len(rank) == 0 {
		t.Fatalf("no rows for the test containers: %+v", rep.Risks)
	}
	for id, rows := range rank {
		l, d := rows["docker:"+loaded], rows["docker:"+dormant]
		if l.Rank == 0 || d.Rank == 0 {
			t.Errorf("%s: rows loaded #%d dormant #%d: want both", id, l.Rank, d.Rank)
			continue
		}
		if l.Rank > d.Rank || l.Score <= d.Score {
			t.Errorf("%s: loaded #%d (%.1f) must rank above dormant #%d (%.1f)", id, l.Rank, l.Score, d.Rank, d.Score)
		}
		if l.Runtime.State != risk.RuntimeLoaded || !strings.Contains(l.Runtime.Evidence, "openssl: /usr/bin/openssl mapped by pid ") ||
			!strings.Contains(l.Runtime.Evidence, "(openssl)") || l.ScoreParts.Runtime != risk.Weights.RuntimeLoaded {
			t.Errorf("%s loaded runtime: %+v parts %+v", id, l.Runtime, l.ScoreParts)
		}
		if pe := l.PortEvidence; pe.Source != "runtime" || pe.Match != risk.PortServed ||
			!strings.Contains(pe.Detail, "(openssl) listens on tcp/8080") {
			t.Errorf("%s loaded port evidence: %+v", id, pe)
		}
		names := rowPackages(d)
		ok := d.Runtime.State == risk.RuntimeDormant && len(d.Runtime.Lines) == len(names) && len(names) >= 2
		for i, n := range names {
			ok = ok && i < len(d.Runtime.Lines) && strings.HasPrefix(d.Runtime.Lines[i], n+" installed, dormant: none of its")
		}
		// Dormant keeps more than an unknown path would get under the same
		// attack-vector or rating factor (CVE-2010-0928, rated unimportant
		// by Debian, weighs ×0.25 on either).
		factor := d.ScoreParts.Reachability / risk.Weights.Reach[d.Reachability.Class]
		if !ok || d.ScoreParts.Runtime >= 0 ||
			d.ScoreParts.Reachability+d.ScoreParts.Runtime <= risk.Weights.Reach[risk.ReachUnknown]*factor {
			t.Errorf("%s dormant runtime: %+v parts %+v", id, d.Runtime, d.ScoreParts)
		}
		if d.PortEvidence.Source == "runtime" {
			t.Errorf("%s dormant port evidence from runtime: %+v", id, d.PortEvidence)
		}
		if !hasPrefix(l.Reasons, "loaded: ") || !hasPrefix(d.Reasons, "dormant ") {
			t.Errorf("%s reasons: loaded %q dormant %q", id, l.Reasons, d.Reasons)
		}
	}

	off := decodeAssess(t, c.ok(append(args, "--no-runtime")...))
	if off.Coverage.Runtime.Collected || !strings.HasPrefix(off.Coverage.Runtime.Note, "--no-runtime") {
		t.Errorf("--no-runtime coverage: %+v", off.Coverage.Runtime)
	}
	for _, r := range off.Risks {
		if r.Runtime.State != risk.RuntimeUnknown || r.ScoreParts.Runtime != 0 || r.PortEvidence.Source == "runtime" {
			t.Errorf("--no-runtime row #%d: %+v %+v", r.Rank, r.Runtime, r.PortEvidence)
		}
	}
	table := c.ok(append(args[:len(args)-2], "--top", "1")...)
	t.Logf("table:\n%s", table)
	if !strings.Contains(table, "runtime evidence: ") || !strings.Contains(table, "runtime gap: ") {
		t.Errorf("table footer has no runtime lines:\n%s", table)
	}
}

func decodeAssess(t *testing.T, out string) risk.Report {
	t.Helper()
	var rep risk.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%.400s", err, out)
	}
	return rep
}

func hasPrefix(ss []string, p string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// rowPackages names the packages of a row: its package, then Also.
func rowPackages(r risk.Risk) []string {
	out := []string{r.Package.Name}
	for _, a := range r.Package.Also {
		n, _, _ := strings.Cut(a, "@")
		out = append(out, n)
	}
	return out
}
