package ws

import "testing"

func TestOriginPolicy(t *testing.T) {
	same := newOriginPolicy(nil)
	list := newOriginPolicy([]string{"https://app.example.com/", "http://localhost:4200"})
	any := newOriginPolicy([]string{"*"})
	cases := []struct {
		p      originPolicy
		origin string
		host   string
		want   bool
	}{
		{same, "", "x:1", true},
		{same, "http://x:1", "x:1", true},
		{same, "http://X:1", "x:1", true},
		{same, "http://x:2", "x:1", false},
		{same, "http://evil", "x:1", false},
		{same, "null", "x:1", false},
		{list, "https://app.example.com", "api:1", true},
		{list, "HTTP://LOCALHOST:4200", "api:1", true},
		{list, "https://evil.example.com", "api:1", false},
		{list, "", "api:1", true},
		{any, "https://whatever", "api:1", true},
	}
	for _, tc := range cases {
		if got := tc.p.allowed(tc.origin, tc.host); got != tc.want {
			t.Errorf("%+v allowed(%q, %q) = %v", tc.p, tc.origin, tc.host, got)
		}
	}
}
