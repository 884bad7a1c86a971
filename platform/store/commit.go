package store

import (
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aim-platform/aim/platform/errs"
)

// committer is the group commit behind DB.Batch. bbolt's own Batch waits
// up to MaxBatchDelay for company before it commits, so a lone writer
// always pays the whole delay, and writers whose requests arrive spread
// out (each spends a few hundred microseconds in the RPC stack first) land
// in separate windows. The committer instead commits at once when no
// commit is running and gathers everything that arrives while one is
// running (its fsync is the window) into the next. A lone writer pays one
// commit; many writers share fsyncs in proportion to how many are waiting.
// See docs/adr/0004-group-commit.md.
//
// The semantics are bbolt's: the calls of a group run in one transaction in
// arrival order; when one fails, the transaction is rolled back, that call
// runs again alone in its own transaction (so it gets its own error, or
// succeeds if the failure came from a call before it), and the rest run
// again as a group. So fn may run more than once.
type committer struct {
	db  *bbolt.DB
	max int // the most calls in one group; <= 1 commits each call alone

	mu      sync.Mutex
	queue   []*pendingWrite
	arrived chan struct{}  // buffered 1: a call queued (for linger)
	active  bool           // a goroutine is running groups
	idle    sync.WaitGroup // Close waits for it

	// ends are the calls registered with DB.AtEnd by the group running in
	// each open transaction.
	endMu sync.Mutex
	ends  map[*bbolt.Tx]*atEnd
}

// atEnd holds a transaction's end calls by key, in first-registration
// order.
type atEnd struct {
	keys []string
	fns  map[string]func(*bbolt.Tx) error
}

// maxLinger bounds how long a group waits for the writers of the last one.
// It is well under one fsync of a real disk, and a tenth of the window
// bbolt's Batch always waits.
const maxLinger = time.Millisecond

type pendingWrite struct {
	fn   func(*bbolt.Tx) error
	done chan error // buffered; receives the call's outcome once
}

func newCommitter(db *bbolt.DB, maxBatch int) *committer {
	return &committer{db: db, max: maxBatch, arrived: make(chan struct{}, 1)}
}

// do queues fn and waits for the commit of the group it joins.
func (c *committer) do(fn func(*bbolt.Tx) error) error {
	if c.max <= 1 {
		return c.alone(fn)
	}
	w := &pendingWrite{fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, w)
	select {
	case c.arrived <- struct{}{}:
	default:
	}
	if !c.active {
		c.active = true
		c.idle.Add(1)
		go c.run()
	}
	c.mu.Unlock()
	return <-w.done
}

// run commits groups until the queue is empty.
//
// Under steady load, writers come back spread out after each commit (each
// crosses the RPC stack again), and committing whatever is queued at once
// would split them into many small groups, each paying a commit. So after
// a group of n calls, the next one waits up to maxLinger for n calls to
// queue, the number the last commit had waiting. A lone writer (n = 1)
// never waits, and when the load drops, the wait ends at maxLinger and the
// smaller group that is there sets the next expectation.
func (c *committer) run() {
	defer c.idle.Done()
	last := 0
	for {
		c.mu.Lock()
		if want := min(last, c.max); len(c.queue) < want {
			c.linger(want)
		}
		n := min(len(c.queue), c.max)
		if n == 0 {
			c.active = false
			c.queue = nil // let a burst's backing array go
			c.mu.Unlock()
			return
		}
		group := make([]*pendingWrite, n)
		copy(group, c.queue)
		c.queue = c.queue[n:]
		c.mu.Unlock()
		c.commit(group)
		last = n
	}
}

// linger waits, with c.mu held on entry and on return, until want calls
// are queued or maxLinger has passed.
func (c *committer) linger(want int) {
	timer := time.NewTimer(maxLinger)
	defer timer.Stop()
	for len(c.queue) < want {
		c.mu.Unlock()
		select {
		case <-c.arrived:
		case <-timer.C:
			c.mu.Lock()
			return
		}
		c.mu.Lock()
	}
}

// commit runs group in one transaction, taking out and running alone each
// call that fails, until the rest commit together.
func (c *committer) commit(group []*pendingWrite) {
	for len(group) > 0 {
		failed := -1
		err := c.update(func(tx *bbolt.Tx) error {
			for i, w := range group {
				if err := safely(w.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 || len(group) == 1 {
			// Committed, or the commit itself failed (disk full, closed
			// database): every call of the group gets that outcome.
			for _, w := range group {
				w.done <- err
			}
			return
		}
		failing := group[failed]
		failing.done <- c.alone(failing.fn)
		group = append(group[:failed:failed], group[failed+1:]...)
	}
}

// alone runs fn in a transaction of its own.
func (c *committer) alone(fn func(*bbolt.Tx) error) error {
	return c.update(func(tx *bbolt.Tx) error { return safely(fn, tx) })
}

// update runs the calls of a group in one write transaction, then the end
// calls they registered (DB.AtEnd); a failing end call fails the commit.
func (c *committer) update(calls func(*bbolt.Tx) error) error {
	return c.db.Update(func(tx *bbolt.Tx) error {
		ends := &atEnd{fns: map[string]func(*bbolt.Tx) error{}}
		c.endMu.Lock()
		if c.ends == nil {
			c.ends = map[*bbolt.Tx]*atEnd{}
		}
		c.ends[tx] = ends
		c.endMu.Unlock()
		defer func() {
			c.endMu.Lock()
			delete(c.ends, tx)
			c.endMu.Unlock()
		}()
		if err := calls(tx); err != nil {
			return err
		}
		for _, k := range ends.keys {
			if err := safely(ends.fns[k], tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// AtEnd registers fn to run once at the end of the Batch transaction tx,
// after every call of its group ran and before it commits. A later
// registration under the same key replaces an earlier one, so that a group
// of many writes to one thing does the end work (a signature, say) once.
// When a call of the group fails, the transaction is rolled back with what
// was registered, and the calls that run again register again. An error
// from fn fails the commit for the whole group. Outside a Batch transaction
// fn runs at once.
func (db *DB) AtEnd(tx *bbolt.Tx, key string, fn func(*bbolt.Tx) error) error {
	c := db.writes
	c.endMu.Lock()
	ends := c.ends[tx]
	if ends != nil {
		if _, dup := ends.fns[key]; !dup {
			ends.keys = append(ends.keys, key)
		}
		ends.fns[key] = fn
	}
	c.endMu.Unlock()
	if ends == nil {
		return fn(tx)
	}
	return nil
}

// safely runs fn, turning a panic into an error: fn runs on the
// committer's goroutine, where a panic would stop the process instead of
// reaching the RPC's recovery interceptor.
func safely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errs.Wrap(fmt.Errorf("panic: %v\n%s", p, debug.Stack()), "store: write transaction")
		}
	}()
	return fn(tx)
}
