package ws

import (
	"crypto/tls"
	"net"
)

// innerConn unwraps connections that wrap another one without changing its
// bytes — internal/connlimit's Conn exposes the accepted connection through
// NetConn — so that descriptor-level I/O (RawConn reads and writes, writev)
// reaches the socket itself. Closing must still go through the connection as
// it was accepted: the wrapper counts its Close. A *tls.Conn is never
// unwrapped (its NetConn carries ciphertext).
func innerConn(c net.Conn) net.Conn {
	for range 8 { // wrappers do not nest deeper than this; stop rather than loop
		if _, ok := c.(*tls.Conn); ok {
			return c
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return c
		}
		n := u.NetConn()
		if n == nil || n == c {
			return c
		}
		c = n
	}
	return c
}
