package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func openCommitTest(t *testing.T, maxBatch int) *DB {
	t.Helper()
	cfg := DefaultConfig(filepath.Join(t.TempDir(), "c.db"))
	cfg.MaxBatchSize = maxBatch
	db, err := Open(cfg, Schema{Name: "commit", Migrations: []Migration{{Version: 1, Name: "items", Apply: func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte("items"))
		return err
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// groupCall is one Batch call of a test: it puts key (when key is set)
// and then returns err or panics.
type groupCall struct {
	key   string
	err   error
	panic bool
}

func (c groupCall) fn(ids *sync.Map) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		if c.key != "" {
			if err := tx.Bucket([]byte("items")).Put([]byte(c.key), []byte("v")); err != nil {
				return err
			}
			ids.Store(c.key, tx.ID())
		}
		if c.panic {
			panic("sample panic in a write")
		}
		return c.err
	}
}

// runGroup makes calls one group deterministically: a first call holds the
// committer in its transaction until every other call has queued, so they
// all go into the next group, in order. It returns each call's error and
// the transaction id each committed key was last written in.
func runGroup(t *testing.T, db *DB, calls []groupCall) ([]error, map[string]int) {
	t.Helper()
	release, holding := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = db.Batch(func(*bbolt.Tx) error {
			select {
			case <-holding:
			default:
				close(holding)
			}
			<-release
			return nil
		})
	}()
	<-holding
	var ids sync.Map
	got := make([]error, len(calls))
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = db.Batch(c.fn(&ids))
		}()
		waitQueued(t, db, i+1)
	}
	close(release)
	wg.Wait()
	committed := map[string]int{}
	_ = db.View(func(tx *bbolt.Tx) error {
		for _, c := range calls {
			if c.key != "" && tx.Bucket([]byte("items")).Get([]byte(c.key)) != nil {
				id, _ := ids.Load(c.key)
				committed[c.key] = id.(int)
			}
		}
		return nil
	})
	return got, committed
}

func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Microsecond) {
		db.writes.mu.Lock()
		q := len(db.writes.queue)
		db.writes.mu.Unlock()
		if q >= n {
			return
		}
	}
	t.Fatalf("%d calls never queued", n)
}

func TestGroupCommit(t *testing.T) {
	refused := errors.New("sample refusal")
	tests := []struct {
		name     string
		maxBatch int
		calls    []groupCall
		wantErr  []string // "" ok, "refused", "panic"
		groups   int      // distinct transactions the committed keys were written in
	}{
		{"calls queued behind a commit share the next one", 1000,
			[]groupCall{{key: "a"}, {key: "b"}, {key: "c"}, {key: "d"}},
			[]string{"", "", "", ""}, 1},
		{"a failing call gets its error and the others still commit", 1000,
			[]groupCall{{key: "a"}, {key: "b", err: refused}, {key: "c"}},
			[]string{"", "refused", ""}, 1},
		{"failures at both ends", 1000,
			[]groupCall{{key: "a", err: refused}, {key: "b"}, {key: "c"}, {key: "d", err: refused}},
			[]string{"refused", "", "", "refused"}, 1},
		{"a panic is an error for its caller only", 1000,
			[]groupCall{{key: "a"}, {key: "b", panic: true}, {key: "c"}},
			[]string{"", "panic", ""}, 1},
		{"groups are at most MaxBatchSize", 2,
			[]groupCall{{key: "a"}, {key: "b"}, {key: "c"}, {key: "d"}, {key: "e"}},
			[]string{"", "", "", "", ""}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openCommitTest(t, tt.maxBatch)
			got, committed := runGroup(t, db, tt.calls)
			txs := map[int]bool{}
			for i, c := range tt.calls {
				switch want := tt.wantErr[i]; {
				case want == "" && got[i] != nil:
					t.Errorf("call %d: %v, want success", i, got[i])
				case want == "refused" && !errors.Is(got[i], refused):
					t.Errorf("call %d: %v, want the refusal", i, got[i])
				case want == "panic" && (got[i] == nil || !containsPanic(got[i])):
					t.Errorf("call %d: %v, want the panic as an error", i, got[i])
				}
				if _, ok := committed[c.key]; ok != (tt.wantErr[i] == "") {
					t.Errorf("call %d: key %q committed = %v, want %v", i, c.key, ok, tt.wantErr[i] == "")
				}
				if id, ok := committed[c.key]; ok {
					txs[id] = true
				}
			}
			if len(txs) != tt.groups {
				t.Errorf("committed keys were written in %d transactions, want %d", len(txs), tt.groups)
			}
		})
	}
}

func containsPanic(err error) bool {
	return strings.Contains(fmt.Sprint(errors.Unwrap(err)), "panic: sample panic in a write")
}

// TestBatchAlone checks a lone writer commits at once (no waiting for
// company) and that MaxBatchSize 0 writes each call in its own transaction.
func TestBatchAlone(t *testing.T) {
	for _, maxBatch := range []int{0, 1000} {
		db := openCommitTest(t, maxBatch)
		var ids []int
		for i := range 3 {
			if err := db.Batch(func(tx *bbolt.Tx) error {
				ids = append(ids, tx.ID())
				return tx.Bucket([]byte("items")).Put(fmt.Appendf(nil, "k%d", i), []byte("v"))
			}); err != nil {
				t.Fatal(err)
			}
		}
		if ids[0] == ids[1] || ids[1] == ids[2] {
			t.Errorf("max %d: sequential calls shared a transaction: %v", maxBatch, ids)
		}
	}
}

// TestBatchAfterClose checks a write after Close fails cleanly and leaves
// no goroutine behind (TestMain checks for leaks).
func TestBatchAfterClose(t *testing.T) {
	db := openCommitTest(t, 1000)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Batch(func(*bbolt.Tx) error { return nil }); !errors.Is(err, bbolt.ErrDatabaseNotOpen) {
		t.Fatalf("Batch after Close: %v, want %v", err, bbolt.ErrDatabaseNotOpen)
	}
}

// TestAtEnd: end calls registered under one key by the calls of a group
// run once, last registration wins, before the commit; a failing call's
// rollback drops what its attempt registered; outside a group the call
// runs at once; a failing end call fails the whole group.
func TestAtEnd(t *testing.T) {
	refused := errors.New("sample refusal")
	for _, tt := range []struct {
		name    string
		fail    int // index of a call that fails after registering, -1 none
		endErr  bool
		wantEnd string
		runs    int32
	}{
		{"three calls, one end", -1, false, "2", 1},
		{"a failing call in the middle", 1, false, "2", 1},
		{"a failing end call", -1, true, "", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := openCommitTest(t, 10)
			release, holding := make(chan struct{}), make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = db.Batch(func(*bbolt.Tx) error {
					select {
					case <-holding:
					default:
						close(holding)
					}
					<-release
					return nil
				})
			}()
			<-holding
			var runs atomic.Int32
			errs := make([]error, 3)
			for i := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = db.Batch(func(tx *bbolt.Tx) error {
						err := db.AtEnd(tx, "k", func(tx *bbolt.Tx) error {
							runs.Add(1)
							if tt.endErr {
								return refused
							}
							return tx.Bucket([]byte("items")).Put([]byte("end"), []byte(fmt.Sprint(i)))
						})
						if err != nil {
							return err
						}
						if i == tt.fail {
							return refused
						}
						return nil
					})
				}()
				waitQueued(t, db, i+1)
			}
			close(release)
			wg.Wait()
			for i, err := range errs {
				want := tt.endErr || i == tt.fail
				if (err != nil) != want {
					t.Errorf("call %d: %v", i, err)
				}
			}
			got := ""
			_ = db.View(func(tx *bbolt.Tx) error {
				got = string(tx.Bucket([]byte("items")).Get([]byte("end")))
				return nil
			})
			if got != tt.wantEnd || runs.Load() != tt.runs {
				t.Fatalf("end = %q after %d runs, want %q after %d", got, runs.Load(), tt.wantEnd, tt.runs)
			}
		})
	}
	t.Run("outside a group", func(t *testing.T) {
		db := openCommitTest(t, 10)
		ran := false
		err := db.Update(func(tx *bbolt.Tx) error {
			if err := db.AtEnd(tx, "k", func(*bbolt.Tx) error { ran = true; return nil }); err != nil {
				return err
			}
			if !ran {
				t.Error("AtEnd outside a group did not run at once")
			}
			return nil
		})
		if err != nil || !ran {
			t.Fatalf("%v %v", err, ran)
		}
	})
}
