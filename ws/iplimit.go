package ws

import "sync"

// ipLimit is Config.MaxConnsPerIP: the Engine.IO sessions one client address
// may have open on this Server. A nil *ipLimit is no limit.
//
// A polling handshake beyond the limit is answered 429. A websocket beyond it
// is upgraded and refused at its Socket.IO CONNECT with CONNECT_ERROR
// too_many_connections (socket.io-client does not retry that by itself, where
// it would retry a failed upgrade forever); such sessions waiting for their
// CONNECT are counted apart, and at most wsRefusingMax of them per address
// exist at once — beyond that the upgrade itself is answered 429, so a client
// that does not speak Socket.IO cannot hold more than a few extra sessions.
type ipLimit struct {
	max int
	mu  sync.Mutex
	m   map[string]*ipCount
}

type ipCount struct{ live, refusing int }

// ipSlot is what a session holds of its address's count.
type ipSlot uint8

const (
	ipNone     ipSlot = iota // not counted: no limit, or not admitted
	ipLive                   // one of the address's MaxConnsPerIP sessions
	ipRefusing               // over the limit, refused at its CONNECT
)

const wsRefusingMax = 8

func newIPLimit(max int) *ipLimit {
	if max <= 0 {
		return nil
	}
	return &ipLimit{max: max, m: make(map[string]*ipCount)}
}

// full reports whether a new session of this transport from ip would get no
// place at all (the HTTP 429).
func (l *ipLimit) full(ip string, websocket bool) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.m[ip]
	return c != nil && c.live >= l.max && (!websocket || c.refusing >= wsRefusingMax)
}

// acquire takes a place for a new session from ip: ipLive within the limit;
// beyond it ipRefusing for a websocket (while there are fewer than
// wsRefusingMax), else ipNone (refuse the session). With no limit: ipNone,
// and nothing to release.
func (l *ipLimit) acquire(ip string, websocket bool) (slot ipSlot, ok bool) {
	if l == nil {
		return ipNone, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.m[ip]
	if c == nil {
		c = &ipCount{}
		l.m[ip] = c
	}
	switch {
	case c.live < l.max:
		c.live++
		return ipLive, true
	case websocket && c.refusing < wsRefusingMax:
		c.refusing++
		return ipRefusing, true
	}
	return ipNone, false
}

// release gives a session's place back.
func (l *ipLimit) release(ip string, slot ipSlot) {
	if l == nil || slot == ipNone {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.m[ip]
	if c == nil {
		return
	}
	if slot == ipLive {
		c.live--
	} else {
		c.refusing--
	}
	if c.live <= 0 && c.refusing <= 0 {
		delete(l.m, ip)
	}
}

// count is the address's live sessions (tests).
func (l *ipLimit) count(ip string) int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.m[ip]; c != nil {
		return c.live
	}
	return 0
}
