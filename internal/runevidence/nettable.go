package runevidence

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Socket is one listening socket of the container.
type Socket struct {
	// Proto is the /proc/net table it was read from: "tcp", "tcp6", "udp"
	// or "udp6". A tcp6 socket bound to :: also accepts IPv4 unless the
	// socket is IPV6_V6ONLY (which /proc does not show).
	Proto string `json:"proto"`
	// Address is the local address ("0.0.0.0", "::", "127.0.0.1").
	Address string `json:"address"`
	Port    int    `json:"port"`
	Inode   uint64 `json:"inode"`
	// PIDs are the host PIDs of the container's processes that hold the
	// socket open (/proc/<pid>/fd); empty when no process of the container
	// does (a network namespace shared with another container, or the
	// owner's fds could not be read — see Evidence.Gaps).
	PIDs []int `json:"pids"`
}

// TCP states as /proc/net/tcp prints them (include/net/tcp_states.h).
const (
	tcpEstablished = 0x01
	tcpClose       = 0x07
	tcpListen      = 0x0A
)

// maxNetTable bounds one /proc/<pid>/net/* table (about 150 bytes a
// socket: a million sockets).
const maxNetTable = 160 << 20

// parseNetTable reads a /proc/net/{tcp,tcp6,udp,udp6} table and returns its
// listening sockets: TCP sockets in LISTEN, UDP sockets bound to a port and
// not connected to a peer (remote port 0). Format: proc(5), "/proc/net/tcp"
// — addresses are hex of the kernel's in-memory words, so each 32-bit word
// is in host byte order.
func parseNetTable(r io.Reader, proto string) ([]Socket, error) {
	udp := strings.HasPrefix(proto, "udp")
	sc := bufio.NewScanner(bounded(r, maxNetTable))
	sc.Buffer(make([]byte, 0, 512), 64<<10)
	var out []Socket
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("%s line %d: %d fields, want at least 10", proto, line, len(f))
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: state %q: %w", proto, line, f[3], err)
		}
		_, remPort, err := parseHexAddr(f[2])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: remote address: %w", proto, line, err)
		}
		listening := st == tcpListen
		if udp {
			listening = remPort == 0 && (st == tcpClose || st == tcpEstablished)
		}
		if !listening {
			continue
		}
		addr, port, err := parseHexAddr(f[1])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: local address: %w", proto, line, err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: inode %q: %w", proto, line, f[9], err)
		}
		out = append(out, Socket{Proto: proto, Address: addr.String(), Port: port, Inode: inode})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", proto, err)
	}
	return out, nil
}

// parseHexAddr decodes "0100007F:1F90" (IPv4) or the 32-hex-digit IPv6
// form, both followed by the port in hex.
func parseHexAddr(s string) (netip.Addr, int, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.Addr{}, 0, fmt.Errorf("%q: no port", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("%q: port: %w", s, err)
	}
	if len(a) != 8 && len(a) != 32 {
		return netip.Addr{}, 0, fmt.Errorf("%q: address of %d hex digits", s, len(a))
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("%q: %w", s, err)
	}
	// Each printed word is a host-order u32 of the network-order bytes:
	// turn it back into those bytes.
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(b)
	return addr.Unmap(), int(port), nil
}

// bounded reads r and fails once more than limit bytes have been read,
// so that an oversized input is an error, never a silent truncation.
func bounded(r io.Reader, limit int64) io.Reader {
	return &boundedReader{r: r, left: limit, limit: limit}
}

type boundedReader struct {
	r           io.Reader
	left, limit int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, fmt.Errorf("larger than %d bytes", b.limit)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, fmt.Errorf("larger than %d bytes", b.limit)
	}
	return n, err
}
