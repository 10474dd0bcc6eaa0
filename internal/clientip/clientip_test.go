package clientip

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClient(t *testing.T) {
	tests := []struct {
		name    string
		trusted string
		peer    string
		xff     []string
		want    string
	}{
		{"no proxy trusted: the peer, whatever the header says", "", "203.0.113.9", []string{"1.2.3.4"}, "203.0.113.9"},
		{"untrusted peer with a header", "10.0.0.0/8", "203.0.113.9", []string{"1.2.3.4"}, "203.0.113.9"},
		{"trusted proxy, one hop", "10.0.0.0/8", "10.0.0.2", []string{"198.51.100.7"}, "198.51.100.7"},
		{"a client's forged prefix is ignored", "10.0.0.0/8", "10.0.0.2", []string{"1.1.1.1, 198.51.100.7"}, "198.51.100.7"},
		{"chain of trusted proxies", "10.0.0.0/8", "10.0.0.2", []string{"1.1.1.1, 198.51.100.7, 10.1.1.1, 10.2.2.2"}, "198.51.100.7"},
		{"several headers are one list", "10.0.0.0/8", "10.0.0.2", []string{"1.1.1.1", "198.51.100.7", "10.9.9.9"}, "198.51.100.7"},
		{"only trusted hops: the leftmost of them", "10.0.0.0/8", "10.0.0.2", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"trusted proxy, no header", "10.0.0.0/8", "10.0.0.2", nil, "10.0.0.2"},
		{"garbage hop: the last proxy that vouched", "10.0.0.0/8", "10.0.0.2", []string{"1.1.1.1, nonsense, 10.0.0.3"}, "10.0.0.3"},
		{"hop with a port", "10.0.0.0/8", "10.0.0.2", []string{"198.51.100.7:5555"}, "198.51.100.7"},
		{"IPv6 hop in brackets", "10.0.0.0/8", "10.0.0.2", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"IPv6 proxy", "::1/128", "::1", []string{"2001:db8::2"}, "2001:db8::2"},
		{"bare address as a trusted proxy", "127.0.0.1", "127.0.0.1", []string{"192.0.2.1"}, "192.0.2.1"},
		{"IPv4-mapped peer", "127.0.0.1", "::ffff:127.0.0.1", []string{"192.0.2.1"}, "192.0.2.1"},
		{"empty elements are skipped", "10.0.0.0/8", "10.0.0.2", []string{"192.0.2.1, , "}, "192.0.2.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			got := r.ClientIP(netip.MustParseAddr(tc.peer), tc.xff)
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseRefusesGarbage(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "not-an-ip", "10.0.0.0/8, x"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "trusted proxy") {
			t.Errorf("Parse(%q) = %v, want an error naming the trusted proxy", bad, err)
		}
	}
}

func FuzzClient(f *testing.F) {
	f.Add("1.1.1.1, 198.51.100.7, 10.1.1.1")
	f.Add("[::1]:80,,nonsense")
	r, _ := Parse("10.0.0.0/8,::1/128")
	f.Fuzz(func(t *testing.T, xff string) {
		got := r.Client(netip.MustParseAddr("10.0.0.2"), []string{xff})
		if !got.IsValid() {
			t.Fatalf("invalid address for %q", xff)
		}
		// The answer is the peer, or one of the header's hops.
		if got == netip.MustParseAddr("10.0.0.2") {
			return
		}
		for _, hop := range strings.Split(xff, ",") {
			if a, ok := parseHop(strings.TrimSpace(hop)); ok && a == got {
				return
			}
		}
		t.Fatalf("%s is neither the peer nor a hop of %q", got, xff)
	})
}
