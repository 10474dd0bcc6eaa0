package actors

import (
	"encoding/json"
	"testing"
)

func TestDecodeNgAction(t *testing.T) {
	tests := []struct {
		in   string
		want NgAction
	}{
		{`{"action":"pong","socket_id":"abc","token":"eyJ.a.b","seq":4}`, NgAction{Action: "pong", Token: "eyJ.a.b", Seq: 4}},
		{`{"action":"pong","seq":-1}`, NgAction{Action: "pong"}},
		{`{"action":"pong","seq":"7"}`, NgAction{Action: "pong"}},
		{`{"action":"pong","socket_id":"abc","token":null}`, NgAction{Action: "pong"}},
		{`{"action":"pong"}`, NgAction{Action: "pong"}},
		{`{"token":"t","action":"login"}`, NgAction{Action: "login", Token: "t"}},
		{`{"action":"logout","extra":{"nested":[1,2]}}`, NgAction{Action: "logout"}},
		{`{"action":"pong","token":"a\"b"}`, NgAction{Action: "pong", Token: `a"b`}},
		{`{"action":"pong","token":5}`, NgAction{Action: "pong", Problem: problemToken}},
		{`{"action":"pong","token":{}}`, NgAction{Action: "pong", Problem: problemToken}},
		{`{"action":7}`, NgAction{Problem: problemShape}},
		{`{"action":""}`, NgAction{Problem: problemShape}},
		{`{}`, NgAction{Problem: problemShape}},
		{`"pong"`, NgAction{Problem: problemShape}},
		{`[{"action":"pong"}]`, NgAction{Problem: problemShape}},
		{`{"action":"pong"`, NgAction{Problem: problemShape}},
	}
	for _, tc := range tests {
		if got := DecodeNgAction([]json.RawMessage{json.RawMessage(tc.in)}); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if got := DecodeNgAction(nil); got.Problem != problemShape {
		t.Errorf("no args: %+v", got)
	}
}

// FuzzDecodeNgAction: never panics; agrees with encoding/json on what the action and
// token are when the payload is a valid object.
func FuzzDecodeNgAction(f *testing.F) {
	f.Add([]byte(`{"action":"pong","socket_id":"abc","token":"eyJ.a.b","seq":4}`))
	f.Add([]byte(`{"action":"pong","token":null}`))
	f.Add([]byte(`{"action":"log\u006fut"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := DecodeNgAction([]json.RawMessage{b})
		var ref struct {
			Action any `json:"action"`
			Token  any `json:"token"`
		}
		if json.Unmarshal(b, &ref) != nil || b[0] != '{' {
			return
		}
		if a, ok := ref.Action.(string); ok && a != "" && got.Problem != problemShape && got.Action != a {
			t.Fatalf("%q: action %q, json %q", b, got.Action, a)
		}
		if tok, ok := ref.Token.(string); ok && got.Problem == "" && got.Token != tok {
			t.Fatalf("%q: token %q, json %q", b, got.Token, tok)
		}
	})
}
