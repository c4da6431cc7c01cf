package runevidence

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// The parser reads the real tables of this process's network namespace,
// with sockets the test opens, so the address decoding is checked against
// the kernel on any architecture.
func TestParseNetTableReal(t *testing.T) {
	tl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	ul, err := net.ListenPacket("udp4", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	conn, err := net.Dial("tcp4", tl.Addr().String()) // an established pair: not listening
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tcpPort, udpPort := tl.Addr().(*net.TCPAddr).Port, ul.LocalAddr().(*net.UDPAddr).Port
	find := func(proto string, port int) []Socket {
		f, err := os.Open("/proc/self/net/" + proto)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		socks, err := parseNetTable(f, proto)
		if err != nil {
			t.Fatal(err)
		}
		var out []Socket
		for _, s := range socks {
			if s.Port == port {
				out = append(out, s)
			}
		}
		return out
	}
	if got := find("tcp", tcpPort); len(got) != 1 || got[0].Address != "127.0.0.1" || got[0].Inode == 0 {
		t.Errorf("tcp listener: %+v", got)
	}
	if got := find("udp", udpPort); len(got) != 1 || got[0].Address != "127.0.0.2" {
		t.Errorf("udp socket: %+v", got)
	}
	if got := find("tcp", conn.LocalAddr().(*net.TCPAddr).Port); len(got) != 0 {
		t.Errorf("established client socket listed as listening: %+v", got)
	}
	if l6, err := net.Listen("tcp6", "[::1]:0"); err == nil { // IPv6 may be off in the test's namespace
		defer l6.Close()
		if got := find("tcp6", l6.Addr().(*net.TCPAddr).Port); len(got) != 1 || got[0].Address != "::1" {
			t.Errorf("tcp6 listener: %+v", got)
		}
	}
}

func TestParseNetTableMalformed(t *testing.T) {
	head := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	for _, line := range []string{
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000\n",                     // too few fields
		"   0: 0100007F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n",       // no port
		"   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n",  // bad hex
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 -1 1\n", // bad inode
		"   0: 00007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12 1\n",   // short address
	} {
		if _, err := parseNetTable(strings.NewReader(head+line), "tcp"); err == nil || !strings.Contains(err.Error(), "tcp line 2") {
			t.Errorf("%q: %v", line, err)
		}
	}
}

func TestParseMaps(t *testing.T) {
	in := `55d4c8a00000-55d4c8a02000 r--p 00000000 08:01 1234                       /usr/bin/server
55d4c8a02000-55d4c8a04000 r-xp 00002000 08:01 1234                       /usr/bin/server
7f0000000000-7f0000021000 rw-p 00000000 00:00 0 
7f1000000000-7f1000100000 r-xp 00000000 08:01 99                         /usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)
7f1100000000-7f1100001000 r--p 00000000 08:01 100                        /opt/my app/lib plugin.so
7f1200000000-7f1200001000 rw-s 00000000 00:01 7                          /memfd:jit (deleted)
7f1300000000-7f1300001000 rw-s 00000000 00:01 8                          /SYSV00000000 (deleted)
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`
	got, err := parseMaps(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping{{path: "/usr/bin/server"}, {path: "/usr/lib/x86_64-linux-gnu/libssl.so.3", deleted: true}, {path: "/opt/my app/lib plugin.so"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v", got)
	}
	if _, err := parseMaps(strings.NewReader("55d4c8a00000-55d4c8a02000 r--p\n")); err == nil || !strings.Contains(err.Error(), "maps line 1") {
		t.Errorf("short line: %v", err)
	}
	// The real maps of this process name its own executable.
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	self, err := parseMaps(f)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(self, func(m mapping) bool { return m.path == exe }) {
		t.Errorf("/proc/self/maps without %s: %+v", exe, self)
	}
}

func TestParseDpkg(t *testing.T) {
	b, err := os.ReadFile("testdata/zlib1g.status")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseDpkgStatus(strings.NewReader(string(b) + "\nPackage: gone\nStatus: purge ok not-installed\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st, []dpkgStanza{{name: "zlib1g", version: "1:1.2.13.dfsg-1", arch: "amd64"}}) {
		t.Errorf("status: %+v", st)
	}
	l, err := os.Open("testdata/zlib1g_amd64.list")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	files, err := parseFileList(l, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 11 || files[0] != "/lib" || !slices.Contains(files, "/lib/x86_64-linux-gnu/libz.so.1.2.13") {
		t.Errorf("list: %q", files)
	}
	md5, err := parseFileList(strings.NewReader("0123456789abcdef0123456789abcdef  usr/lib/x86_64-linux-gnu/libz.so.1.2.13\nbad line\n"), true)
	if err != nil || !slices.Equal(md5, []string{"/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"}) {
		t.Errorf("md5sums: %q %v", md5, err)
	}
}

func TestParseApkInstalled(t *testing.T) {
	b, err := os.ReadFile("testdata/apk_installed")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := parseApkInstalled(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 15 {
		t.Fatalf("%d packages", len(pkgs))
	}
	byName := map[string]PackageFiles{}
	for _, p := range pkgs {
		byName[p.Name] = p
	}
	base := byName["alpine-baselayout"]
	if base.Version != "3.4.3-r1" || base.Type != "apk" || !slices.Contains(base.Files, "/etc/modprobe.d/aliases.conf") || !slices.Contains(base.Files, "/etc/crontabs/root") {
		t.Errorf("alpine-baselayout: %+v", base)
	}
	if musl := byName["musl"]; !slices.ContainsFunc(musl.Files, func(f string) bool { return strings.HasPrefix(f, "/lib/ld-musl-") }) {
		t.Errorf("musl: %+v", musl)
	}
}

// ReadPackageFiles on a directory root: the dpkg .list of a merged-/usr
// system resolved through the root's own symlinks, an absolute symlink
// taken inside the root (never the host's), a distroless status.d with
// md5sums, and an rpm database that does not parse (empty) as a gap.
func TestReadPackageFilesRoot(t *testing.T) {
	root := t.TempDir()
	write := func(p, data string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		if err := os.Symlink(target, filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	status, _ := os.ReadFile("testdata/zlib1g.status")
	list, _ := os.ReadFile("testdata/zlib1g_amd64.list")
	write("usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "")
	link("/usr/lib", "lib") // absolute: must resolve inside root
	write("var/lib/dpkg/status", string(status))
	write("var/lib/dpkg/info/zlib1g:amd64.list", string(list))
	write("var/lib/dpkg/status.d/base-files", "Package: base-files\nVersion: 12.4\nArchitecture: amd64\n")
	write("var/lib/dpkg/status.d/base-files.md5sums", "d41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n")
	write("var/lib/rpm/rpmdb.sqlite", "")
	link("/etc", "etc") // a loop to the host's /etc if followed by the kernel
	pkgs, gaps, err := ReadPackageFiles(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || pkgs[0].Name != "base-files" || pkgs[1].Name != "zlib1g" {
		t.Fatalf("packages %+v", pkgs)
	}
	if !slices.Equal(pkgs[0].Files, []string{"/etc/debian_version"}) {
		t.Errorf("status.d files %q", pkgs[0].Files)
	}
	if z := pkgs[1]; !slices.Contains(z.Files, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13") || slices.Contains(z.Files, "/lib/x86_64-linux-gnu/libz.so.1.2.13") || z.Ecosystem != "" {
		t.Errorf("zlib1g %+v", z)
	}
	if len(gaps) != 1 || !strings.Contains(gaps[0], "rpm database") {
		t.Errorf("gaps %q", gaps)
	}
	r, err := openRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := r.readFile("/etc/passwd", 1<<20); err == nil {
		t.Errorf("/etc → /etc inside the root read the host's /etc/passwd: %q", b)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.readFile("/fifo", 1<<20); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a FIFO: %v", err) // and, above all, no hang
	}
	link("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "libz") // absolute file link: resolved inside root
	if _, err := r.readFile("/libz", 1<<20); err != nil {
		t.Errorf("absolute symlink inside the root: %v", err)
	}
	if _, err := r.readFile("/lib/x86_64-linux-gnu/missing", 1<<20); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestBounded(t *testing.T) {
	if b, err := io.ReadAll(bounded(strings.NewReader("abcdef"), 6)); err != nil || string(b) != "abcdef" {
		t.Errorf("at the limit: %q %v", b, err)
	}
	if _, err := io.ReadAll(bounded(strings.NewReader("abcdefg"), 6)); err == nil || !strings.Contains(err.Error(), "larger than 6 bytes") {
		t.Errorf("over the limit: %v", err)
	}
}

// A real rpm database (go-rpmdb's testdata: libuuid 2.32.1-42.el8_8 from
// RHEL 8, Berkeley DB format) in a root whose /var/lib/rpm is reached
// through a symlink, as some images have it.
func TestReadPackageFilesRPM(t *testing.T) {
	root := t.TempDir()
	db, err := os.ReadFile("testdata/rpm_libuuid_Packages")
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string]string{
		"etc/os-release":             "ID=\"rhel\"\nVERSION_ID=\"8.8\"\n",
		"usr/share/rpm/Packages":     string(db),
		"usr/lib64/libuuid.so.1.3.0": "",
	} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "var/lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/share/rpm", filepath.Join(root, "var/lib/rpm")); err != nil {
		t.Fatal(err)
	}
	pkgs, gaps, err := ReadPackageFiles(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 0 || len(pkgs) != 1 {
		t.Fatalf("packages %+v gaps %q", pkgs, gaps)
	}
	p := pkgs[0]
	if p.Name != "libuuid" || p.Version != "2.32.1-42.el8_8" || p.Type != "rpm" || p.Ecosystem != "Red Hat" || !slices.Contains(p.Files, "/usr/lib64/libuuid.so.1.3.0") {
		t.Errorf("libuuid: %+v", p)
	}
}
