package docker

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// imdsServer serves the IMDSv2 wire protocol for the instance ID
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html):
// PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds returns a
// session token (and echoes the TTL); GET /latest/meta-data/instance-id
// with X-aws-ec2-metadata-token returns the ID as text/plain; a request
// without a valid token is 401, as on an instance that requires IMDSv2.
func imdsServer(t *testing.T, instanceID string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	const token = "AQAEAFRmb2tlbi1mb3ItdGVzdHM="
	var gets atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /latest/api/token", func(w http.ResponseWriter, r *http.Request) {
		ttl := r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds")
		if ttl == "" {
			http.Error(w, "", http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", ttl)
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(token))
	})
	mux.HandleFunc("GET /latest/meta-data/instance-id", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-aws-ec2-metadata-token") != token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		gets.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(instanceID))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &gets
}

func TestIMDSInstanceID(t *testing.T) {
	srv, gets := imdsServer(t, "i-0abcdef0123456789")
	id, err := imdsInstanceID(context.Background(), srv.URL, time.Second)
	if err != nil || id != "i-0abcdef0123456789" || gets.Load() != 1 {
		t.Fatalf("got %q, %v after %d GETs", id, err, gets.Load())
	}
	h := lookupHostID(context.Background(), Options{IMDSEndpoint: srv.URL})
	if h.instanceID != "i-0abcdef0123456789" || h.from != "imds" || h.gap != nil {
		t.Errorf("lookupHostID: %+v", h)
	}
	// --host-id wins and the service is not asked.
	before := gets.Load()
	h = lookupHostID(context.Background(), Options{HostID: "i-0123456789abcdef0", IMDSEndpoint: srv.URL})
	if h.instanceID != "i-0123456789abcdef0" || h.from != "--host-id" || gets.Load() != before {
		t.Errorf("--host-id: %+v (%d GETs)", h, gets.Load()-before)
	}
}

func TestIMDSBadAnswer(t *testing.T) {
	srv, _ := imdsServer(t, "<html>captive portal</html>")
	_, err := imdsInstanceID(context.Background(), srv.URL, time.Second)
	if err == nil || !strings.Contains(err.Error(), "not an instance ID") {
		t.Fatalf("err %v", err)
	}
}

// TestIMDSDeadEndpointCostsTheTimeout: an endpoint that accepts
// connections and never answers (as a firewall that drops the packets
// would, off EC2) costs the timeout and no more, and leaves a Gap that
// says how to name the host.
func TestIMDSDeadEndpointCostsTheTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 16)
	defer func() {
		l.Close()
		close(conns)
		for c := range conns {
			c.Close()
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns <- c // held open, never answered
		}
	}()
	const timeout = 200 * time.Millisecond
	start := time.Now()
	h := lookupHostID(context.Background(), Options{IMDSEndpoint: "http://" + l.Addr().String(), IMDSTimeout: timeout})
	took := time.Since(start)
	if took > timeout+100*time.Millisecond {
		t.Errorf("lookup took %s with a %s timeout", took, timeout)
	}
	if h.instanceID != "" || h.gap == nil || !strings.Contains(h.gap.Reason, "--host-id") || !strings.Contains(h.gap.Reason, "within 200ms") {
		t.Fatalf("got %+v (gap %+v)", h, h.gap)
	}
	t.Logf("dead endpoint cost %s (timeout %s)", took, timeout)
}

func TestNoIMDSGap(t *testing.T) {
	srv, gets := imdsServer(t, "i-0abcdef0123456789")
	h := lookupHostID(context.Background(), Options{NoIMDS: true, IMDSEndpoint: srv.URL})
	if h.instanceID != "" || h.gap == nil || !strings.Contains(h.gap.Reason, "NoIMDS") || gets.Load() != 0 {
		t.Fatalf("got %+v gap %+v, %d GETs", h, h.gap, gets.Load())
	}
}

func TestValidInstanceID(t *testing.T) {
	for s, ok := range map[string]bool{
		"i-0123456789abcdef0": true, "i-12345678": true,
		"i-0123456789ABCDEF0": false, "i-123": false, "0123456789abcdef0": false, "i-0123456789abcdef01": false, "": false,
	} {
		if validInstanceID(s) != ok {
			t.Errorf("validInstanceID(%q) = %v", s, !ok)
		}
	}
}

// TestIMDSEnvEndpointNamed: the SDK client takes its endpoint from
// AWS_EC2_METADATA_SERVICE_ENDPOINT when none is given; the gap names
// that endpoint, not the default one it did not ask.
func TestIMDSEnvEndpointNamed(t *testing.T) {
	srv, gets := imdsServer(t, "i-0abcdef0123456789")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
	h := lookupHostID(context.Background(), Options{IMDSTimeout: 2 * time.Second})
	if h.instanceID != "i-0abcdef0123456789" || gets.Load() == 0 {
		t.Fatalf("got %+v, %d GETs: the SDK did not use the endpoint of the environment", h, gets.Load())
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", dead)
	h = lookupHostID(context.Background(), Options{IMDSTimeout: 2 * time.Second})
	if h.gap == nil || !strings.Contains(h.gap.Reason, dead+" (AWS_EC2_METADATA_SERVICE_ENDPOINT)") || strings.Contains(h.gap.Reason, "169.254.169.254") {
		t.Fatalf("gap %+v does not name the endpoint asked (%s)", h.gap, dead)
	}
}
