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
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAdmissionServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeServingCert(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"admission", "serve"}, "--tls-cert and --tls-key are required"},
		{[]string{"admission", "serve", "--tls-cert", cert, "--tls-key", key, "--mode", "block"}, `mode "block": want enforce, warn or audit`},
		{[]string{"admission", "serve", "--tls-cert", cert, "--tls-key", key, "--image-policy-failure", "maybe"}, "--image-policy-failure"},
		{[]string{"admission", "serve", "--tls-cert", cert, "--tls-key", key, "--deny-severity", "hgih"}, "--deny-severity"},
		{[]string{"admission", "serve", "--tls-cert", cert, "--tls-key", key, "--scan-budget", "1m"}, "want 0 to 30s"},
		{[]string{"admission", "serve", "--tls-cert", filepath.Join(dir, "missing.crt"), "--tls-key", key}, "missing.crt"},
		{[]string{"admission", "serve", "--tls-cert", cert, "--tls-key", key, "--rules", filepath.Join(dir, "none.yaml")}, "none.yaml"},
		{[]string{"admission", "serve", "--tls-cert", cert, "--tls-key", key, "--format", "json"}, `--format "json" is not supported`},
	} {
		_, stderr, code := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args[2:], code, stderr, c.want)
		}
	}
}

// syncBuffer is a goroutine-safe stderr for a server running in the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAdmissionServeEndToEnd runs the command as a user would, sends it an
// AdmissionReview of a privileged Pod over TLS, and stops it.
func TestAdmissionServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeServingCert(t, dir)
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--cache-dir", dir, "admission", "serve", "--tls-cert", cert, "--tls-key", key,
			"--addr", "127.0.0.1:0", "--scan-budget", "0", "--image-policy-failure", "open"}, io.Discard, &stderr)
	}()
	addr := ""
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(stderr.String(), "\n") {
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "admission webhook serving" {
				addr = l.Addr
			}
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("server did not start: %s", stderr.String())
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	review := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"e2e-1",
"kind":{"group":"","version":"v1","kind":"Pod"},"namespace":"shop","name":"priv","operation":"CREATE",
"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"priv"},"spec":{"containers":[{"name":"shell","image":"nginx","securityContext":{"privileged":true}}]}}}}`
	resp, err := client.Post("https://"+addr+"/validate", "application/json", strings.NewReader(review))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		Response struct {
			UID     string
			Allowed bool
			Status  struct {
				Code    int32
				Message string
			}
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if out.Response.UID != "e2e-1" || out.Response.Allowed || out.Response.Status.Code != 403 ||
		!strings.Contains(out.Response.Status.Message, `SL-K8S-PSS-003: container "shell" is privileged`) {
		t.Errorf("response %s", body)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		r, err := client.Get("https://" + addr + path)
		if err != nil || r.StatusCode != 200 {
			t.Errorf("%s: %v %v", path, r, err)
		} else {
			r.Body.Close()
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after SIGTERM-like cancel: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
	if log := stderr.String(); !strings.Contains(log, `"msg":"admission review"`) || !strings.Contains(log, `"uid":"e2e-1"`) {
		t.Errorf("no decision log line: %s", log)
	}
}

// writeServingCert writes a self-signed certificate for 127.0.0.1.
func writeServingCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
