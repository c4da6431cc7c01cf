package gobin

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sightline-sec/sightline/internal/gobin/gobintest"
)

func TestSplitName(t *testing.T) {
	for _, c := range []struct{ in, pkg, sym string }{
		{"net/http.(*Client).Do", "net/http", "Client.Do"},
		{"net/http.Header.Get", "net/http", "Header.Get"},
		{"os.(*Root).Mkdir", "os", "Root.Mkdir"},
		{"gopkg.in/yaml%2ev3.Unmarshal", "gopkg.in/yaml.v3", "Unmarshal"},
		{"internal/runtime/atomic.(*Pointer[go.shape.struct { runtime.x [512]runtime.y }]).StoreNoWB", "internal/runtime/atomic", "Pointer.StoreNoWB"},
		{"slices.medianAdjacentOrdered[go.shape.int]", "slices", "medianAdjacentOrdered"},
		{"example.com/m.F.func1", "example.com/m", "F"},
		{"example.com/m.F.func1.2", "example.com/m", "F"},
		{"example.com/m.(*T).M.gowrap3", "example.com/m", "T.M"},
		{"example.com/m.T.M-fm", "example.com/m", "T.M"},
		{"example.com/m.init.0", "example.com/m", "init"},
		{"main.main", "main", "main"},
		{"github.com/a/b.v2/c.F", "github.com/a/b.v2/c", "F"},
	} {
		pkg, sym, ok := splitName(c.in)
		if !ok || pkg != c.pkg || sym != c.sym {
			t.Errorf("splitName(%q) = %q, %q, %v; want %q, %q", c.in, pkg, sym, ok, c.pkg, c.sym)
		}
	}
	for _, in := range []string{"go:buildid", "type:.eq.[2]interface {}", "_rt0_amd64_linux", "a b.c", "x\xffy.F", "p%zz.F"} {
		if pkg, sym, ok := splitName(in); ok {
			t.Errorf("splitName(%q) = %q, %q; want rejected", in, pkg, sym)
		}
	}
}

var builds = []gobintest.Build{
	{GOOS: "linux", GOARCH: "amd64"}, {GOOS: "linux", GOARCH: "amd64", Stripped: true},
	{GOOS: "windows", GOARCH: "amd64"}, {GOOS: "windows", GOARCH: "amd64", Stripped: true},
}

func decode(t *testing.T, c *Codec, b *Binary, module string) Names {
	t.Helper()
	n, err := c.Decode(b.Symbols(c, module))
	if err != nil || n == nil {
		t.Fatalf("symbols of %s: %q, %v", module, n, err)
	}
	return n
}

// TestReadPlatapp reads real binaries of one program built for linux and
// windows, stripped (-ldflags=-s -w) and not: the platform comes from the
// build settings, the functions the program calls are found per module,
// and stripping changes nothing (pclntab stays).
func TestReadPlatapp(t *testing.T) {
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	full := map[string]Names{}
	for _, bd := range builds {
		b, err := Read(gobintest.Binary(t, bd))
		if err != nil || b.SymbolsErr != nil {
			t.Fatalf("%s: %v %v", bd, err, b.SymbolsErr)
		}
		if b.GOOS != bd.GOOS || b.GOARCH != bd.GOARCH {
			t.Errorf("%s: platform %s/%s", bd, b.GOOS, b.GOARCH)
		}
		std, sys := decode(t, c, b, "go"), decode(t, c, b, "golang.org/x/sys")
		for _, want := range [][2]string{{"os", "Root.Mkdir"}, {"html/template", "Template.Execute"}, {"os", "OpenRoot"}} {
			if !std.Has(want[0], want[1]) {
				t.Errorf("%s: stdlib lacks %s.%s", bd, want[0], want[1])
			}
		}
		if std.HasPackage("net/http") || std.Has("html/template", "Template.Exec") {
			t.Errorf("%s: net/http or a symbol prefix reported present", bd)
		}
		if sys.HasPackage("os") || std.HasPackage("golang.org/x/sys/unix") {
			t.Errorf("%s: a package attributed to the wrong module", bd)
		}
		win := bd.GOOS == "windows"
		if got := sys.Has("golang.org/x/sys/windows", "NewNTUnicodeString"); got != win {
			t.Errorf("%s: x/sys/windows.NewNTUnicodeString present=%v", bd, got)
		}
		if got := sys.HasPackage("golang.org/x/sys/unix"); got == win {
			t.Errorf("%s: x/sys/unix present=%v", bd, got)
		}
		key := bd.GOOS + "/" + bd.GOARCH
		if f, ok := full[key]; !ok {
			full[key] = std
		} else if !bytes.Equal(f, std) {
			t.Errorf("%s: stripped binary gives other names than the unstripped one", bd)
		}
		if main := b.Symbols(c, "example.com/platapp"); main == nil {
			t.Errorf("%s: no set for the main module", bd)
		} else if n, _ := c.Decode(main); !n.Has("example.com/platapp", "sys") {
			t.Errorf("%s: main package functions not attributed to the main module: %q", bd, n)
		}
	}
}

// TestAgainstDebugGosym compares with an independent reader, the standard
// library's debug/gosym: every function it lists is in our set, and ours
// also holds inlined-only functions, which its Funcs lack.
func TestAgainstDebugGosym(t *testing.T) {
	data := gobintest.Binary(t, builds[0])
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	pcln, err := f.Section(".gopclntab").Data()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(pcln, f.Section(".text").Addr))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	checked := 0
	for _, fn := range tab.Funcs {
		pkg, sym, ok := splitName(fn.Name)
		if !ok {
			continue
		}
		listed[pkg+" "+sym] = true
		mod := moduleOf(pkg, []string{"golang.org/x/sys", "example.com/platapp"})
		if pkg == "main" {
			pkg, mod = "example.com/platapp", "example.com/platapp"
		}
		if !slices.Contains(b.byModule[mod][pkg], sym) {
			t.Errorf("debug/gosym lists %s (%s %s), our set lacks it", fn.Name, pkg, sym)
		}
		checked++
	}
	inlinedOnly := 0
	for _, pkgs := range b.byModule {
		for pkg, syms := range pkgs {
			for _, s := range syms {
				if !listed[pkg+" "+s] && pkg != "example.com/platapp" {
					inlinedOnly++
				}
			}
		}
	}
	if checked < 1000 || inlinedOnly == 0 {
		t.Errorf("%d functions compared, %d inlined-only names found; want ≥ 1000 and > 0", checked, inlinedOnly)
	}
	t.Logf("%d debug/gosym functions all found; %d more names only inlined", checked, inlinedOnly)
}

// TestNoFunctionTable: a Go binary whose pclntab headers are destroyed is
// still read (build info, platform), with SymbolsErr and nil sets rather
// than an empty "absent" set.
func TestNoFunctionTable(t *testing.T) {
	data := bytes.Clone(gobintest.Binary(t, builds[1]))
	for _, magic := range [][]byte{{0xf1, 0xff, 0xff, 0xff, 0, 0}} {
		for i := bytes.Index(data, magic); i >= 0; i = bytes.Index(data, magic) {
			data[i] = 0
		}
	}
	b, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.SymbolsErr == nil || b.GOOS != "linux" {
		t.Fatalf("SymbolsErr %v, GOOS %q", b.SymbolsErr, b.GOOS)
	}
	c, _ := NewCodec()
	if s := b.Symbols(c, "go"); s != nil {
		t.Errorf("set %v for a binary without function table", s)
	}
}

func TestReadNotGo(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("\x7fELF garbage"), bytes.Repeat([]byte{0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8}, 100)} {
		if _, err := Read(in); err == nil {
			t.Errorf("Read(%q...) gave no error", in[:min(len(in), 8)])
		}
	}
}

func TestSetDamaged(t *testing.T) {
	c, _ := NewCodec()
	s := c.Encode(map[string][]string{"net/http": {"Client.Do"}})
	if n, err := c.Decode(s); err != nil || !n.Has("net/http", "Client.Do") || n.Has("net/http", "Client") || n.Has("net", "Client.Do") {
		t.Fatalf("round trip: %q %v", n, err)
	}
	for _, bad := range []Set{{}, {2, 1, 2}, {setFormat}, append(Set{setFormat}, "not zstd"...), s[:len(s)-2]} {
		if _, err := c.Decode(bad); err == nil && len(bad) > 0 {
			t.Errorf("Decode(%q) gave no error", bad)
		}
	}
}

// FuzzParseHeader: any bytes give a table or an error, never a panic, and
// a table is always NUL-terminated.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8})
	f.Add(append([]byte{0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 4, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 36, 0, 0, 0, 36, 0, 0, 0, 36, 0, 0, 0, 36, 0, 0, 0}, "a.F\x00"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		names, err := parseHeader(b)
		if err == nil && (len(names) == 0 || names[len(names)-1] != 0) {
			t.Fatalf("table %q not NUL-terminated", names)
		}
		_, _ = searchHeader(bytes.NewReader(b), int64(len(b)))
	})
}

// FuzzSplitName: names never hold the set's separators.
func FuzzSplitName(f *testing.F) {
	for _, s := range []string{"net/http.(*Client).Do", "a.(*B[c.D]).E.func1", "x%2ey.F", "(*", "a.(*b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pkg, sym, ok := splitName(s)
		if ok && (strings.ContainsAny(pkg+sym, " \n") || pkg == "" || sym == "") {
			t.Fatalf("splitName(%q) = %q, %q", s, pkg, sym)
		}
	})
}

// FuzzDecode: a damaged cache entry is an error, never a panic.
func FuzzDecode(f *testing.F) {
	c, _ := NewCodec()
	f.Add([]byte(c.Encode(map[string][]string{"os": {"Root.Mkdir"}})))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := c.Decode(b)
		if err == nil {
			n.Has("os", "Root.Mkdir")
		}
	})
}

// BenchmarkRead measures what gobin adds per Go binary met in a layer,
// against debug/buildinfo.Read (what osv-scalibr already does) in the same
// run: ns/op and MB/s over the binary's size, and the stored bytes.
func BenchmarkRead(b *testing.B) {
	c, err := NewCodec()
	if err != nil {
		b.Fatal(err)
	}
	type input struct {
		name string
		data []byte
	}
	var ins []input
	for _, bd := range builds[:2] {
		ins = append(ins, input{bd.String(), gobintest.Binary(b, bd)})
	}
	// SIGHTLINE_BENCH_GOBIN=path[,path…] adds other Go binaries (e.g. the
	// Go toolchain's compile, kubectl) to the measurement.
	for _, p := range strings.Split(os.Getenv("SIGHTLINE_BENCH_GOBIN"), ",") {
		if data, err := os.ReadFile(p); err == nil {
			ins = append(ins, input{filepath.Base(p), data})
		}
	}
	for _, in := range ins {
		data := in.data
		b.Run("buildinfo-baseline/"+in.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := buildinfo.Read(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("read+encode/"+in.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			stored := 0
			cpu0 := cpuTime()
			for b.Loop() {
				bin, err := Read(data)
				if err != nil {
					b.Fatal(err)
				}
				stored = 0
				for m := range bin.byModule {
					stored += len(bin.Symbols(c, m))
				}
			}
			b.ReportMetric(float64(stored), "stored-bytes")
			// CPU time per op and per MB: on a shared, loaded machine wall
			// time overstates the cost several times.
			cpu := float64(cpuTime()-cpu0) / float64(b.N)
			b.ReportMetric(cpu, "cpu-ns/op")
			b.ReportMetric(cpu/1e6/(float64(len(data))/(1<<20)), "cpu-ms/MiB")
		})
	}
}

// cpuTime is this process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
