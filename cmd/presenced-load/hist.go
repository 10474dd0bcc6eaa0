package main

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram records durations in microseconds in log-linear buckets: exact
// below 1,024 µs, then 64 buckets per power of two (under 1.6 % error), up to
// about 73 minutes. Record is lock-free, so every connection's goroutine
// records into one histogram.
type histogram struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64
	total  atomic.Uint64
}

const (
	histSubBits = 6 // 64 sub-buckets per power of two
	histExact   = 1 << (histSubBits + 4)
	histBuckets = histExact + (32-histSubBits-4)*(1<<histSubBits)
)

func bucketOf(us int64) int {
	if us < 0 {
		us = 0
	}
	if us < histExact {
		return int(us)
	}
	exp := bits.Len64(uint64(us)) - 1 // ≥ histSubBits+4
	shift := exp - histSubBits
	b := histExact + (exp-histSubBits-4)*(1<<histSubBits) + int(uint64(us)>>shift) - (1 << histSubBits)
	if b >= histBuckets {
		return histBuckets - 1
	}
	return b
}

// bucketUpper is the largest value that falls in bucket b.
func bucketUpper(b int) int64 {
	if b < histExact {
		return int64(b)
	}
	b -= histExact
	exp := b>>histSubBits + histSubBits + 4
	sub := int64(b&(1<<histSubBits-1)) + 1<<histSubBits
	shift := exp - histSubBits
	return (sub+1)<<shift - 1
}

func (h *histogram) Record(d time.Duration) { h.RecordMicros(d.Microseconds()) }

func (h *histogram) RecordMicros(us int64) {
	h.counts[bucketOf(us)].Add(1)
	h.total.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// Reset empties the histogram (not atomic with concurrent Records: call it
// when a measurement window opens, losing at most a few samples).
func (h *histogram) Reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.max.Store(0)
	h.total.Store(0)
}

// latencySummary is a histogram's report, in milliseconds.
type latencySummary struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Summary reports the percentiles; each is the upper bound of the bucket that
// holds it (never optimistic), capped at the maximum seen.
func (h *histogram) Summary() latencySummary {
	var counts [histBuckets]uint64
	var n uint64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		n += counts[i]
	}
	s := latencySummary{Count: n}
	if n == 0 {
		return s
	}
	maxUS := h.max.Load()
	q := func(p float64) float64 {
		rank := uint64(math.Ceil(p * float64(n)))
		if rank == 0 {
			rank = 1
		}
		var seen uint64
		for b, c := range counts {
			seen += c
			if seen >= rank {
				return float64(min(bucketUpper(b), maxUS)) / 1000
			}
		}
		return float64(maxUS) / 1000
	}
	s.P50, s.P90, s.P99 = q(0.50), q(0.90), q(0.99)
	s.Max = float64(maxUS) / 1000
	return s
}
