package actors

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/presenced/presenced/internal/closereason"
)

// Conn is the transport's handle on its conn actor. Event is called by one goroutine
// at a time (the transport serialises a connection's events); Closed after the last.
// What it does runs in that goroutine: decoding, token checks, and the database read
// of a watch, so that the conn actor never parses, verifies or waits.
type Conn struct {
	sys  *System
	pid  *actor.PID
	sock Socket
	last *Credentials // the last token resolved, reused while it stays valid
	// scoped is the token bucket of presence:* events, checked before any work is
	// done for one (a token check, a database read).
	scoped bucket
}

// bucket is a token bucket: burst tokens, refilled at rate per second.
type bucket struct {
	tokens float64
	at     time.Time
}

func (b *bucket) allow(now time.Time, rate, burst float64) bool {
	if b.at.IsZero() {
		b.tokens, b.at = burst, now
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = min(burst, b.tokens+el*rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// OpenConn spawns the conn actor of a new socket: bound at once when creds (from
// Resolve, for a token in the CONNECT auth payload) are given and valid, anonymous
// otherwise. A bound socket first takes one of its user's places; when the user has
// the limit of bound sockets, OpenConn spawns nothing and returns ErrTooManyConnections.
// It may wait (the places actor, Redis): callers are transport goroutines.
func (s *System) OpenConn(id string, sock Socket, creds *Credentials) (*Conn, error) {
	a := &connActor{sys: s, id: id, sock: sock, st: newConnState(s.now(), s.cfg.ActionBurst)}
	if creds != nil && creds.Err == nil {
		if err := s.reservePlace(creds.Grant.UserID, id); err != nil {
			return nil, err
		}
		a.initial = creds
	}
	props := s.connProps.Clone(actor.WithProducer(func() actor.Actor { return a }))
	pid := s.root.SpawnPrefix(props, "conn-")
	return &Conn{sys: s, pid: pid, sock: sock, last: a.initial}, nil
}

// reservePlace takes one of user's places for conn, before its conn actor exists.
func (s *System) reservePlace(user int64, conn string) error {
	if s.places == nil {
		return nil
	}
	res, err := s.root.RequestFuture(s.places, &ReservePlace{UserID: user, ConnID: conn}, placeWait).Result()
	if err != nil {
		// The reservation stays queued: if granted, the conn holds the place and gives it
		// back when it goes; if refused, the conn holds none. Either way nothing leaks.
		s.log.Warn("places: no answer in time; the socket binds without waiting", "conn_id", conn, "user_id", user, "err", err)
		return nil
	}
	if _, refused := res.(*PlaceRefused); refused {
		s.stats.BindsTooMany.Add(1)
		return ErrTooManyConnections
	}
	return nil
}

// Event hands the conn actor a client event. An ng-action is decoded, and its token
// resolved, here in the caller's goroutine, so that actors do no parsing, no token
// verification and no I/O; so is a presence:* event (see scopedEvent). args must not
// be modified afterwards.
func (c *Conn) Event(name string, args []json.RawMessage, ackID int64) {
	switch name {
	case EventNgAction:
		m := &ActionReceived{Action: DecodeNgAction(args), AckID: ackID}
		if m.Action.Problem == "" && m.Action.Token != "" {
			m.Creds = c.credentials(m.Action.Token)
		}
		c.sys.root.Send(c.pid, m)
	case EventRoomJoin, EventRoomLeave, EventWatch, EventUnwatch:
		c.scopedEvent(name, args, ackID)
	default:
		c.sys.root.Send(c.pid, &EventReceived{Name: name, Args: args, AckID: ackID})
	}
}

// scopedEvent handles a presence:* event: the rate limit first (a refused event costs
// nothing more), then the decoder, then for a join its room token, for a watch the
// users' last_seen from the database. What only the conn actor knows (bound or not,
// to whom, its rooms and watchlist) it decides itself.
func (c *Conn) scopedEvent(name string, args []json.RawMessage, ackID int64) {
	cfg := &c.sys.cfg
	if !c.scoped.allow(c.sys.now(), cfg.PresenceEventRate, cfg.PresenceEventBurst) {
		c.sys.stats.refused(CodeRateLimited)
		if ackID >= 0 {
			c.sock.Ack(ackID, refusalAck(CodeRateLimited, "too many presence events"))
		}
		return
	}
	var msg any
	switch name {
	case EventRoomJoin:
		msg = c.roomJoin(DecodeRoomJoin(args), ackID)
	case EventRoomLeave:
		r := DecodeRoomLeave(args)
		m := &RoomLeaveReceived{Room: r.Room, AckID: ackID}
		if r.Problem != "" {
			m.Code, m.Message = CodeBadRequest, r.Problem
		}
		msg = m
	case EventWatch:
		msg = c.watch(DecodeWatch(args, false), ackID)
	case EventUnwatch:
		r := DecodeWatch(args, true)
		msg = &UnwatchReceived{Users: r.Users, All: r.All, Code: r.Code, Message: r.Problem, AckID: ackID}
	}
	c.sys.root.Send(c.pid, msg)
}

// roomJoin checks a join's room token: a room not named public:… needs one, valid,
// for that room; that it is for the socket's user the conn actor checks.
func (c *Conn) roomJoin(r RoomJoinRequest, ackID int64) *RoomJoinReceived {
	m := &RoomJoinReceived{Room: r.Room, Count: r.Count, AckID: ackID}
	switch {
	case r.Problem != "":
		m.Code, m.Message = CodeBadRequest, r.Problem
	case IsPublicRoom(r.Room):
	case r.Token == "":
		m.Code, m.Message = CodeForbidden, "this room needs a room token"
	case c.sys.cfg.RoomVerifier == nil:
		m.Code, m.Message = CodeForbidden, "room tokens are not accepted here"
	default:
		g, err := c.sys.cfg.RoomVerifier.VerifyRoom(r.Token)
		switch {
		case errors.Is(err, ErrTokenExpired):
			m.Code, m.Message = CodeForbidden, "room token expired"
		case err != nil:
			m.Code, m.Message = CodeForbidden, "invalid room token"
		case g.Room != r.Room:
			m.Code, m.Message = CodeForbidden, "the room token is for another room"
		default:
			m.TokenUser = g.UserID
		}
	}
	return m
}

// watchLookup bounds the database read of a watch.
const watchLookup = 2 * time.Second

// watch looks the asked users up: ids that name no user are left out (not watched,
// not counted against the limit, not in the ack). If the database does not answer,
// every id is taken as a user whose last_seen is unknown.
func (c *Conn) watch(r WatchRequest, ackID int64) *WatchReceived {
	m := &WatchReceived{Code: r.Code, Message: r.Problem, AckID: ackID}
	if r.Code != "" || len(r.Users) == 0 {
		return m
	}
	ctx, cancel := context.WithTimeout(context.Background(), watchLookup)
	defer cancel()
	found, err := c.sys.cfg.Directory.Users(ctx, r.Users)
	m.Users = make([]WatchedUser, 0, len(r.Users))
	if err != nil {
		c.sys.log.Warn("watch: users not read; last_seen unknown", "users", len(r.Users), "err", err)
		for _, id := range r.Users {
			m.Users = append(m.Users, WatchedUser{ID: id})
		}
		return m
	}
	seen := make(map[int64]*time.Time, len(found))
	for _, u := range found {
		seen[u.ID] = u.LastSeen
	}
	for _, id := range r.Users {
		if ls, ok := seen[id]; ok {
			m.Users = append(m.Users, WatchedUser{ID: id, LastSeen: ls})
		}
	}
	return m
}

// credentials resolves token, reusing the previous result for the same token (every
// pong repeats it) while it is neither expired nor revoked.
func (c *Conn) credentials(token string) *Credentials {
	if l := c.last; l != nil && l.Token == token && l.Err == nil &&
		c.sys.now().Before(l.Grant.ExpiresAt) && !c.sys.cfg.Verifier.Revoked(l.Grant.JTI) {
		return l
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.last = c.sys.Resolve(ctx, token)
	return c.last
}

// Closed tells the conn actor that its transport is gone.
func (c *Conn) Closed(reason closereason.Reason) {
	c.sys.root.Send(c.pid, &SocketClosed{Reason: reason})
}
