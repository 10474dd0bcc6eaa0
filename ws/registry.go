package ws

import (
	"crypto/rand"
	"encoding/base64"
	"hash/maphash"
	"sync"
)

// registry maps engine sids to sessions. Sharded so that handshakes, lookups
// from polling requests and the heartbeat's sweep do not contend on one lock.
type registry struct {
	seed   maphash.Seed
	shards [64]registryShard
}

type registryShard struct {
	mu sync.RWMutex
	m  map[string]*session
}

func newRegistry() *registry {
	r := &registry{seed: maphash.MakeSeed()}
	for i := range r.shards {
		r.shards[i].m = make(map[string]*session)
	}
	return r
}

func (r *registry) shard(sid []byte) *registryShard {
	return &r.shards[maphash.Bytes(r.seed, sid)%uint64(len(r.shards))]
}

func (r *registry) shardString(sid string) *registryShard {
	return &r.shards[maphash.String(r.seed, sid)%uint64(len(r.shards))]
}

func (r *registry) add(s *session) {
	sh := r.shardString(s.sid)
	sh.mu.Lock()
	sh.m[s.sid] = s
	sh.mu.Unlock()
}

// get looks a sid up without allocating (the []byte comes from fasthttp).
func (r *registry) get(sid []byte) *session {
	sh := r.shard(sid)
	sh.mu.RLock()
	s := sh.m[string(sid)]
	sh.mu.RUnlock()
	return s
}

func (r *registry) remove(s *session) {
	sh := r.shardString(s.sid)
	sh.mu.Lock()
	if sh.m[s.sid] == s {
		delete(sh.m, s.sid)
	}
	sh.mu.Unlock()
}

// each calls fn for every session, one shard's snapshot at a time, without
// holding a shard lock while fn runs. buf is reused between calls.
func (r *registry) each(buf []*session, fn func(*session)) []*session {
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.RLock()
		buf = buf[:0]
		for _, s := range sh.m {
			buf = append(buf, s)
		}
		sh.mu.RUnlock()
		for _, s := range buf {
			fn(s)
		}
	}
	clear(buf)
	return buf[:0]
}

// newID returns 120 random bits as 20 URL-safe characters, like the
// reference's base64id: used for engine sids and Socket.IO socket ids.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
