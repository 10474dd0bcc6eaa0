package boundedmap

import "testing"

func TestMap(t *testing.T) {
	tests := []struct {
		name      string
		max, puts int
	}{
		{"under the bound", 10, 5},
		{"at the bound", 10, 10},
		{"far over the bound", 10, 1000},
		{"tiny bound", 1, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New[int, int](tc.max)
			for i := range tc.puts {
				m.Put(i, i*i)
				if v, ok := m.Get(i); !ok || v != i*i {
					t.Fatalf("Get(%d) right after Put: %d %v", i, v, ok)
				}
			}
			if n := m.Len(); n > max(tc.max, 2) || n == 0 {
				t.Fatalf("%d entries for a bound of %d", n, tc.max)
			}
			if tc.puts <= tc.max && m.Len() != tc.puts {
				t.Fatalf("%d entries, want all %d", m.Len(), tc.puts)
			}
			m.Delete(tc.puts - 1)
			if _, ok := m.Get(tc.puts - 1); ok {
				t.Fatal("deleted entry still there")
			}
			m.Clear()
			if m.Len() != 0 {
				t.Fatal("Clear left entries")
			}
		})
	}
}
