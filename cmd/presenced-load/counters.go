package main

import (
	"sort"
	"sync"
	"sync/atomic"
)

// counters are the run's totals, shared by every connection goroutine.
type counters struct {
	connected     atomic.Int64 // sockets whose CONNECT was accepted
	open          atomic.Int64 // sockets open now
	connectErrors atomic.Uint64
	refused       atomic.Uint64 // CONNECT_ERROR
	loginErrors   atomic.Uint64
	pings         atomic.Uint64 // server-action:ping received
	pongs         atomic.Uint64 // pongs answering a ping
	hammer        atomic.Uint64 // unsolicited pongs
	enginePings   atomic.Uint64
	updates       atomic.Uint64
	rateLimited   atomic.Uint64
	loggedOut     atomic.Uint64
	closed        atomic.Uint64 // sockets the server closed (not we)
	writeErrors   atomic.Uint64
	protoErrors   atomic.Uint64 // frames the codec refused

	// acks of answers (-ack-pongs)
	answersOK      atomic.Uint64
	answersLimited atomic.Uint64 // an answer to the server's own ping was rate-limited
	answersRefused atomic.Uint64

	mu          sync.Mutex
	serverCodes map[string]uint64 // server-action:error codes other than rate_limited
	firsts      map[string]string // by error kind ("connect", "connect_refused", "login"): the first one's text
}

// noteFirst keeps msg as the first error of its kind: a failed run gives it
// as its reason.
func (c *counters) noteFirst(kind, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.firsts == nil {
		c.firsts = map[string]string{}
	}
	if _, ok := c.firsts[kind]; !ok {
		c.firsts[kind] = msg
	}
}

// first is the first error of its kind ("" if none).
func (c *counters) first(kind string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.firsts[kind]
}

func (c *counters) serverError(code string) {
	if code == "rate_limited" {
		c.rateLimited.Add(1)
		return
	}
	c.mu.Lock()
	if c.serverCodes == nil {
		c.serverCodes = map[string]uint64{}
	}
	c.serverCodes[code]++
	c.mu.Unlock()
}

// snapshot is a copy of the counters at one instant, for window deltas.
type snapshot struct {
	pings, pongs, hammer, updates, rateLimited, closed, writeErrors uint64
	answersOK, answersLimited, enginePings                          uint64
}

func (c *counters) snap() snapshot {
	return snapshot{
		pings: c.pings.Load(), pongs: c.pongs.Load(), hammer: c.hammer.Load(), updates: c.updates.Load(),
		rateLimited: c.rateLimited.Load(), closed: c.closed.Load(), writeErrors: c.writeErrors.Load(),
		answersOK: c.answersOK.Load(), answersLimited: c.answersLimited.Load(), enginePings: c.enginePings.Load(),
	}
}

// errorReport is every kind of failure a run saw, by name.
func (c *counters) errorReport() map[string]uint64 {
	out := map[string]uint64{
		"connect":          c.connectErrors.Load(),
		"connect_refused":  c.refused.Load(),
		"login":            c.loginErrors.Load(),
		"rate_limited":     c.rateLimited.Load(),
		"closed_by_server": c.closed.Load(),
		"write":            c.writeErrors.Load(),
		"protocol":         c.protoErrors.Load(),
		"logged_out":       c.loggedOut.Load(),
	}
	c.mu.Lock()
	codes := make([]string, 0, len(c.serverCodes))
	for k := range c.serverCodes {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	for _, k := range codes {
		out["server_error_"+k] = c.serverCodes[k]
	}
	c.mu.Unlock()
	return out
}

func totalErrors(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// connectFailed counts a socket that could not open or bind (not a refused
// CONNECT) and keeps the first reason.
func (c *counters) connectFailed(err error) {
	c.connectErrors.Add(1)
	c.noteFirst("connect", err.Error())
}
