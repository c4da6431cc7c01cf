package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

func loadRegion(ctx context.Context, account, region, dir string, man *layout.Manifest) (*Region, error) {
	r := &Region{Account: account, Name: region, Dir: dir, present: map[string]bool{}, keys: map[string]*keyIndex{}, empty: map[string]string{},
		damaged: map[string]string{}}
	if man != nil {
		for _, g := range man.Gaps {
			if (g.Account == "" || g.Account == account) && (g.Region == region || g.Region == "") {
				r.Gaps = append(r.Gaps, g)
			}
		}
		for _, n := range man.NotFound {
			if (n.Account == "" || n.Account == account) && (n.Region == region || n.Region == "") {
				r.notFound = append(r.notFound, n)
			}
		}
		r.CollectedAt = man.CollectedAt
	}
	l := &loader{r: r, dir: dir, sem: make(chan struct{}, runtime.GOMAXPROCS(0))}
	var after []func()
	for _, step := range regionSteps {
		if err := ctx.Err(); err != nil {
			l.wait()
			return nil, err
		}
		after = append(after, step(l))
	}
	if err := l.wait(); err != nil {
		return nil, err
	}
	for _, fn := range after {
		if fn != nil {
			fn()
		}
	}
	if r.CollectedAt.IsZero() {
		r.CollectedAt = l.newest
	}
	return r, nil
}

// keyed holds the raw outputs of a per-resource operation by file key.
type keyed struct {
	present bool
	byKey   map[string][][]byte
}

// loader reads the files of one region directory. The operations are
// independent, so each is a job run concurrently (at most GOMAXPROCS at a
// time): a job writes only its own fields of the Region, and what several
// jobs share (presence, keys, newest file time) is guarded by mu.
type loader struct {
	r   *Region
	dir string
	sem chan struct{}
	wg  sync.WaitGroup

	errs []*error // one per job, in submission order

	mu     sync.Mutex
	newest time.Time
}

// do runs job concurrently with the others.
func (l *loader) do(job func() error) {
	e := new(error)
	l.errs = append(l.errs, e)
	l.sem <- struct{}{}
	l.wg.Add(1)
	go func() {
		defer func() { <-l.sem; l.wg.Done() }()
		*e = job()
	}()
}

// wait returns the error of the first failed job in submission order, so
// that a bad snapshot always gets the same message.
func (l *loader) wait() error {
	l.wg.Wait()
	for _, e := range l.errs {
		if *e != nil {
			return *e
		}
	}
	return nil
}

func (l *loader) path(op string) string { return filepath.Join(l.dir, filepath.FromSlash(op)+".json") }

func (l *loader) seen(st fs.FileInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st.ModTime().After(l.newest) {
		l.newest = st.ModTime()
	}
}

func (l *loader) statSeen(p string) {
	if st, err := os.Stat(p); err == nil {
		l.seen(st)
	}
}

// soften turns the error of a data-service operation (softOps) into a
// record of the damage: the operation counts as not collected and
// Region.Missing names the fault. A damaged bucket policy must not stop
// the exposure analysis of the whole estate; the stores it describes are
// unknown instead (docs/datastores.md). Other operations keep failing the
// load (exit 2, naming the file).
func (l *loader) soften(op string, err error) error {
	if err == nil || !softOps[op] {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r.damaged[op] = err.Error()
	return nil
}

// list streams the list output <op>.json (whose list member is top) into
// *dst. An absent file leaves *dst alone and op not present.
func list[T any](l *loader, op, top string, dst *[]T) {
	l.do(func() error { return l.soften(op, listJob(l, op, top, dst)) })
}

func listJob[T any](l *loader, op, top string, dst *[]T) error {
	p := l.path(op)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		l.seen(st)
	}
	items, err := decodeList[T](f, top)
	if errors.Is(err, errEmptyFile) {
		l.markEmpty(op, p)
		return nil
	}
	if err != nil {
		return fmt.Errorf("parsing %s: %w", p, err)
	}
	*dst = items
	l.mark(op, nil)
	return nil
}

// decodeOutput unmarshals one CLI output and checks that it holds top.
func decodeOutput(b []byte, v any, top string) error {
	if err := unmarshal(b, v); err != nil {
		return err
	}
	if top == "" || isEmptyObject(b) {
		return nil // {} is an empty output (decodeList)
	}
	// Cheap shape check: the key must occur as a JSON object key.
	if !strings.Contains(string(b[:min(len(b), 4096)]), `"`+top+`"`) && !containsKey(b, top) {
		return fmt.Errorf("not the output of this operation: no %q field", top)
	}
	return nil
}

func isEmptyObject(b []byte) bool {
	var m map[string]jsontext.Value
	return len(b) < 64 && unmarshal(b, &m) == nil && m != nil && len(m) == 0
}

func containsKey(b []byte, top string) bool {
	var m map[string]jsontext.Value
	if unmarshal(b, &m) != nil {
		return false
	}
	_, ok := m[top]
	return ok
}

// perResource reads a per-resource operation in either form and returns the
// raw outputs by file key (keys.go): per-resource files by their name,
// keyed-object members by their argument.
func (l *loader) perResource(op, top string) (keyed, error) {
	k := keyed{byKey: map[string][][]byte{}}
	d := filepath.Join(l.dir, filepath.FromSlash(op))
	if ents, err := os.ReadDir(d); err == nil {
		k.present = true
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			p := filepath.Join(d, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				return k, fmt.Errorf("reading %s: %w", p, err)
			}
			l.statSeen(p)
			if len(bytes.TrimSpace(b)) == 0 {
				l.markEmpty(op, p)
				continue
			}
			if !jsontext.Value(b).IsValid(decodeOpts) {
				return k, fmt.Errorf("parsing %s: not valid JSON", p)
			}
			id := fileKey(strings.TrimSuffix(e.Name(), ".json"))
			k.byKey[id] = append(k.byKey[id], b)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return k, fmt.Errorf("reading %s: %w", d, err)
	}
	p := l.path(op)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return k, fmt.Errorf("reading %s: %w", p, err)
	}
	l.statSeen(p)
	if len(bytes.TrimSpace(b)) == 0 {
		l.markEmpty(op, p)
		return k, nil
	}
	k.present = true
	var m map[string]jsontext.Value
	if err := unmarshal(b, &m); err != nil {
		return k, fmt.Errorf("parsing %s: %w", p, err)
	}
	if _, single := m[top]; single {
		k.byKey[""] = append(k.byKey[""], b)
	} else {
		for key, v := range m {
			id := argKey(key)
			k.byKey[id] = append(k.byKey[id], v)
		}
	}
	return k, nil
}

// markEmpty records an empty file of op: not collected (Region.Missing
// says so).
func (l *loader) markEmpty(op, path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.r.empty[op]; !ok {
		l.r.empty[op] = path
	}
}

// mark records op as collected, with the keys of a per-resource operation
// (k may be nil for a list operation) plus extra keys implied by the data.
func (l *loader) mark(op string, k *keyed, extra ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k == nil {
		l.r.present[op] = true
		return
	}
	if !k.present {
		return
	}
	l.r.present[op] = true
	x := newKeyIndex()
	for id := range k.byKey {
		x.add(id)
	}
	for _, id := range extra {
		x.add(id)
	}
	l.r.keys[op] = x
}

// keyedOp reads a per-resource operation as one job: every output is
// decoded into T and passed to fn (file-safe id, "" for an unkeyed single
// output); done, if set, returns extra keys implied by the data.
func keyedOp[T any](l *loader, op, top string, fn func(id string, v *T) error, done func() []string) {
	l.do(func() error { return l.soften(op, keyedJob(l, op, top, fn, done)) })
}

func keyedJob[T any](l *loader, op, top string, fn func(id string, v *T) error, done func() []string) error {
	k, err := l.perResource(op, top)
	if err != nil {
		return err
	}
	if err := eachOutput(l, op, top, k, fn); err != nil {
		return err
	}
	var extra []string
	if done != nil && k.present {
		extra = done()
	}
	l.mark(op, &k, extra...)
	return nil
}

// eachOutput decodes every output of a keyed operation; fn receives the
// file-safe id ("" for an unkeyed single output) and the decoded value.
func eachOutput[T any](l *loader, op, top string, k keyed, fn func(id string, v *T) error) error {
	ids := make([]string, 0, len(k.byKey))
	for id := range k.byKey {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, raw := range k.byKey[id] {
			var v T
			if err := decodeOutput(raw, &v, top); err != nil {
				return fmt.Errorf("parsing %s (resource %q): %w", filepath.Join(l.dir, filepath.FromSlash(op)), id, err)
			}
			if err := fn(id, &v); err != nil {
				return err
			}
		}
	}
	return nil
}

func needKey(l *loader, op, id string) error {
	if id == "" {
		return fmt.Errorf("%s: holds one output without its argument; store it as %s/<id>.json or as an object keyed by the argument (docs/aws-snapshot.md)",
			l.path(op), filepath.Join(l.dir, filepath.FromSlash(op)))
	}
	return nil
}
