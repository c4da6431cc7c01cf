// Package kubetest starts a real Kubernetes API server for tests: Debian's
// etcd (package etcd-server) and a kube-apiserver v1.37.2 built from the Go
// module proxy by tools/kube-apiserver/build.sh, both on 127.0.0.1 with
// random free ports and temporary directories. There is no
// controller-manager, scheduler or kubelet: objects are stored and served,
// nothing reconciles them (Deployments create no Pods, Pods stay where the
// test puts them, LoadBalancer Services get no address unless the test sets
// status). This is the API live-cluster code talks to, without a fake
// clientset (see docs/workloads-kubernetes-live.md, "Test harness").
//
// Tests call Start once per test binary (TestMain) or StartT per test.
// When etcd or the kube-apiserver binary is missing, Start fails with a
// message naming the command that installs or builds it: the tests fail,
// they are never skipped.
package kubetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// Version is the kube-apiserver version the harness runs; build.sh builds
// the same one.
const Version = "v1.37.2"

// AdminUser is the user of Server.Config, in group system:masters (every
// RBAC check passes).
const AdminUser = "sightline-admin"

// Options configure Start.
type Options struct {
	// Users are extra users (no groups) that get a bearer token; tests bind
	// RBAC roles to them and connect with ConfigFor.
	Users []string
	// APIServerArgs are extra kube-apiserver flags (e.g.
	// "--etcd-compaction-interval=1s" to expire continue tokens quickly).
	APIServerArgs []string
	// Logf receives progress lines (start-up time); nil = silent.
	Logf func(string, ...any)
}

// Server is a running etcd + kube-apiserver pair.
type Server struct {
	// Config is an admin (system:masters) client configuration.
	Config *rest.Config
	// Host is the API server URL (https://127.0.0.1:PORT).
	Host string
	// CAData is the PEM CA certificate the server's certificate chains to.
	CAData []byte

	dir    string
	tokens map[string]string
	procs  []*proc
	once   sync.Once
}

// StartT starts a server for one test and stops it in t.Cleanup; it fails
// the test (t.Fatal) when the server cannot start.
func StartT(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Start starts etcd and kube-apiserver and waits until /readyz answers ok
// (RBAC bootstrap roles included). Call Stop when done. The error names
// what is missing and how to install or build it.
func Start(opts Options) (*Server, error) {
	etcdBin, apiBin, err := Binaries()
	if err != nil {
		return nil, err
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir, err := os.MkdirTemp(tempRoot(), "sightline-kubetest-")
	if err != nil {
		return nil, fmt.Errorf("kubetest: temporary dir: %w", err)
	}
	s := &Server{dir: dir, tokens: map[string]string{}}
	start := time.Now()
	if err := s.start(etcdBin, apiBin, opts); err != nil {
		s.Stop()
		return nil, err
	}
	logf("kubetest: etcd + kube-apiserver %s ready at %s in %s", Version, s.Host, time.Since(start).Round(time.Millisecond))
	return s, nil
}

// Binaries finds etcd ($ETCD_BIN, else etcd on PATH) and kube-apiserver
// ($KUBE_APISERVER_BIN, else the cached build of tools/kube-apiserver/build.sh
// under the user cache dir), or says how to get them.
func Binaries() (etcdBin, apiBin string, err error) {
	var missing []string
	etcdBin = os.Getenv("ETCD_BIN")
	if etcdBin == "" {
		etcdBin, _ = exec.LookPath("etcd")
	}
	if etcdBin == "" || !executable(etcdBin) {
		missing = append(missing, "etcd not found (ETCD_BIN or PATH): install it with `apt-get install -y etcd-server` (Debian), or set ETCD_BIN")
	}
	apiBin = os.Getenv("KUBE_APISERVER_BIN")
	if apiBin == "" {
		apiBin, err = CachedAPIServerPath()
		if err != nil {
			return "", "", err
		}
	}
	if !executable(apiBin) {
		missing = append(missing, fmt.Sprintf("kube-apiserver %s not found at %s: build it once per machine with tools/kube-apiserver/build.sh (about 8 minutes on 2 cores), or set KUBE_APISERVER_BIN", Version, apiBin))
	}
	if len(missing) > 0 {
		return "", "", errors.New("kubetest: the live Kubernetes tests need a real API server: " + strings.Join(missing, "; "))
	}
	return etcdBin, apiBin, nil
}

// CachedAPIServerPath is where build.sh puts the kube-apiserver binary:
// os.UserCacheDir()/sightline/kube-apiserver-<Version>.
func CachedAPIServerPath() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("kubetest: user cache dir: %w (set KUBE_APISERVER_BIN)", err)
	}
	return filepath.Join(cache, "sightline", "kube-apiserver-"+Version), nil
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// tempRoot prefers /dev/shm: etcd fsyncs every write, and the tests do not
// need durability.
func tempRoot() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() && syscall.Access("/dev/shm", 2) == nil {
		return "/dev/shm"
	}
	return os.TempDir()
}

func (s *Server) start(etcdBin, apiBin string, opts Options) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	etcd := &proc{name: "etcd", log: filepath.Join(s.dir, "etcd.log")}
	s.procs = append(s.procs, etcd)
	if err := etcd.start(etcdBin,
		"--name=kubetest",
		"--data-dir="+filepath.Join(s.dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		"--log-level=warn",
	); err != nil {
		return err
	}
	if err := waitHTTP(etcd, &http.Client{Timeout: 2 * time.Second}, etcdURL+"/health", "", 30*time.Second); err != nil {
		return err
	}

	pki, err := newPKI(s.dir)
	if err != nil {
		return err
	}
	s.CAData = pki.caPEM
	s.tokens[AdminUser] = token()
	lines := []string{fmt.Sprintf("%s,%s,%s,\"system:masters\"", s.tokens[AdminUser], AdminUser, AdminUser)}
	for _, u := range opts.Users {
		s.tokens[u] = token()
		lines = append(lines, fmt.Sprintf("%s,%s,%s", s.tokens[u], u, u))
	}
	tokenFile := filepath.Join(s.dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}

	s.Host = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	api := &proc{name: "kube-apiserver", log: filepath.Join(s.dir, "kube-apiserver.log")}
	s.procs = append(s.procs, api)
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		"--cert-dir=" + filepath.Join(s.dir, "certs"),
		"--tls-cert-file=" + pki.certFile, "--tls-private-key-file=" + pki.keyFile,
		"--client-ca-file=" + pki.caFile,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki.saKeyFile,
		"--service-account-signing-key-file=" + pki.saKeyFile,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--token-auth-file=" + tokenFile,
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--endpoint-reconciler-type=none",
		// New namespaces get no "default" ServiceAccount (no
		// controller-manager); without this plugin pods need not name one.
		"--disable-admission-plugins=ServiceAccount",
	}
	if err := api.start(apiBin, append(args, opts.APIServerArgs...)...); err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pki.caPEM)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if err := waitHTTP(api, client, s.Host+"/readyz", s.tokens[AdminUser], 90*time.Second); err != nil {
		return err
	}
	// /readyz can answer before the bootstrap controller has created the
	// default/kubernetes Service: tests that list every Service would race
	// with it, so the server counts as ready once it exists.
	if err := waitHTTP(api, client, s.Host+"/api/v1/namespaces/default/services/kubernetes", s.tokens[AdminUser], 60*time.Second); err != nil {
		return err
	}
	s.Config = s.ConfigFor(AdminUser)
	return nil
}

// ConfigFor returns a client configuration authenticating as user (AdminUser
// or one of Options.Users); nil for an unknown user.
func (s *Server) ConfigFor(user string) *rest.Config {
	tok, ok := s.tokens[user]
	if !ok {
		return nil
	}
	return &rest.Config{
		Host:            s.Host,
		BearerToken:     tok,
		TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), s.CAData...)},
		QPS:             1000,
		Burst:           2000,
		UserAgent:       "sightline-kubetest",
	}
}

// Token is the bearer token of user ("" for an unknown user), for tests
// that write a kubeconfig file.
func (s *Server) Token(user string) string { return s.tokens[user] }

// Stop kills kube-apiserver and etcd and removes the temporary directory.
// Safe to call more than once.
func (s *Server) Stop() {
	s.once.Do(func() {
		for i := len(s.procs) - 1; i >= 0; i-- {
			s.procs[i].stop()
		}
		os.RemoveAll(s.dir)
	})
}

// proc is one child process with its log file.
type proc struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func (p *proc) start(bin string, args ...string) error {
	f, err := os.Create(p.log)
	if err != nil {
		return fmt.Errorf("kubetest: %s log: %w", p.name, err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("kubetest: starting %s (%s): %w", p.name, bin, err)
	}
	p.done = make(chan struct{})
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) stop() {
	if p.cmd == nil || p.cmd.Process == nil || p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail is the end of the process's log, for start-up errors.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return strings.TrimSpace(string(b))
}

// waitHTTP polls url until it answers 200 or the process exits or timeout.
func waitHTTP(p *proc, client *http.Client, url, bearer string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last string
	for {
		if p.exited() {
			return fmt.Errorf("kubetest: %s exited during start-up (%v); log:\n%s", p.name, p.err, p.tail())
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := client.Do(req)
		if err == nil {
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(buf.String()))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kubetest: %s not ready at %s after %s (last: %s); log:\n%s", p.name, url, timeout, last, p.tail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePorts asks the kernel for n free loopback ports. Another process may
// take one before the server binds it; start-up then fails with the log.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("kubetest: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func token() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
