package auth

import (
	"sync"
	"time"
)

// revocations is the in-memory set of revoked token ids. Reads (every authenticated
// request, every socket bind) vastly outnumber writes (logouts), hence the RWMutex.
type revocations struct {
	mu  sync.RWMutex
	exp map[string]time.Time
}

func newRevocations() *revocations { return &revocations{exp: make(map[string]time.Time)} }

func (r *revocations) add(jti string, exp time.Time) {
	r.mu.Lock()
	r.exp[jti] = exp
	r.mu.Unlock()
}

func (r *revocations) has(jti string) bool {
	r.mu.RLock()
	_, ok := r.exp[jti]
	r.mu.RUnlock()
	return ok
}

func (r *revocations) purge(now time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for jti, exp := range r.exp {
		if exp.Before(now) {
			delete(r.exp, jti)
			n++
		}
	}
	return n
}
