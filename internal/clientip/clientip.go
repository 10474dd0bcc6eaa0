// Package clientip owns one decision: which address a request comes from. It is the
// TCP peer's address, unless that peer is a trusted proxy (-trusted-proxies); then it is
// the last hop of X-Forwarded-For that is not itself a trusted proxy. Taking the
// rightmost untrusted hop (not the leftmost) is what makes the header unforgeable: a
// client may prepend anything, but only the proxies we trust append.
//
// Throttles and per-IP limits key on this address, so a wrong answer either lets one
// client pose as many or lets one client lock out everyone behind the same proxy.
package clientip

import (
	"fmt"
	"net/netip"
	"strings"
)

// Resolver answers the client address of a request. The zero value trusts no proxy.
type Resolver struct {
	trusted []netip.Prefix
}

// Parse builds a Resolver from a comma list of CIDRs or bare addresses
// ("10.0.0.0/8, 127.0.0.1"); an empty list trusts nobody.
func Parse(list string) (*Resolver, error) {
	r := &Resolver{}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(item, "/") {
			p, err = netip.ParsePrefix(item)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(item)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want a CIDR (10.0.0.0/8) or an address", item)
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r, nil
}

// Trusts reports whether a is a trusted proxy.
func (r *Resolver) Trusts(a netip.Addr) bool {
	if r == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the client's address as a string, given the TCP peer and the
// request's X-Forwarded-For header values (in the order received; several headers
// count as one list). The result is a new string: it never aliases xff.
func (r *Resolver) ClientIP(peer netip.Addr, xff []string) string {
	return r.Client(peer, xff).String()
}

// Client is ClientIP as an address.
func (r *Resolver) Client(peer netip.Addr, xff []string) netip.Addr {
	peer = peer.Unmap()
	if !r.Trusts(peer) {
		return peer
	}
	// Walk the hops from the right: each trusted hop vouches for the one before it.
	for i := len(xff) - 1; i >= 0; i-- {
		hops := xff[i]
		for hops != "" {
			j := strings.LastIndexByte(hops, ',')
			hop := strings.TrimSpace(hops[j+1:])
			hops = hops[:max(j, 0)]
			if hop == "" {
				continue
			}
			a, ok := parseHop(hop)
			if !ok {
				// Garbage where an address should be: nothing to the left of it can be
				// trusted, and the last proxy that vouched is the best we know.
				return peer
			}
			if !r.Trusts(a) {
				return a
			}
			peer = a
		}
	}
	return peer
}

// parseHop reads one X-Forwarded-For element: an address, possibly with a port or in
// brackets ("[::1]:80", "1.2.3.4:5").
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
