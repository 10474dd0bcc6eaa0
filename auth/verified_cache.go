package auth

import "sync"

// verifiedCacheSize bounds the tokens remembered as verified (a few MiB at most).
const verifiedCacheSize = 16384

// verifiedCache remembers the claims of tokens whose signature was checked, keyed by
// the whole token string. When full it forgets an arbitrary half (Go's map order): a
// forgotten token is simply verified again.
type verifiedCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]Claims
}

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{max: max, m: make(map[string]Claims)}
}

func (c *verifiedCache) get(token string) (Claims, bool) {
	c.mu.RLock()
	cl, ok := c.m[token]
	c.mu.RUnlock()
	return cl, ok
}

func (c *verifiedCache) put(token string, cl Claims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		n := 0
		for k := range c.m {
			if n >= c.max/2 {
				break
			}
			delete(c.m, k)
			n++
		}
	}
	c.m[token] = cl
}
