package server

import (
	"net"

	"golang.org/x/net/netutil"
)

// DefaultMaxConnections is the default cap on the open connections of one
// listener.
const DefaultMaxConnections = 1000

// LimitListener caps the connections lis keeps open at once at n (none when
// n <= 0): a connection above the cap waits in the kernel's accept queue,
// holding no descriptor of the process, until one closes. Every listener of
// a process is capped, so that many idle or slow clients cannot use up its
// file descriptors and shut out the probes and the other listeners.
func LimitListener(lis net.Listener, n int) net.Listener {
	if n <= 0 {
		return lis
	}
	return netutil.LimitListener(lis, n)
}
