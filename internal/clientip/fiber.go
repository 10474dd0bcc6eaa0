package clientip

import (
	"net"
	"net/netip"

	"github.com/gofiber/fiber/v2"
)

// Of returns the client address of a fiber request, as a string that outlives the
// handler (it is built here, not taken from fasthttp's buffers).
func (r *Resolver) Of(c *fiber.Ctx) string { return r.AddrOf(c).String() }

// AddrOf is Of as an address.
func (r *Resolver) AddrOf(c *fiber.Ctx) netip.Addr {
	var peer netip.Addr
	if ta, ok := c.Context().RemoteAddr().(*net.TCPAddr); ok {
		peer, _ = netip.AddrFromSlice(ta.IP)
	} else if ap, err := netip.ParseAddrPort(c.Context().RemoteAddr().String()); err == nil {
		peer = ap.Addr()
	}
	if !r.Trusts(peer) {
		return peer.Unmap()
	}
	var xff []string
	c.Request().Header.VisitAll(func(k, v []byte) {
		if string(k) == fiber.HeaderXForwardedFor {
			xff = append(xff, string(v))
		}
	})
	return r.Client(peer, xff)
}
