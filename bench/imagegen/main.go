// Command imagegen writes synthetic docker-archive images for the memory
// and hostile-input benchmarks (bench/memory.sh), in bounded memory:
//
//	go run ./bench/imagegen -kind dpkg -n 200000 -o dpkg.tar           # one status file, 200k entries
//	go run ./bench/imagegen -kind dpkg -n 200000 -version 0.1-1 -o v.tar # … each affected by all its source's advisories
//	go run ./bench/imagegen -kind npm -n 1000000 -o npm.tar             # 1M node_modules package.json files
//	go run ./bench/imagegen -kind big -size 4096 -layers 16 -o big.tar  # 4 GiB of large files in 16 layers
//
// Every image has the real Debian 12 os-release and dpkg status
// (testdata/image/debian12) in its bottom layer.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/sightline-sec/sightline/bench/imagegen/synth"
)

type options struct {
	kind, out, version, testdata, gobin string
	n, layers                           int
	sizeMiB                             int64
	sameName                            bool
}

func main() {
	var o options
	flag.StringVar(&o.kind, "kind", "dpkg", "dpkg, npm or big")
	flag.StringVar(&o.out, "o", "bench/work/gen.tar", "output docker archive")
	flag.IntVar(&o.n, "n", 200000, "dpkg entries or package.json files")
	flag.StringVar(&o.version, "version", "", "dpkg: replace every version (e.g. 0.1-1); npm: the version (default 1.0.0)")
	flag.BoolVar(&o.sameName, "same-name", false, "npm: every package.json declares the same package")
	flag.Int64Var(&o.sizeMiB, "size", 4096, "big: total MiB of large files")
	flag.IntVar(&o.layers, "layers", 16, "big: layers")
	flag.StringVar(&o.gobin, "gobin", "", "big: a Go binary added to every layer (default: none)")
	flag.StringVar(&o.testdata, "testdata", "testdata/image", "the repository's testdata/image")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "imagegen:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	w, err := synth.Create(o.out, kgzip.BestSpeed)
	if err != nil {
		return err
	}
	status, err := os.ReadFile(filepath.Join(o.testdata, "debian12", "var_lib_dpkg_status"))
	if err != nil {
		return err
	}
	osRel, err := os.ReadFile(filepath.Join(o.testdata, "debian12", "etc_os-release"))
	if err != nil {
		return err
	}
	if err := w.AddLayer("debian base", func(l *synth.Layer) error {
		if err := l.Bytes("etc/os-release", 0o644, osRel); err != nil {
			return err
		}
		return l.Bytes("var/lib/dpkg/status", 0o644, status)
	}); err != nil {
		return err
	}
	switch o.kind {
	case "dpkg":
		b, err := synth.DpkgStatus(status, o.n, o.version)
		if err != nil {
			return err
		}
		err = w.AddLayer(fmt.Sprintf("%d dpkg entries", o.n), func(l *synth.Layer) error {
			return l.Bytes("var/lib/dpkg/status", 0o644, b)
		})
		if err != nil {
			return err
		}
	case "npm":
		v := o.version
		if v == "" {
			v = "1.0.0"
		}
		err = w.AddLayer(fmt.Sprintf("%d package.json", o.n), func(l *synth.Layer) error {
			return synth.NpmFiles(l, "srv/app", o.n, "lodash", v, o.sameName)
		})
		if err != nil {
			return err
		}
	case "big":
		if err := bigLayers(w, o); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown -kind %q", o.kind)
	}
	return w.Close()
}

// bigLayers spreads sizeMiB over the layers, each holding a random
// executable (wanted by the Go binary extractor, not a Go binary), a fat
// jar (wanted by the Java extractor) and a data blob nothing wants, in
// equal thirds.
func bigLayers(w *synth.Writer, o options) error {
	per := o.sizeMiB << 20 / int64(o.layers) / 3
	for i := range o.layers {
		seed := uint64(i) * 3
		jar, err := tempJar(filepath.Dir(o.out), per, seed+2, i)
		if err != nil {
			return err
		}
		err = w.AddLayer(fmt.Sprintf("big layer %d", i), func(l *synth.Layer) error {
			defer os.Remove(jar.Name())
			defer jar.Close()
			dir := fmt.Sprintf("opt/l%d/", i)
			if err := l.File(dir+"bin/tool", 0o755, per, synth.Random(seed)); err != nil {
				return err
			}
			st, err := jar.Stat()
			if err != nil {
				return err
			}
			if err := l.File(dir+"lib/app.jar", 0o644, st.Size(), jar); err != nil {
				return err
			}
			if o.gobin != "" {
				if err := addFile(l, dir+"bin/gobin", o.gobin); err != nil {
					return err
				}
			}
			return l.File(dir+"data/blob.bin", 0o644, per, synth.Random(seed+1))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func tempJar(dir string, size int64, seed uint64, i int) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".jar-*")
	if err != nil {
		return nil, err
	}
	if err := synth.Jar(f, size, seed, "org.example", fmt.Sprintf("app%d", i), "1.0.0"); err != nil {
		f.Close()
		return nil, err
	}
	_, err = f.Seek(0, io.SeekStart)
	return f, err
}

func addFile(l *synth.Layer, name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return l.File(name, 0o755, st.Size(), f)
}
