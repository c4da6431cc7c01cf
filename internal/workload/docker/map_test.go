package docker

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/sightline-sec/sightline/internal/workload"
)

const (
	dA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	dB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// The engine's RepoDigests as `docker image inspect` prints them: the
// repository in its familiar form (nginx, not docker.io/library/nginx).
func TestDigestFor(t *testing.T) {
	for _, c := range []struct {
		ref  string
		rds  []string
		want string
	}{
		{"nginx:1.27", []string{"nginx@" + dA}, dA},
		{"docker.io/library/nginx:1.27", []string{"nginx@" + dA}, dA},
		{"nginx", []string{"nginx@" + dA}, dA},
		{"nginx:1.27", []string{"registry.example.com/nginx@" + dB, "nginx@" + dA}, dA},
		{"registry.example.com/nginx:1", []string{"nginx@" + dA, "registry.example.com/nginx@" + dB}, dB},
		{"nginx:1.27", []string{"other@" + dA}, ""},
		{"nginx:1.27", nil, ""},
		{"nginx@" + dB, []string{"nginx@" + dA}, dB}, // the reference wins: it names what runs
		{"nginx:1.27@" + dB, nil, dB},
		{id, []string{"nginx@" + dA, "mirror.example.com/nginx@" + dA}, dA},
		{"0123456789ab", []string{"nginx@" + dA}, dA},
		{"0123456789ab", []string{"nginx@" + dA, "other@" + dB}, ""}, // ambiguous
		{"", []string{"nginx@" + dA}, dA},
		{"NOT A REF", []string{"nginx@" + dA}, ""},
		{"nginx:1.27", []string{"garbage", "nginx@sha256:short"}, ""},
	} {
		if got := digestFor(c.ref, id, c.rds); got != c.want {
			t.Errorf("digestFor(%q, %v) = %q, want %q", c.ref, c.rds, got, c.want)
		}
	}
	if im := imageOf("nginx:1.27", id, nil); im.Digest != "" || im.Confidence != "tag" || im.ID != id {
		t.Errorf("no image inspect: %+v", im)
	}
}

// FuzzDigestFor: any reference and repo digests, no panic, and a digest
// returned is one of the inputs'.
func FuzzDigestFor(f *testing.F) {
	f.Add("nginx:1.27", "nginx@"+dA, "mirror/nginx@"+dB)
	f.Add("0123", "x@"+dA, "")
	f.Add("a@"+dA, "", "")
	f.Fuzz(func(t *testing.T, ref, rd1, rd2 string) {
		got := digestFor(ref, id, []string{rd1, rd2})
		if got != "" && !strings.Contains(ref+rd1+rd2, got) {
			t.Fatalf("digest %q from nowhere", got)
		}
	})
}

func TestIsRuntimeSocket(t *testing.T) {
	for p, want := range map[string]bool{
		"/var/run/docker.sock":            true,
		"/run/docker.sock":                true,
		"/var/run/docker.sock/":           true,
		"/run/containerd/containerd.sock": true,
		"/run/containerd":                 true,
		"/var/run":                        true,
		"/":                               true,
		"/run/user/1000/docker.sock":      true,
		"/var/lib/docker":                 false,
		"/srv/data":                       false,
		"/run/docker":                     false,
		"/var/run/docker.socket":          false,
		"":                                false,
	} {
		if isRuntimeSocket(p) != want {
			t.Errorf("isRuntimeSocket(%q) = %v", p, !want)
		}
	}
}

func TestMountsVolumeAndTmpfs(t *testing.T) {
	got := mounts([]container.MountPoint{
		{Type: mount.TypeVolume, Name: "pgdata", Source: "/var/lib/docker/volumes/pgdata/_data", Destination: "/var/lib/postgresql", RW: true},
		{Type: mount.TypeTmpfs, Destination: "/run", RW: true},
	}, map[string]string{"/run": "", "/tmp": "ro,size=1m"})
	want := []workload.Mount{
		{Type: "tmpfs", Destination: "/run"},
		{Type: "tmpfs", Destination: "/tmp", ReadOnly: true},
		{Type: "volume", Source: "pgdata", Destination: "/var/lib/postgresql"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mount %d: got %+v want %+v", i, got[i], want[i])
		}
	}
}

// The proof texts for bindings the test engine cannot make: an IPv6
// binding to a container with an IPv6 address on engines before and
// after ip6tables became the default, a specific host address, and a
// loopback binding on an engine from 28.0.
func TestPublishDetail(t *testing.T) {
	p, _ := network.ParsePort("80/tcp")
	for _, c := range []struct {
		version  string
		ip       string
		v6       bool
		preserve bool
		entry    string
		has      string
		hasNot   string
	}{
		{"29.1.0", "::", true, true, "host", "ip6tables DNAT", ""},
		{"26.1.4", "::", true, false, "host", "predates ip6tables-by-default", ""},
		{"29.1.0", "::", false, false, "host", "without an IPv6 address", ""},
		{"29.1.0", "10.0.1.5", false, true, "host", "host address 10.0.1.5 only", ""},
		{"29.1.0", "127.0.0.1", false, false, "loopback", "from the host only", "45610"},
		{"25.0.0", "127.0.0.1", false, false, "loopback", "45610", ""},
		{"29.1.0", "::1", true, false, "loopback", "from the host only", ""},
	} {
		r := reader{engineVersion: c.version}
		port := r.published("abc", p, network.PortBinding{HostIP: netip.MustParseAddr(c.ip), HostPort: "8080"}, c.v6)
		f := port.Routes[0].Fronts[0]
		if f.PreservesClient != c.preserve || f.Entry != c.entry || !strings.Contains(f.Detail, c.has) ||
			c.hasNot != "" && strings.Contains(f.Detail, c.hasNot) || port.HostIP != c.ip || f.ListenPort != 8080 || f.TargetPort != 80 {
			t.Errorf("%s %s v6=%v: %+v", c.version, c.ip, c.v6, f)
		}
	}
}
