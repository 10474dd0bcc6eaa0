package main

import (
	"sort"
	"strconv"
	"strings"
)

func itoa(n int) string { return strconv.Itoa(n) }

// kilo names a count: 1000 → "1k", 19000 → "19k".
func kilo(n int) string {
	if n%1000 == 0 {
		return itoa(n/1000) + "k"
	}
	return itoa(n)
}

// comma writes 10000 as 10,000.
func comma(n int) string {
	s := itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// median of the values (NaN-free); 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// fmtNum prints a figure with sensible precision.
func fmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 10000:
		return comma(int(v + 0.5))
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
