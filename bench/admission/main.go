// Command admission measures the latency of `sightline admission serve`
// (issue 10: p99 ≤ 50 ms for a cached image under 50 concurrent requests).
//
// It serves the real handler (built-in rules through the rule engine, the
// image policy over a scan cache) over TLS on 127.0.0.1, and runs -c
// clients that POST -n AdmissionReviews in total over keep-alive HTTPS
// connections, as the API server does. The objects are the Deployments of
// the microservices-demo release manifest with their images replaced by a
// digest the cache holds (the real scan fixture of internal/admission
// testdata), so every request is evaluated by every rule and looked up in
// the cache. Run from the repository root:
//
//	go run ./bench/admission [-n 10000] [-c 50]
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/sightline-sec/sightline/internal/admission"
)

const testdata = "internal/admission/testdata"

func main() {
	n := flag.Int("n", 10000, "requests in total")
	c := flag.Int("c", 50, "concurrent clients")
	mode := flag.String("mode", "enforce", "webhook mode")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the measured run to this file")
	flag.Parse()
	// The CLI runs non-scan commands at GOGC=200 (cmd/sightline tuneGC).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	if err := run(*n, *c, admission.Mode(*mode)); err != nil {
		log.Print(err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(n, c int, mode admission.Mode) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cache, digest, err := scanCache(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	rules, err := admission.LoadRules(ctx, nil)
	if err != nil {
		return err
	}
	fmt.Printf("rules loaded in %s\n", time.Since(start).Round(time.Millisecond))
	h, err := admission.NewHandler(admission.Config{Mode: mode, Rules: rules,
		Images:       &admission.ImagePolicy{Cache: cache, Budget: 5 * time.Second},
		ImageFailure: admission.FailClosed, RuleFailure: admission.FailClosed})
	if err != nil {
		return err
	}
	tlsConf, pool, err := selfSigned()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go admission.Serve(ctx, ln, tlsConf, h, nil)
	bodies, err := reviews(digest)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: c, MaxConnsPerHost: c}}
	url := "https://" + ln.Addr().String() + "/validate?timeout=10s"
	// Warm-up: TLS handshakes and first-use allocations, not measured.
	if _, err := load(client, url, bodies, c, 2*c); err != nil {
		return err
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start = time.Now()
	lat, err := load(client, url, bodies, c, n)
	if err != nil {
		return err
	}
	wall := time.Since(start)
	runtime.ReadMemStats(&after)
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("%d requests, %d concurrent, GOMAXPROCS %d, mode %s: %.0f req/s\n", n, c, runtime.GOMAXPROCS(0), mode, float64(n)/wall.Seconds())
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  max %s\n", ms(q(0.50)), ms(q(0.90)), ms(q(0.99)), ms(lat[len(lat)-1]))
	fmt.Printf("allocated %.1f MiB per 1000 requests (client and server)\n", float64(after.TotalAlloc-before.TotalAlloc)/float64(n)*1000/(1<<20))
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// load sends n requests from c clients and returns each latency. Every
// answer must be a 200 AdmissionReview with a decision.
func load(client *http.Client, url string, bodies [][]byte, c, n int) ([]time.Duration, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				err := post(client, url, bodies[i%len(bodies)])
				lat[i] = time.Since(t0)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return lat, firstErr
}

func post(client *http.Client, url string, body []byte) error {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var out admissionv1.AdmissionReview
	if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil || out.Response == nil {
		return fmt.Errorf("answer %d: %.200s", resp.StatusCode, b)
	}
	return nil
}

// scanCache indexes the real scan fixture (its own digest) in a temporary
// cache directory.
func scanCache(ctx context.Context) (*admission.ScanCache, string, error) {
	b, err := os.ReadFile(filepath.Join(testdata, "scan-fixture-plain.json"))
	if err != nil {
		return nil, "", fmt.Errorf("%w (run from the repository root)", err)
	}
	var res struct {
		Target struct{ Digest string } `json:"target"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "sightline-bench-admission-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "fixture.json"), b, 0o644); err != nil {
		return nil, "", err
	}
	c, err := admission.OpenScanCache(ctx, dir, nil)
	return c, res.Target.Digest, err
}

// reviews are CREATE reviews of the release manifest's Deployments, each
// image replaced by repo@digest.
func reviews(digest string) ([][]byte, error) {
	b, err := os.ReadFile(filepath.Join(testdata, "microservices-demo-release.yaml"))
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for i, doc := range strings.Split(string(b), "\n---") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, err
		}
		if obj["kind"] != "Deployment" {
			continue
		}
		raw, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		raw = pinImages(raw, digest)
		name, _ := obj["metadata"].(map[string]any)["name"].(string)
		r := admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Request: &admissionv1.AdmissionRequest{UID: types.UID(fmt.Sprintf("bench-%d", i)),
				Kind:      metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
				Resource:  metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
				Namespace: "shop", Name: name, Operation: admissionv1.Create},
		}
		r.Request.Object.Raw = raw
		body, err := json.Marshal(&r)
		if err != nil {
			return nil, err
		}
		out = append(out, body)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Deployment in the release manifest")
	}
	return out, nil
}

// pinImages rewrites every "image":"REF" to the fixture repository at
// digest, so the image policy finds it in the cache.
func pinImages(raw []byte, digest string) []byte {
	parts := strings.Split(string(raw), `"image":"`)
	for i := 1; i < len(parts); i++ {
		_, rest, _ := strings.Cut(parts[i], `"`)
		parts[i] = "registry.example.test/sightline/fixture@" + digest + `"` + rest
	}
	return []byte(strings.Join(parts, `"image":"`))
}

// selfSigned makes a serving certificate for 127.0.0.1 and the pool that
// trusts it.
func selfSigned() (*tls.Config, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool, nil
}
