package synth

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// DpkgStatus returns a dpkg status file of n entries built from the
// stanzas of a real one (template), cycled: copy i of stanza "libssl3" is
// package "libssl3-i" with the same Source (the binary name when it has
// none), so every copy is matched against the real source package's
// advisories. version, when set, replaces every version (e.g. "0.1-1",
// below every fix, so every copy is affected by all its source's
// advisories); else the real version is kept. Only the fields the
// inventory reads are kept, so the file is ~150 bytes per entry.
func DpkgStatus(template []byte, n int, version string) ([]byte, error) {
	type stanza struct{ pkg, source, ver, arch string }
	var all []stanza
	for _, block := range strings.Split(string(template), "\n\n") {
		var s stanza
		installed := false
		for _, line := range strings.Split(block, "\n") {
			k, v, _ := strings.Cut(line, ": ")
			switch k {
			case "Package":
				s.pkg = v
			case "Source":
				s.source, _, _ = strings.Cut(v, " ")
			case "Version":
				s.ver = v
			case "Architecture":
				s.arch = v
			case "Status":
				installed = strings.HasSuffix(v, " installed")
			}
		}
		if s.pkg != "" && installed {
			if s.source == "" {
				s.source = s.pkg
			}
			all = append(all, s)
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("template has no installed package")
	}
	var b bytes.Buffer
	for i := range n {
		s := all[i%len(all)]
		v := s.ver
		if version != "" {
			v = version
		}
		fmt.Fprintf(&b, "Package: %s-%d\nStatus: install ok installed\nPriority: optional\nArchitecture: %s\nSource: %s\nVersion: %s\nDescription: synthetic copy %d of %s\n\n",
			s.pkg, i, s.arch, s.source, v, i, s.pkg)
	}
	return b.Bytes(), nil
}

// NpmFiles adds n node_modules/*/package.json files under dir. With
// sameName every file declares name@version (one package at n
// locations); else file i declares "<name>-i" at version.
func NpmFiles(l *Layer, dir string, n int, name, version string, sameName bool) error {
	for i := range n {
		pn := name
		if !sameName {
			pn = fmt.Sprintf("%s-%d", name, i)
		}
		body := fmt.Sprintf("{\n  \"name\": %q,\n  \"version\": %q,\n  \"license\": \"MIT\"\n}\n", pn, version)
		p := fmt.Sprintf("%s/node_modules/d%d/p%d/package.json", dir, i/1000, i)
		if err := l.Bytes(p, 0o644, []byte(body)); err != nil {
			return err
		}
	}
	return nil
}

// Random returns a deterministic stream of incompressible bytes.
func Random(seed uint64) io.Reader {
	return rand.NewChaCha8(seedBytes(seed))
}

func seedBytes(seed uint64) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return s
}

// Jar writes a fat jar of about size bytes to w: a pom.properties naming
// group:artifact@version and one stored (uncompressed) entry of random
// bytes filling the rest, as shaded application jars carry.
func Jar(w io.Writer, size int64, seed uint64, group, artifact, version string) error {
	zw := zip.NewWriter(w)
	f, err := zw.Create("META-INF/maven/" + group + "/" + artifact + "/pom.properties")
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "groupId=%s\nartifactId=%s\nversion=%s\n", group, artifact, version)
	f, err = zw.CreateHeader(&zip.FileHeader{Name: "blob.bin", Method: zip.Store})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.CopyN(bw, Random(seed), max(size-4096, 0)); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}
