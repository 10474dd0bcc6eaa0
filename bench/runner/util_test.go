package main

import "testing"

func TestHelpers(t *testing.T) {
	if kilo(19000) != "19k" || kilo(1500) != "1500" {
		t.Error("kilo")
	}
	for in, want := range map[int]string{7: "7", 1000: "1,000", 19000: "19,000", 1234567: "1,234,567"} {
		if got := comma(in); got != want {
			t.Errorf("comma(%d) = %s", in, got)
		}
	}
	if median(nil) != 0 || median([]float64{3, 1, 2}) != 2 || median([]float64{4, 1, 3, 2}) != 2.5 {
		t.Error("median")
	}
	if pingFor(10000, 100000) != "100ms" || pingFor(10, 100000) != "1ms" {
		t.Error("pingFor")
	}
	for in, want := range map[float64]string{0: "0", 3.14159: "3.14", 42.42: "42.4", 512.6: "513", 98765.4: "98,765"} {
		if got := fmtNum(in); got != want {
			t.Errorf("fmtNum(%v) = %s", in, got)
		}
	}
}

func TestScenarioPlans(t *testing.T) {
	for _, quick := range []bool{false, true} {
		seen := map[string]bool{}
		for _, s := range scenarios(quick) {
			if seen[s.Key] || s.Runs < 1 || s.Ping == "" || s.Estimate <= 0 {
				t.Errorf("quick=%v: bad scenario %+v", quick, s)
			}
			seen[s.Key] = true
		}
		for _, k := range []string{"pongs-1k", "pongs-5k", "storm-10k", "http", "hold-19k", "hammer"} {
			if !seen[k] {
				t.Errorf("quick=%v: no %s", quick, k)
			}
		}
	}
}
