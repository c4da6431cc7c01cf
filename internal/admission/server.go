package admission

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server timeouts. The API server calls a webhook with at most 30 s
// (timeoutSeconds ≤ 30); the write timeout leaves room for that.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 35 * time.Second
	idleTimeout       = 90 * time.Second
	maxHeaderBytes    = 64 << 10
	shutdownGrace     = 10 * time.Second
)

// LoadTLS reads a PEM certificate chain and key (the Secret a cert-manager
// Certificate or the openssl commands of docs/admission.md produce).
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// Serve answers on ln over TLS until ctx is done, then shuts down
// gracefully (in-flight reviews finish within shutdownGrace). h is marked
// ready while serving.
func Serve(ctx context.Context, ln net.Listener, tlsConf *tls.Config, h *Handler, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	h.SetReady(true)
	log.Info("admission webhook serving", "addr", ln.Addr().String(), "mode", string(h.cfg.Mode))
	select {
	case err := <-errc:
		h.SetReady(false)
		return fmt.Errorf("admission webhook: %w", err)
	case <-ctx.Done():
	}
	h.SetReady(false)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	log.Info("admission webhook stopped")
	return err
}
