package jsonscan

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestFields(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string // key → raw value
		err  bool
	}{
		{`{"action":"pong","socket_id":"x","token":null,"seq":3}`, map[string]string{"action": `"pong"`, "socket_id": `"x"`, "token": "null", "seq": "3"}, false},
		{` { "a" : [1, {"b": 2}] , "c\u0041" : "d" } `, map[string]string{"a": `[1, {"b": 2}]`, "cA": `"d"`}, false},
		{`{}`, map[string]string{}, false},
		{`{"a":1,}`, nil, true},
		{`{"a" 1}`, nil, true},
		{`["a"]`, nil, true},
		{`"x"`, nil, true},
		{`{"a":1}x`, nil, true},
		{``, nil, true},
	}
	for _, tc := range tests {
		got := map[string]string{}
		err := Fields([]byte(tc.in), func(k string, v []byte) { got[k] = string(v) })
		if (err != nil) != tc.err {
			t.Fatalf("%q: err %v", tc.in, err)
		}
		if !tc.err && !reflect.DeepEqual(got, tc.want) {
			t.Fatalf("%q: %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestUnquote(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `"a\"b"`: `a"b`, `"\u00e9"`: "é", `""`: ""} {
		if got, ok := Unquote([]byte(in)); !ok || got != want {
			t.Fatalf("Unquote(%s) = %q %v", in, got, ok)
		}
	}
	for _, bad := range []string{`abc`, `"abc`, `1`, `null`, "\"a\x01\""} {
		if _, ok := Unquote([]byte(bad)); ok {
			t.Fatalf("Unquote(%q) accepted", bad)
		}
	}
}

// FuzzFields: Fields agrees with encoding/json on objects.
func FuzzFields(f *testing.F) {
	for _, s := range []string{`{"action":"pong","token":"eyJ.x.y"}`, `{"a":{"b":[1,2]},"c":null}`, `{"a\u0062":1}`, `{"a":1,"a":2}`, `{`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var ref map[string]json.RawMessage
		refErr := json.Unmarshal(b, &ref)
		got := map[string][]byte{}
		err := Fields(b, func(k string, v []byte) { got[k] = v }) // later duplicates win, as in json
		if (err == nil) != (refErr == nil && ref != nil) {
			t.Fatalf("Fields(%q) err %v, json err %v", b, err, refErr)
		}
		if err != nil {
			return
		}
		if len(got) != len(ref) {
			t.Fatalf("%q: %d keys, json %d", b, len(got), len(ref))
		}
		for k, v := range ref {
			if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("%q key %q: %q, json %q", b, k, got[k], v)
			}
		}
	})
}
