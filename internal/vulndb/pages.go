package vulndb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
)

// checkPages checks the shape of a bbolt file before any bbolt traversal
// runs over it: bbolt follows page ids as stored, so a branch element
// pointing back at an ancestor makes its cursor loop or recurse without
// end (a hang or a fatal stack overflow, which no recover catches), and
// an element offset past its page reads outside the file. It reads the
// file itself (f), page by page, and follows every tree from the meta
// page bbolt chose (txid): each page must exist below the high-water
// mark, say its own id, be a branch or a leaf, be reached once, lie at a
// depth of at most maxDepth, and keep its elements, keys and values
// inside itself; bucket values must hold a bucket header and, for inline
// buckets, a sound inline page.
//
// The layout is bbolt's file format version 2 (go.etcd.io/bbolt
// internal/common: page.go, meta.go, inode.go), stable since bbolt 1.3.
func checkPages(f io.ReaderAt, pageSize int, txid uint64) error {
	c := &pageChecker{f: f, ps: pageSize}
	m, err := c.meta(txid)
	if err != nil {
		return err
	}
	c.hwm = m.hwm
	c.seen = make([]bool, m.hwm)
	c.seen[0], c.seen[1] = true, true
	_, _, err = c.tree(m.root, 0)
	return err
}

const (
	pageHeaderSize = 16
	elemSize       = 16 // branch and leaf element headers
	flagBranch     = 0x01
	flagLeaf       = 0x02
	bucketLeafFlag = 0x01
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	maxDepth       = 32 // a 4 KiB-page tree of this depth would hold far more than 2^64 keys
)

type pageChecker struct {
	f    io.ReaderAt
	ps   int
	hwm  uint64
	seen []bool
}

type metaPage struct{ root, hwm uint64 }

// meta finds the meta page of transaction txid (bbolt picks the valid one
// with the higher txid) and checks its checksum.
func (c *pageChecker) meta(txid uint64) (metaPage, error) {
	buf := make([]byte, 64)
	for i := int64(0); i < 2; i++ {
		if _, err := c.f.ReadAt(buf, i*int64(c.ps)+pageHeaderSize); err != nil {
			continue
		}
		if binary.LittleEndian.Uint32(buf) != boltMagic || binary.LittleEndian.Uint32(buf[4:]) != boltVersion ||
			binary.LittleEndian.Uint64(buf[48:]) != txid {
			continue
		}
		h := fnv.New64a()
		h.Write(buf[:56])
		if h.Sum64() != binary.LittleEndian.Uint64(buf[56:]) {
			continue
		}
		return metaPage{root: binary.LittleEndian.Uint64(buf[16:]), hwm: binary.LittleEndian.Uint64(buf[40:])}, nil
	}
	return metaPage{}, fmt.Errorf("no valid meta page of transaction %d", txid)
}

// page is one page as far as the checks need it: its header and element
// headers are read, keys and values only when they must be looked at.
type page struct {
	id   uint64
	off  int64  // file offset; -1 for an inline bucket's page
	size int    // bytes, overflow pages included
	head []byte // header and element headers (inline: the whole page)
}

// page reads the header and element headers of page id.
func (c *pageChecker) page(id uint64, depth int) (*page, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("page %d: tree deeper than %d (a cycle?)", id, maxDepth)
	}
	if id < 2 || id >= c.hwm {
		return nil, fmt.Errorf("page id %d outside the file's pages [2, %d)", id, c.hwm)
	}
	if c.seen[id] {
		return nil, fmt.Errorf("page %d reached twice (a cycle or a shared page)", id)
	}
	off := int64(id) * int64(c.ps)
	hdr := make([]byte, pageHeaderSize)
	if _, err := c.f.ReadAt(hdr, off); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	if got := binary.LittleEndian.Uint64(hdr); got != id {
		return nil, fmt.Errorf("page %d says it is page %d", id, got)
	}
	over := uint64(binary.LittleEndian.Uint32(hdr[12:]))
	if over >= c.hwm-id {
		return nil, fmt.Errorf("page %d: %d overflow pages run past the end", id, over)
	}
	for i := id; i <= id+over; i++ {
		if c.seen[i] {
			return nil, fmt.Errorf("page %d reached twice (overlapping overflow)", i)
		}
		c.seen[i] = true
	}
	pg := &page{id: id, off: off, size: int(over+1) * c.ps}
	n := pageHeaderSize + int(binary.LittleEndian.Uint16(hdr[10:]))*elemSize
	if n > pg.size {
		return nil, fmt.Errorf("page %d: %d elements do not fit", id, (n-pageHeaderSize)/elemSize)
	}
	pg.head = make([]byte, n)
	if _, err := c.f.ReadAt(pg.head, off); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	return pg, nil
}

// bytes returns n bytes at offset o of the page.
func (c *pageChecker) bytes(pg *page, o, n int) ([]byte, error) {
	if pg.off < 0 {
		return pg.head[o : o+n], nil
	}
	b := make([]byte, n)
	if _, err := c.f.ReadAt(b, pg.off+int64(o)); err != nil {
		return nil, fmt.Errorf("page %d: %w", pg.id, err)
	}
	return b, nil
}

// tree checks the B+tree rooted at page id and returns its first and
// last keys (nil for an empty tree).
func (c *pageChecker) tree(id uint64, depth int) (first, last []byte, err error) {
	pg, err := c.page(id, depth)
	if err != nil {
		return nil, nil, err
	}
	return c.node(pg, depth)
}

// node checks one page's elements: branch children recursively, leaf
// keys and values inside the page, bucket values as buckets. It returns
// the first and last keys under the page.
//
// Branch keys route lookups: bbolt's Get descends to the child whose
// branch key is the greatest one not above the key sought, while cursors
// (and so a walk over every key) visit children in order whatever their
// branch keys say. Damage to a branch key therefore hides keys from
// lookups without disturbing a walk; so every branch's keys must increase,
// and child i's keys must lie in [key i, key i+1).
func (c *pageChecker) node(pg *page, depth int) (first, last []byte, err error) {
	p := pg.head
	flags, count := binary.LittleEndian.Uint16(p[8:]), int(binary.LittleEndian.Uint16(p[10:]))
	switch flags {
	case flagBranch:
		if count == 0 {
			return nil, nil, fmt.Errorf("page %d: empty branch", pg.id)
		}
		var prev, prevLast []byte
		for i := range count {
			e := pageHeaderSize + i*elemSize
			pos, ksize := binary.LittleEndian.Uint32(p[e:]), binary.LittleEndian.Uint32(p[e+4:])
			if !fits(e, pos, ksize, 0, pg.size) {
				return nil, nil, fmt.Errorf("page %d: branch element %d outside the page", pg.id, i)
			}
			key, err := c.bytes(pg, e+int(pos), int(ksize))
			if err != nil {
				return nil, nil, err
			}
			if i > 0 && bytes.Compare(prev, key) >= 0 {
				return nil, nil, fmt.Errorf("page %d: branch keys out of order at element %d", pg.id, i)
			}
			if prevLast != nil && bytes.Compare(prevLast, key) >= 0 {
				return nil, nil, fmt.Errorf("page %d: branch element %d's key is not above its left sibling's keys", pg.id, i)
			}
			cf, cl, err := c.tree(binary.LittleEndian.Uint64(p[e+8:]), depth+1)
			if err != nil {
				return nil, nil, err
			}
			if cf != nil && bytes.Compare(key, cf) > 0 {
				return nil, nil, fmt.Errorf("page %d: branch element %d's key is above its child's first key", pg.id, i)
			}
			if i == 0 {
				first = cf
			}
			prev, prevLast, last = key, cl, cl
		}
		return first, last, nil
	case flagLeaf:
		for i := range count {
			e := pageHeaderSize + i*elemSize
			fl, pos := binary.LittleEndian.Uint32(p[e:]), binary.LittleEndian.Uint32(p[e+4:])
			ksize, vsize := binary.LittleEndian.Uint32(p[e+8:]), binary.LittleEndian.Uint32(p[e+12:])
			if !fits(e, pos, ksize, vsize, pg.size) {
				return nil, nil, fmt.Errorf("page %d: leaf element %d outside the page", pg.id, i)
			}
			if i == 0 || i == count-1 {
				k, err := c.bytes(pg, e+int(pos), int(ksize))
				if err != nil {
					return nil, nil, err
				}
				if i == 0 {
					first = k
				}
				last = k
			}
			if fl&bucketLeafFlag == 0 {
				continue
			}
			v, err := c.bytes(pg, e+int(pos)+int(ksize), int(vsize))
			if err != nil {
				return nil, nil, err
			}
			if err := c.bucket(v, pg.id, depth); err != nil {
				return nil, nil, err
			}
		}
		return first, last, nil
	}
	return nil, nil, fmt.Errorf("page %d: type %#x is neither branch nor leaf", pg.id, flags)
}

// bucket checks a bucket value: root page id and sequence, then either a
// tree or, for an inline bucket (root 0), the page that follows.
func (c *pageChecker) bucket(v []byte, parent uint64, depth int) error {
	if len(v) < 16 {
		return fmt.Errorf("page %d: bucket value of %d bytes", parent, len(v))
	}
	if root := binary.LittleEndian.Uint64(v); root != 0 {
		_, _, err := c.tree(root, depth+1)
		return err
	}
	inline := v[16:]
	if len(inline) < pageHeaderSize {
		return fmt.Errorf("page %d: inline bucket of %d bytes", parent, len(inline))
	}
	if binary.LittleEndian.Uint16(inline[8:]) != flagLeaf {
		return errors.New("inline bucket page is not a leaf")
	}
	if depth+1 > maxDepth {
		return fmt.Errorf("page %d: buckets nested deeper than %d", parent, maxDepth)
	}
	if pageHeaderSize+int(binary.LittleEndian.Uint16(inline[10:]))*elemSize > len(inline) {
		return fmt.Errorf("page %d: inline bucket elements do not fit", parent)
	}
	_, _, err := c.node(&page{id: parent, off: -1, size: len(inline), head: inline}, depth+1)
	return err
}

// fits reports whether an element at offset e whose key (and value)
// start pos bytes after it lies inside a page of n bytes.
func fits(e int, pos, ksize, vsize uint32, n int) bool {
	end := uint64(e) + uint64(pos) + uint64(ksize) + uint64(vsize)
	return end <= uint64(n)
}

// checkTop is the part of checkPages that Open can afford (a few page
// reads): the root bucket, which holds only sightline's five buckets,
// must be a single leaf, and the meta bucket's tree (a few pages: the
// sources and the package hash index) is checked whole, so that opening
// the buckets and reading the schema and status cannot loop.
func checkTop(f io.ReaderAt, pageSize int, txid uint64) error {
	c := &pageChecker{f: f, ps: pageSize}
	m, err := c.meta(txid)
	if err != nil {
		return err
	}
	c.hwm = m.hwm
	c.seen = make([]bool, m.hwm)
	c.seen[0], c.seen[1] = true, true
	pg, err := c.page(m.root, 0)
	if err != nil {
		return err
	}
	if binary.LittleEndian.Uint16(pg.head[8:]) != flagLeaf || pg.size > c.ps {
		return fmt.Errorf("root page %d is not a single leaf", m.root)
	}
	root, err := c.bytes(pg, 0, pg.size)
	if err != nil {
		return err
	}
	for i := range int(binary.LittleEndian.Uint16(root[10:])) {
		e := pageHeaderSize + i*elemSize
		pos := binary.LittleEndian.Uint32(root[e+4:])
		ksize, vsize := binary.LittleEndian.Uint32(root[e+8:]), binary.LittleEndian.Uint32(root[e+12:])
		if !fits(e, pos, ksize, vsize, len(root)) {
			return fmt.Errorf("root page %d: element %d outside the page", m.root, i)
		}
		if string(root[e+int(pos):][:ksize]) == string(bucketMeta) {
			return c.bucket(root[e+int(pos)+int(ksize):][:vsize], m.root, 0) // a few pages: the whole tree
		}
	}
	return nil
}
