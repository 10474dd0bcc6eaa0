package codec

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/jsonscan"
)

func TestDecodeSocketPacket(t *testing.T) {
	cases := []struct {
		in    string
		want  SocketPacket
		elems []string
		err   error
	}{
		{in: `0`, want: SocketPacket{Type: '0', Nsp: "/", ID: -1}},
		{in: `0{"token":"x"}`, want: SocketPacket{Type: '0', Nsp: "/", ID: -1, Data: []byte(`{"token":"x"}`)}},
		{in: `0/admin,{"token":"x"}`, want: SocketPacket{Type: '0', Nsp: "/admin", ID: -1, Data: []byte(`{"token":"x"}`)}},
		{in: `0/admin,`, want: SocketPacket{Type: '0', Nsp: "/admin", ID: -1}},
		{in: `0/admin`, want: SocketPacket{Type: '0', Nsp: "/admin", ID: -1}},
		{in: `0[]`, err: errSioPayload},
		{in: `0"x"`, err: errSioPayload},
		{in: `1`, want: SocketPacket{Type: '1', Nsp: "/", ID: -1}},
		{in: `1{}`, err: errSioPayload},
		{in: `2["hello",{"a":1}]`, want: SocketPacket{Type: '2', Nsp: "/", ID: -1, Data: []byte(`["hello",{"a":1}]`)}, elems: []string{`"hello"`, `{"a":1}`}},
		{in: `212["hello"]`, want: SocketPacket{Type: '2', Nsp: "/", ID: 12, Data: []byte(`["hello"]`)}, elems: []string{`"hello"`}},
		{in: `2/chat,3[ "m" , 1 ,null]`, want: SocketPacket{Type: '2', Nsp: "/chat", ID: 3, Data: []byte(`[ "m" , 1 ,null]`)}, elems: []string{`"m"`, `1`, `null`}},
		{in: `2[7,"x"]`, want: SocketPacket{Type: '2', Nsp: "/", ID: -1, Data: []byte(`[7,"x"]`)}, elems: []string{`7`, `"x"`}},
		{in: `2["a\"b"]`, want: SocketPacket{Type: '2', Nsp: "/", ID: -1, Data: []byte(`["a\"b"]`)}, elems: []string{`"a\"b"`}},
		{in: `2[]`, err: errSioPayload},
		{in: `2`, err: errSioPayload},
		{in: `2{}`, err: errSioPayload},
		{in: `2[{}]`, err: errSioPayload},
		{in: `2["disconnect"]`, err: errSioPayload},
		{in: `2["connec\u0074"]`, err: errSioPayload},
		{in: `2["hello",]`, err: errSioPayload},
		{in: `2["hello"`, err: errSioPayload},
		{in: `2["hello"]x`, err: errSioPayload},
		{in: `31[]`, want: SocketPacket{Type: '3', Nsp: "/", ID: 1, Data: []byte(`[]`)}},
		{in: `3[]`, err: errSioAckID},
		{in: `31{}`, err: errSioPayload},
		{in: `4{"message":"x"}`, want: SocketPacket{Type: '4', Nsp: "/", ID: -1, Data: []byte(`{"message":"x"}`)}},
		{in: `4"x"`, want: SocketPacket{Type: '4', Nsp: "/", ID: -1, Data: []byte(`"x"`)}},
		{in: `51-["bin",{"_placeholder":true,"num":0}]`, want: SocketPacket{Type: '5', Nsp: "/", ID: -1, Attachments: 1, Data: []byte(`["bin",{"_placeholder":true,"num":0}]`)}, elems: []string{`"bin"`, `{"_placeholder":true,"num":0}`}},
		{in: `5-["bin"]`, err: errSioAttachments},
		{in: `51["bin"]`, err: errSioAttachments},
		{in: `62-/x,4[]`, want: SocketPacket{Type: '6', Nsp: "/x", ID: 4, Attachments: 2, Data: []byte(`[]`)}},
		{in: `21234567890123456789["x"]`, err: errSioAckID},
		{in: `7`, err: errSioType},
		{in: ``, err: errSioEmpty},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			p, err := DecodeSocketPacket([]byte(tc.in), nil)
			elems := p.Elems
			p.Elems = nil
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(p, tc.want) {
				t.Fatalf("got %+v\nwant %+v", p, tc.want)
			}
			var got []string
			for _, e := range elems {
				got = append(got, string(e))
			}
			if !reflect.DeepEqual(got, tc.elems) {
				t.Fatalf("elems %q, want %q", got, tc.elems)
			}
			if enc := string(AppendSocketPacket(nil, p)); tc.in[0] != '2' || !strings.Contains(tc.in, " ") {
				q, err := DecodeSocketPacket([]byte(enc), nil)
				q.Elems = nil
				if err != nil || !reflect.DeepEqual(q, p) {
					t.Fatalf("round trip %q → %+v, %v", enc, q, err)
				}
			}
		})
	}
}

func TestDecodeEnginePayload(t *testing.T) {
	var got []EnginePacket
	err := DecodeEnginePayload([]byte("40\x1e42[\"a\"]\x1e3\x1ebAQID"), func(p EnginePacket) error {
		got = append(got, p)
		return nil
	})
	want := []EnginePacket{
		{Type: '4', Data: []byte("0")},
		{Type: '4', Data: []byte(`2["a"]`)},
		{Type: '3', Data: []byte{}},
		{Type: '4', Data: []byte{1, 2, 3}, Binary: true},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, bad := range []string{"", "4\x1e", "\x1e4", "9", "b!!", "x"} {
		if err := DecodeEnginePayload([]byte(bad), func(EnginePacket) error { return nil }); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	if _, _, err := DecodeEngineText([]byte("bAQID")); err == nil {
		t.Error("base64 accepted on websocket")
	}
}

func TestEncodeEvent(t *testing.T) {
	cases := []struct {
		name string
		data []json.RawMessage
		want string
	}{
		{"ping", nil, `42["ping"]`},
		{"server-action:ping", []json.RawMessage{json.RawMessage(`{"seq":1}`)}, `42["server-action:ping",{"seq":1}]`},
		{"a\"b\n\x01", []json.RawMessage{nil, json.RawMessage(` 1 `)}, `42["a\"b\n\u0001",null, 1 ]`},
		{"connect", nil, ""},
		{"disconnect", nil, ""},
		{"x", []json.RawMessage{json.RawMessage(`{`)}, ""},
		{"x", []json.RawMessage{json.RawMessage("\"\xff\"")}, ""},
		{"\xff", nil, ""},
	}
	for _, tc := range cases {
		if got := string(AppendEvent(nil, tc.name, tc.data...)); got != tc.want {
			t.Errorf("AppendEvent(%q, %q) = %q, want %q", tc.name, tc.data, got, tc.want)
		}
	}
	if got := string(AppendAck(nil, 5, json.RawMessage(`{"ok":true}`))); got != `435[{"ok":true}]` {
		t.Errorf("ack %q", got)
	}
	if got := string(AppendConnectError(nil, "/admin", "Invalid namespace", nil)); got != `44/admin,{"message":"Invalid namespace"}` {
		t.Errorf("connect error %q", got)
	}
	if got := string(AppendConnectError(nil, "/", "invalid token", json.RawMessage(`{"code":"x"}`))); got != `44{"message":"invalid token","data":{"code":"x"}}` {
		t.Errorf("connect error %q", got)
	}
	open := Open{SID: "abc", Upgrades: []string{"websocket"}, PingInterval: 25 * time.Second, PingTimeout: 20 * time.Second, MaxPayload: 1_000_000}
	if got := string(AppendOpen(nil, open)); got != `0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}` {
		t.Errorf("open %q", got)
	}
	open.Upgrades = nil
	if got := string(AppendOpen(nil, open)); got != `0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}` {
		t.Errorf("open without upgrades %q", got)
	}
	if got := string(AppendConnected(nil, "Xy_-1")); got != `40{"sid":"Xy_-1"}` {
		t.Errorf("connected %q", got)
	}
	if got := AppendEventWithAck(nil, "q", 7, json.RawMessage(`1`)); string(got) != `427["q",1]` {
		t.Errorf("event with ack %q", got)
	}
	if AppendEventWithAck(nil, "q", -1) != nil || AppendAck(nil, -1) != nil {
		t.Error("negative ack id accepted")
	}
}

func TestJSONScan(t *testing.T) {
	for _, s := range []string{
		`0`, `-0`, `1.5e+3`, `"\u00e9\n"`, `[]`, `{}`, ` [1, {"a":[true,false,null]}] `, `{"a":{"b":{}}}`, `"` + "\xff" + `"`,
	} {
		if !jsonscan.Valid([]byte(s)) || !json.Valid([]byte(s)) {
			t.Errorf("%q: want valid", s)
		}
	}
	for _, s := range []string{
		``, ` `, `01`, `1.`, `.5`, `1e`, `-`, `+1`, `"\x"`, `"\u12"`, "\"\x01\"", `[1,]`, `{"a"}`, `{"a":1,}`, `{a:1}`, `tru`, `nul`, `[1 2]`, `1 2`, `"`, `[`, `{`,
		strings.Repeat("[", jsonscan.MaxDepth+1) + strings.Repeat("]", jsonscan.MaxDepth+1),
	} {
		if jsonscan.Valid([]byte(s)) {
			t.Errorf("%q: want invalid", s)
		}
	}
}

func TestCopyArgs(t *testing.T) {
	buf := []byte(`2["n",{"a":1}, [2] ,"x"]........`)
	data := buf[1:24]
	var elems []json.RawMessage
	elems, err := jsonscan.SplitArray(data, elems)
	if err != nil {
		t.Fatal(err)
	}
	args := CopyArgs(data, elems[1:])
	for i := range buf {
		buf[i] = 'z' // the copy must not alias the input
	}
	want := []string{`{"a":1}`, `[2]`, `"x"`}
	for i, a := range args {
		if string(a) != want[i] || cap(a) != len(a) {
			t.Fatalf("arg %d = %q (cap %d), want %q", i, a, cap(a), want[i])
		}
	}
}
