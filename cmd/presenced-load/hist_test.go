package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	prev := -1
	for _, us := range []int64{0, 1, 1023, 1024, 1025, 2047, 2048, 5_000, 99_999, 1 << 30, 1 << 40} {
		b := bucketOf(us)
		if b < prev {
			t.Fatalf("bucketOf(%d) = %d, below the previous %d", us, b, prev)
		}
		prev = b
		if up := bucketUpper(b); up < us && b != histBuckets-1 {
			t.Errorf("bucketUpper(bucketOf(%d)) = %d < value", us, up)
		}
		if up := bucketUpper(b); b != histBuckets-1 && float64(up-us) > 0.016*float64(us)+1 {
			t.Errorf("bucket of %d reaches %d: error above 1.6%%", us, up)
		}
	}
	for b := 1; b < histBuckets-1; b++ {
		if bucketOf(bucketUpper(b)) != b || bucketOf(bucketUpper(b-1)+1) != b {
			t.Fatalf("bucket %d is not [upper(b-1)+1, upper(b)]", b)
		}
	}
}

func TestHistogramPercentiles(t *testing.T) {
	tests := []struct {
		name   string
		values []int64 // µs
		p50    float64
		p99    float64
		max    float64
	}{
		{"empty", nil, 0, 0, 0},
		{"one", []int64{1500}, 1.5, 1.5, 1.5},
		{"exact range", seq(1, 1000), 0.5, 0.99, 1.0},
		{"ms range", scale(seq(1, 100), 1000), 50, 99, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			vals := slices.Clone(tt.values)
			rand.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
			for _, v := range vals {
				h.RecordMicros(v)
			}
			s := h.Summary()
			if s.Count != uint64(len(vals)) {
				t.Fatalf("count %d", s.Count)
			}
			near := func(got, want float64) bool { return got >= want && got <= want*1.016+0.001 }
			if !near(s.P50, tt.p50) || !near(s.P99, tt.p99) || s.Max != tt.max {
				t.Errorf("summary %+v, want p50 %v p99 %v max %v", s, tt.p50, tt.p99, tt.max)
			}
		})
	}
}

func TestHistogramReset(t *testing.T) {
	var h histogram
	h.Record(3 * time.Millisecond)
	h.Reset()
	if s := h.Summary(); s.Count != 0 || s.Max != 0 {
		t.Fatalf("after Reset: %+v", s)
	}
}

func seq(from, to int64) []int64 {
	var out []int64
	for v := from; v <= to; v++ {
		out = append(out, v)
	}
	return out
}

func scale(v []int64, k int64) []int64 {
	for i := range v {
		v[i] *= k
	}
	return v
}
