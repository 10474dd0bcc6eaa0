package actors

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func raw(s string) []json.RawMessage { return []json.RawMessage{json.RawMessage(s)} }

func TestValidRoomName(t *testing.T) {
	ref := regexp.MustCompile(`^[A-Za-z0-9_.:@-]{1,128}$`)
	for _, name := range []string{"public:lobby", "team:42", "doc.v1@org-a_b", "a", strings.Repeat("x", 128),
		"", strings.Repeat("x", 129), "a b", "a/b", "é", "room\n", "a,b", "#x"} {
		if got, want := ValidRoomName(name), ref.MatchString(name); got != want {
			t.Errorf("%q: %v, the pattern says %v", name, got, want)
		}
	}
}

func TestDecodeRoomJoin(t *testing.T) {
	tests := []struct {
		in   string
		want RoomJoinRequest
	}{
		{`{"room":"public:lobby"}`, RoomJoinRequest{Room: "public:lobby"}},
		{`{"room":"team:1","token":"eyJ.a.b","mode":"count"}`, RoomJoinRequest{Room: "team:1", Token: "eyJ.a.b", Count: true}},
		{`{"room":"r","token":null,"mode":null,"x":[1]}`, RoomJoinRequest{Room: "r"}},
		{`{"room":"r","mode":"list"}`, RoomJoinRequest{Room: "r"}},
		{`{"room":"public:\u006cobby"}`, RoomJoinRequest{Room: "public:lobby"}},
		{`{"room":"r","mode":"all"}`, RoomJoinRequest{Room: "r", Problem: problemMode}},
		{`{"room":"r","mode":1}`, RoomJoinRequest{Room: "r", Problem: problemMode}},
		{`{"room":"r","token":7}`, RoomJoinRequest{Room: "r", Problem: problemRoomToken}},
		{`{"room":"a b"}`, RoomJoinRequest{Problem: problemRoomName}},
		{`{"room":""}`, RoomJoinRequest{Problem: problemRoomName}},
		{fmt.Sprintf(`{"room":%q}`, strings.Repeat("r", 129)), RoomJoinRequest{Problem: problemRoomName}},
		{`{"room":5}`, RoomJoinRequest{Problem: problemJoinShape}},
		{`{}`, RoomJoinRequest{Problem: problemJoinShape}},
		{`"public:lobby"`, RoomJoinRequest{Problem: problemJoinShape}},
		{`{"room":"r"`, RoomJoinRequest{Problem: problemJoinShape}},
	}
	for _, tc := range tests {
		if got := DecodeRoomJoin(raw(tc.in)); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if got := DecodeRoomJoin(nil); got.Problem != problemJoinShape {
		t.Errorf("no args: %+v", got)
	}
}

func TestDecodeRoomLeave(t *testing.T) {
	tests := []struct {
		in   string
		want RoomLeaveRequest
	}{
		{`{"room":"public:lobby"}`, RoomLeaveRequest{Room: "public:lobby"}},
		{`{"room":"r/s"}`, RoomLeaveRequest{Problem: problemRoomName}},
		{`{"room":null}`, RoomLeaveRequest{Problem: problemLeaveShape}},
		{`[]`, RoomLeaveRequest{Problem: problemLeaveShape}},
	}
	for _, tc := range tests {
		if got := DecodeRoomLeave(raw(tc.in)); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestDecodeWatch(t *testing.T) {
	many := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprint(i + 1)
		}
		return `{"users":[` + strings.Join(ids, ",") + `]}`
	}
	bad := func(p string) WatchRequest { return WatchRequest{Code: CodeBadRequest, Problem: p} }
	tests := []struct {
		in      string
		unwatch bool
		want    WatchRequest
	}{
		{`{"users":[3,1,3, 2 ]}`, false, WatchRequest{Users: []int64{3, 1, 2}}},
		{`{"users":[]}`, false, WatchRequest{Users: []int64{}}},
		{`{"users":[9223372036854775807]}`, false, WatchRequest{Users: []int64{9223372036854775807}}},
		{many(1000), false, WatchRequest{Users: DecodeWatch(raw(many(1000)), false).Users}},
		{many(1001), false, WatchRequest{Code: CodeTooManyWatched, Problem: problemWatchMany}},
		{many(10_000), false, WatchRequest{Code: CodeTooManyWatched, Problem: problemWatchMany}},
		{many(1001), true, bad(problemWatchMany)},
		{`{"users":["1"]}`, false, bad(problemWatchIDs)},
		{`{"users":[1.5]}`, false, bad(problemWatchIDs)},
		{`{"users":[1e3]}`, false, bad(problemWatchIDs)},
		{`{"users":[0]}`, false, bad(problemWatchIDs)},
		{`{"users":[-4]}`, false, bad(problemWatchIDs)},
		{`{"users":[9223372036854775808]}`, false, bad(problemWatchIDs)},
		{`{"users":[null]}`, false, bad(problemWatchIDs)},
		{`{"users":{"1":true}}`, false, bad(problemWatchShape)},
		{`{"users":"1,2"}`, false, bad(problemWatchShape)},
		{`{}`, false, bad(problemWatchShape)},
		{`{"users":null}`, false, bad(problemWatchShape)},
		{`[1,2]`, false, bad(problemWatchShape)},
		{`{}`, true, WatchRequest{All: true}},
		{`{"users":null}`, true, WatchRequest{All: true}},
		{`{"users":[2]}`, true, WatchRequest{Users: []int64{2}}},
		{`{"users":["x"]}`, true, bad(problemWatchIDs)},
	}
	for _, tc := range tests {
		if got := DecodeWatch(raw(tc.in), tc.unwatch); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%.60s (unwatch %v): %+v, want %+v", tc.in, tc.unwatch, got, tc.want)
		}
	}
	if got := DecodeWatch(raw(many(1000)), false); len(got.Users) != 1000 || got.Code != "" {
		t.Errorf("1000 ids: %d users, code %q", len(got.Users), got.Code)
	}
	if got := DecodeWatch(nil, true); got.Code != CodeBadRequest {
		t.Errorf("no args: %+v", got)
	}
}

// FuzzDecodeRoomJoin: never panics; a request it accepts names a valid room, which is
// what encoding/json reads there.
func FuzzDecodeRoomJoin(f *testing.F) {
	f.Add([]byte(`{"room":"public:lobby"}`))
	f.Add([]byte(`{"room":"team:1","token":"eyJ.a.b","mode":"count"}`))
	f.Add([]byte(`{"room":"r","token":null,"mode":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := DecodeRoomJoin([]json.RawMessage{b})
		if got.Problem != "" {
			return
		}
		if !ValidRoomName(got.Room) {
			t.Fatalf("%q: accepted room %q", b, got.Room)
		}
		var ref struct {
			Room  string  `json:"room"`
			Token *string `json:"token"`
		}
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatalf("%q: accepted, but encoding/json refuses it: %v", b, err)
		}
		if ref.Room != got.Room || (ref.Token != nil && *ref.Token != got.Token) {
			t.Fatalf("%q: room %q token %q; json room %q token %v", b, got.Room, got.Token, ref.Room, ref.Token)
		}
	})
}

// FuzzDecodeRoomLeave: never panics; what it accepts is a valid room name.
func FuzzDecodeRoomLeave(f *testing.F) {
	f.Add([]byte(`{"room":"public:lobby"}`))
	f.Add([]byte(`{"room":"a b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := DecodeRoomLeave([]json.RawMessage{b}); got.Problem == "" && !ValidRoomName(got.Room) {
			t.Fatalf("%q: accepted room %q", b, got.Room)
		}
	})
}

// FuzzDecodeWatch: never panics; accepted ids are positive, distinct, at most 1000,
// and those encoding/json reads.
func FuzzDecodeWatch(f *testing.F) {
	f.Add([]byte(`{"users":[3,1,3,2]}`), false)
	f.Add([]byte(`{}`), true)
	f.Add([]byte(`{"users":[1.5,"2",-3]}`), false)
	f.Fuzz(func(t *testing.T, b []byte, unwatch bool) {
		got := DecodeWatch([]json.RawMessage{b}, unwatch)
		if got.Code != "" || got.All {
			return
		}
		if len(got.Users) > MaxWatchedPerSocket {
			t.Fatalf("%q: %d users", b, len(got.Users))
		}
		var ref struct {
			Users []int64 `json:"users"`
		}
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatalf("%q: accepted, but encoding/json refuses it: %v", b, err)
		}
		seen := map[int64]bool{}
		for _, id := range ref.Users {
			seen[id] = true
		}
		if len(seen) != len(got.Users) {
			t.Fatalf("%q: %v, json %v", b, got.Users, ref.Users)
		}
		for _, id := range got.Users {
			if id <= 0 || !seen[id] {
				t.Fatalf("%q: id %d, json %v", b, id, ref.Users)
			}
		}
	})
}
