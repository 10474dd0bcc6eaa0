// Package boundedmap owns one thing: a concurrency-safe map with a size bound,
// for caches whose misses are cheap to refill (verified tokens, users read by
// id). When full it forgets an arbitrary half (Go's map order) rather than
// keeping recency: a forgotten entry is simply computed again.
package boundedmap

import "sync"

// Map is safe for concurrent use; reads take a shared lock.
type Map[K comparable, V any] struct {
	mu  sync.RWMutex
	max int
	m   map[K]V
}

// New returns an empty Map holding at most limit entries (at least 2).
func New[K comparable, V any](limit int) *Map[K, V] {
	return &Map[K, V]{max: max(limit, 2), m: make(map[K]V)}
}

// Get returns the value stored under k.
func (c *Map[K, V]) Get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

// Put stores v under k, first forgetting half of the entries when full.
func (c *Map[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			if len(c.m) < c.max/2 {
				break
			}
		}
	}
	c.m[k] = v
}

// Delete forgets ks.
func (c *Map[K, V]) Delete(ks ...K) {
	c.mu.Lock()
	for _, k := range ks {
		delete(c.m, k)
	}
	c.mu.Unlock()
}

// Clear forgets everything.
func (c *Map[K, V]) Clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// Len is the number of entries.
func (c *Map[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
