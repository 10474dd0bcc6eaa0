package main

import (
	"sync/atomic"

	"github.com/presenced/presenced/ws/codec"
)

// What the sockets receive, by kind: frames and websocket payload bytes.
// The scoped modes (rooms, watch, global) report it per socket per second;
// every mode counts it, for the price of two atomic adds per message.

// frameKind is the kind of one received websocket message.
type frameKind uint8

const (
	fkEngine     frameKind = iota // Engine.IO open, close, noop …
	fkEnginePing                  // Engine.IO ping
	fkConnect                     // Socket.IO CONNECT, CONNECT_ERROR, DISCONNECT
	fkPing                        // server-action:ping (the sweep)
	fkGlobal                      // server-action:update_user_online, a diff
	fkGlobalFull                  // server-action:update_user_online carrying the full list
	fkRoom                        // presence:update
	fkWatch                       // presence:watch_update
	fkAckJoin                     // ack of presence:join
	fkAckLeave                    // ack of presence:leave
	fkAckWatch                    // ack of presence:watch
	fkAckAction                   // ack of an ng-action (pong, login, logout)
	fkError                       // server-action:error
	fkOther                       // any other event, ack or undecodable message
	numFrameKinds
)

var frameKindNames = [numFrameKinds]string{
	fkEngine:     "engine",
	fkEnginePing: "engine_ping",
	fkConnect:    "connect",
	fkPing:       "server-action:ping",
	fkGlobal:     "server-action:update_user_online",
	fkGlobalFull: "server-action:update_user_online+users",
	fkRoom:       "presence:update",
	fkWatch:      "presence:watch_update",
	fkAckJoin:    "ack:presence:join",
	fkAckLeave:   "ack:presence:leave",
	fkAckWatch:   "ack:presence:watch",
	fkAckAction:  "ack:ng-action",
	fkError:      "server-action:error",
	fkOther:      "other",
}

func (k frameKind) String() string {
	if k < numFrameKinds {
		return frameKindNames[k]
	}
	return "other"
}

// presence reports whether the kind is presence traffic: everything but the
// connection's own housekeeping (Engine.IO open and pings, Socket.IO
// CONNECT replies) and the sweep's pings, which cost the same in every
// scenario. Acks count: a rejoin's ack carries the room's list.
func (k frameKind) presence() bool {
	switch k {
	case fkEngine, fkEnginePing, fkConnect, fkPing:
		return false
	}
	return true
}

// Ack kinds: the low bits of every ack id this tool asks for, so that an
// ack says which request it answers without a table per connection.
type ackKind uint8

const (
	akPong ackKind = iota
	akJoin
	akLeave
	akWatch
	akLogin
	akLogout
	numAckKinds
)

const ackKindBits = 3 // numAckKinds ≤ 1<<ackKindBits

var ackKindNames = [numAckKinds]string{akPong: "pong", akJoin: "join", akLeave: "leave", akWatch: "watch", akLogin: "login", akLogout: "logout"}

func (k ackKind) String() string {
	if k < numAckKinds {
		return ackKindNames[k]
	}
	return "unknown"
}

// ackID makes the ack id of the seq-th request of kind k.
func ackID(seq int64, k ackKind) int64 { return seq<<ackKindBits | int64(k) }

// ackKindOf reads the kind back from an ack id (ids this tool did not make
// give a kind ≥ numAckKinds).
func ackKindOf(id int64) ackKind {
	if id < 0 {
		return numAckKinds
	}
	return ackKind(id & (1<<ackKindBits - 1))
}

// frameKindOfAck is the frame kind of an ack answering kind k.
func frameKindOfAck(k ackKind) frameKind {
	switch k {
	case akJoin:
		return fkAckJoin
	case akLeave:
		return fkAckLeave
	case akWatch:
		return fkAckWatch
	case akPong, akLogin, akLogout:
		return fkAckAction
	}
	return fkOther
}

// frameKindOfEvent is the frame kind of an event by its JSON-quoted name.
// full tells a server-action:update_user_online that carries the full list.
func frameKindOfEvent(quotedName []byte, full bool) frameKind {
	switch string(quotedName) {
	case nameServerPing:
		return fkPing
	case nameUpdate:
		if full {
			return fkGlobalFull
		}
		return fkGlobal
	case nameRoomUpdate:
		return fkRoom
	case nameWatchUpdate:
		return fkWatch
	case nameServerError:
		return fkError
	}
	return fkOther
}

// frameKindOfSocket is the frame kind of a Socket.IO packet type other than
// EVENT and ACK (which need their name or id).
func frameKindOfSocket(typ byte) frameKind {
	switch typ {
	case codec.SocketConnect, codec.SocketConnectError, codec.SocketDisconnect:
		return fkConnect
	}
	return fkOther
}

// traffic counts frames and bytes by kind; every reader adds to it.
type traffic struct {
	frames [numFrameKinds]atomic.Uint64
	bytes  [numFrameKinds]atomic.Uint64
}

func (t *traffic) add(k frameKind, n int) {
	if k >= numFrameKinds {
		k = fkOther
	}
	t.frames[k].Add(1)
	t.bytes[k].Add(uint64(n))
}

// trafficSnap is traffic at one instant.
type trafficSnap struct {
	frames, bytes [numFrameKinds]uint64
}

func (t *traffic) snap() trafficSnap {
	var s trafficSnap
	for k := range numFrameKinds {
		s.frames[k], s.bytes[k] = t.frames[k].Load(), t.bytes[k].Load()
	}
	return s
}

// kindTraffic is one kind's share of a window, per socket per second.
type kindTraffic struct {
	Frames             uint64  `json:"frames"`
	Bytes              uint64  `json:"bytes"`
	FramesPerSocketSec float64 `json:"frames_per_socket_s"`
	BytesPerSocketSec  float64 `json:"bytes_per_socket_s"`
}

// trafficReport is a window's traffic: by kind (kinds with none left out),
// and the presence total (see frameKind.presence) and the total of all.
type trafficReport struct {
	ByKind   map[string]kindTraffic `json:"by_kind"`
	Presence kindTraffic            `json:"presence"`
	All      kindTraffic            `json:"all"`
}

// trafficBetween is the traffic of b − a over sockets sockets and secs
// seconds.
func trafficBetween(a, b trafficSnap, sockets int, secs float64) trafficReport {
	rep := trafficReport{ByKind: map[string]kindTraffic{}}
	per := func(kt *kindTraffic) {
		if sockets > 0 && secs > 0 {
			d := float64(sockets) * secs
			kt.FramesPerSocketSec, kt.BytesPerSocketSec = float64(kt.Frames)/d, float64(kt.Bytes)/d
		}
	}
	for k := range numFrameKinds {
		f, n := b.frames[k]-a.frames[k], b.bytes[k]-a.bytes[k]
		if f == 0 {
			continue
		}
		kt := kindTraffic{Frames: f, Bytes: n}
		per(&kt)
		rep.ByKind[k.String()] = kt
		rep.All.Frames += f
		rep.All.Bytes += n
		if k.presence() {
			rep.Presence.Frames += f
			rep.Presence.Bytes += n
		}
	}
	per(&rep.All)
	per(&rep.Presence)
	return rep
}
