package exposure

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// chunk is how many items a worker takes at a time: large enough that
// handing out work costs nothing, small enough to balance the workers.
const chunk = 64

// parallel calls fn(i) for every i in [0, n) on GOMAXPROCS workers and
// returns ctx's error if it is cancelled (checked between chunks). fn
// must only write to state owned by index i or guarded by a lock.
func parallel(ctx context.Context, n int, fn func(i int)) error {
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
