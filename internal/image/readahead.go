package image

import (
	"io"
	"sync"
)

// readAhead decompresses on its own goroutine, up to depth chunks ahead of
// the reader, so decompression (most of a cold scan's CPU) overlaps with
// hashing, tar parsing and extraction on the consumer's goroutine: a
// single big layer then keeps two cores busy.
type readAhead struct {
	src    io.ReadCloser
	chunks chan []byte
	free   chan []byte
	done   chan struct{}
	cur    []byte // unread part of buf
	buf    []byte // the chunk being read, recycled when done
	err    error
	errMu  sync.Mutex
	once   sync.Once
}

const (
	chunkSize  = 256 << 10
	chunkDepth = 8
)

func newReadAhead(src io.ReadCloser) *readAhead {
	r := &readAhead{src: src, chunks: make(chan []byte, chunkDepth),
		free: make(chan []byte, chunkDepth+2), done: make(chan struct{})}
	go r.fill()
	return r
}

func (r *readAhead) fill() {
	defer close(r.chunks)
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		default:
			buf = make([]byte, chunkSize)
		}
		n, err := r.readChunk(buf)
		if n > 0 {
			select {
			case r.chunks <- buf[:n]:
			case <-r.done:
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				r.setErr(err)
			}
			return
		}
	}
}

// readChunk fills buf unless the source ends or fails first.
func (r *readAhead) readChunk(buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (r *readAhead) setErr(err error) {
	r.errMu.Lock()
	r.err = err
	r.errMu.Unlock()
}

func (r *readAhead) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		c, ok := <-r.chunks
		if !ok {
			r.errMu.Lock()
			defer r.errMu.Unlock()
			if r.err == nil {
				return 0, io.EOF
			}
			return 0, r.err
		}
		r.cur, r.buf = c, c
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	if len(r.cur) == 0 {
		select {
		case r.free <- r.buf[:cap(r.buf)]:
		default:
		}
		r.buf = nil
	}
	return n, nil
}

func (r *readAhead) Close() error {
	r.once.Do(func() { close(r.done) })
	for range r.chunks { // let fill finish before closing its source
	}
	return r.src.Close()
}
