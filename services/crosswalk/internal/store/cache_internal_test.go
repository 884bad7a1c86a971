package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	pstore "github.com/aim-platform/aim/platform/store"
)

// A reader whose transaction began before a write may cache what it read
// after the write dropped the entry. The revision keeps the next reader
// from using it, even when the write left the crosswalk's etag as it was
// (same count, same clock).
func TestLateReaderCannotCacheStaleMappings(t *testing.T) {
	st, err := Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "crosswalk.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		testHookBeforePut = nil
		_ = st.Close()
	})
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ts := timestamppb.New(now)
	c := &crosswalkv1.Crosswalk{Name: CrosswalkName("cw"), CreateTime: ts, UpdateTime: ts}
	c.Etag = pstore.ETag(c)
	if err := st.CreateCrosswalk("acme", "cw", c); err != nil {
		t.Fatal(err)
	}
	replace := func(source string) string {
		t.Helper()
		c, err := st.ReplaceMappings("acme", "cw", "", []*crosswalkv1.Mapping{{Name: "crosswalks/cw/mappings/" + source, Source: source, Target: "6.1"}}, now)
		if err != nil {
			t.Fatal(err)
		}
		return c.GetEtag()
	}
	read := func() []string {
		t.Helper()
		ms, err := st.Mappings("acme", "cw")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.GetSource())
		}
		return out
	}
	before := replace("4.1")
	var after string
	testHookBeforePut = func() {
		testHookBeforePut = nil
		after = replace("4.2") // commits and drops the entry before the reader caches
	}
	if got := read(); !slices.Equal(got, []string{"4.1"}) {
		t.Fatalf("the racing read = %q, want what its transaction saw, [4.1]", got)
	}
	if before != after {
		t.Logf("note: the etags differ (%s, %s); only the revision was meant to tell them apart", before, after)
	}
	if s := st.CacheStats(); s.Crosswalks != 1 {
		t.Fatalf("the late reader did not cache its read: %+v", s)
	}
	if got := read(); !slices.Equal(got, []string{"4.2"}) {
		t.Fatalf("after the write, read %q from the cache, want [4.2]", got)
	}
}

// Readers that miss on one crosswalk at once read the store once.
func TestConcurrentMissesShareOneRead(t *testing.T) {
	st, err := Open(pstore.DefaultConfig(filepath.Join(t.TempDir(), "crosswalk.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		testHookBeforePut = nil
		_ = st.Close()
	})
	ts := timestamppb.Now()
	c := &crosswalkv1.Crosswalk{Name: CrosswalkName("cw"), CreateTime: ts, UpdateTime: ts}
	c.Etag = pstore.ETag(c)
	if err := st.CreateCrosswalk("acme", "cw", c); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReplaceMappings("acme", "cw", "", []*crosswalkv1.Mapping{{Name: "crosswalks/cw/mappings/a", Source: "4.1", Target: "6.1"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	leading := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	testHookBeforePut = func() {
		once.Do(func() { close(leading) })
		<-release
	}
	const readers = 8
	results := make(chan error, readers)
	read := func() {
		ms, err := st.Mappings("acme", "cw")
		if err == nil && (len(ms) != 1 || ms[0].GetSource() != "4.1") {
			err = fmt.Errorf("read %v", ms)
		}
		results <- err
	}
	go read()
	<-leading
	for range readers - 1 {
		go read()
	}
	time.Sleep(100 * time.Millisecond) // the others reach the cache and wait
	close(release)
	for range readers {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	if s := st.CacheStats(); s.Loads != 1 || s.Crosswalks != 1 {
		t.Fatalf("%d concurrent first reads: %+v, want one load", readers, s)
	}
}
