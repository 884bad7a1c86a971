// Package storetest opens throwaway stores for tests: a fresh data file in
// the test's temporary directory, closed when the test ends.
package storetest
