package actors

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/presenced/presenced/internal/jsonscan"
)

// The decoders of the scoped-presence events (presence:join, presence:leave,
// presence:watch, presence:unwatch). Conn.Event runs them in the transport's
// goroutine, with a validating scanner, so that actors never parse.

// PublicRoomPrefix names the rooms every bound socket may join without a room token.
const PublicRoomPrefix = "public:"

// MaxRoomName is the longest room name; MaxWatchedPerSocket bounds the users one
// socket watches.
const (
	MaxRoomName         = 128
	MaxWatchedPerSocket = 1000
)

// ValidRoomName reports whether name matches ^[A-Za-z0-9_.:@-]{1,128}$.
func ValidRoomName(name string) bool {
	if len(name) == 0 || len(name) > MaxRoomName {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '.', c == ':', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

// IsPublicRoom reports whether every bound socket may join room.
func IsPublicRoom(room string) bool { return strings.HasPrefix(room, PublicRoomPrefix) }

// RoomJoinRequest is a decoded presence:join {"room", "token"?, "mode"?}.
type RoomJoinRequest struct {
	Room    string
	Token   string // empty: none (absent or null)
	Count   bool   // mode "count"
	Problem string // non-empty: bad_request, and why
}

// RoomLeaveRequest is a decoded presence:leave {"room"}.
type RoomLeaveRequest struct {
	Room    string
	Problem string
}

// WatchRequest is a decoded presence:watch {"users": [id…]} or presence:unwatch
// {"users": [id…]} / {}.
type WatchRequest struct {
	Users []int64 // distinct, in the order first asked
	All   bool    // unwatch without users: every watched user
	// Code is non-empty for a refused request (bad_request, too_many_watched), and
	// Problem says why.
	Code, Problem string
}

const (
	problemJoinShape  = "presence:join needs an object with a string room"
	problemLeaveShape = "presence:leave needs an object with a string room"
	problemRoomName   = "room must match ^[A-Za-z0-9_.:@-]{1,128}$"
	problemRoomToken  = "token must be a string or null"
	problemMode       = `mode must be "list" or "count"`
	problemWatchShape = "needs an object with users, an array of user ids"
	problemWatchIDs   = "users must be positive integer ids"
	problemWatchMany  = "at most 1000 users may be watched by one socket"
)

// DecodeRoomJoin decodes presence:join's arguments.
func DecodeRoomJoin(args []json.RawMessage) RoomJoinRequest {
	var r RoomJoinRequest
	roomOK, tokenOK, modeOK := false, true, true
	if len(args) == 0 {
		return RoomJoinRequest{Problem: problemJoinShape}
	}
	err := jsonscan.Fields(args[0], func(key string, v []byte) {
		switch key {
		case "room":
			r.Room, roomOK = jsonscan.Unquote(v)
		case "token":
			if string(v) == "null" {
				r.Token, tokenOK = "", true
				return
			}
			r.Token, tokenOK = jsonscan.Unquote(v)
		case "mode":
			switch m, ok := jsonscan.Unquote(v); {
			case string(v) == "null", ok && m == "list":
				r.Count, modeOK = false, true
			case ok && m == "count":
				r.Count, modeOK = true, true
			default:
				modeOK = false
			}
		}
	})
	switch {
	case err != nil || !roomOK:
		return RoomJoinRequest{Problem: problemJoinShape}
	case !ValidRoomName(r.Room):
		return RoomJoinRequest{Problem: problemRoomName}
	case !tokenOK:
		return RoomJoinRequest{Room: r.Room, Problem: problemRoomToken}
	case !modeOK:
		return RoomJoinRequest{Room: r.Room, Problem: problemMode}
	}
	return r
}

// DecodeRoomLeave decodes presence:leave's arguments.
func DecodeRoomLeave(args []json.RawMessage) RoomLeaveRequest {
	var r RoomLeaveRequest
	roomOK := false
	if len(args) == 0 {
		return RoomLeaveRequest{Problem: problemLeaveShape}
	}
	err := jsonscan.Fields(args[0], func(key string, v []byte) {
		if key == "room" {
			r.Room, roomOK = jsonscan.Unquote(v)
		}
	})
	switch {
	case err != nil || !roomOK:
		return RoomLeaveRequest{Problem: problemLeaveShape}
	case !ValidRoomName(r.Room):
		return RoomLeaveRequest{Problem: problemRoomName}
	}
	return r
}

// DecodeWatch decodes presence:watch's arguments, or presence:unwatch's when unwatch
// (where a missing or null users means every watched user). More than
// MaxWatchedPerSocket ids in one request is refused before they are looked at one
// by one: too_many_watched for a watch, bad_request for an unwatch.
func DecodeWatch(args []json.RawMessage, unwatch bool) WatchRequest {
	bad := func(p string) WatchRequest { return WatchRequest{Code: CodeBadRequest, Problem: p} }
	if len(args) == 0 {
		return bad(problemWatchShape)
	}
	var raw []byte
	seen := false
	if err := jsonscan.Fields(args[0], func(key string, v []byte) {
		if key == "users" {
			raw, seen = v, true
		}
	}); err != nil {
		return bad(problemWatchShape)
	}
	if !seen || string(raw) == "null" {
		if unwatch {
			return WatchRequest{All: true}
		}
		return bad(problemWatchShape)
	}
	elems, err := jsonscan.SplitArray(raw, nil)
	switch {
	case err != nil:
		return bad(problemWatchShape)
	case len(elems) > MaxWatchedPerSocket && unwatch:
		return bad(problemWatchMany)
	case len(elems) > MaxWatchedPerSocket:
		return WatchRequest{Code: CodeTooManyWatched, Problem: problemWatchMany}
	}
	out := WatchRequest{Users: make([]int64, 0, len(elems))}
	distinct := make(map[int64]struct{}, len(elems))
	for _, e := range elems {
		id, err := strconv.ParseInt(string(e), 10, 64)
		if err != nil || id <= 0 {
			return bad(problemWatchIDs)
		}
		if _, dup := distinct[id]; !dup {
			distinct[id] = struct{}{}
			out.Users = append(out.Users, id)
		}
	}
	return out
}
