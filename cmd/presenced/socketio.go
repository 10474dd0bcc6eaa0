package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/ws"
)

// presenceHandler is the adapter between the Socket.IO stack (ws, which knows nothing
// of users or tokens) and the presence actors: each accepted connection gets a conn
// actor, bound at once when its CONNECT carries a valid token. It lives here, in the
// composition root, so that neither side imports the other.
type presenceHandler struct {
	sys *actors.System
	log *slog.Logger
}

var _ ws.Handler = (*presenceHandler)(nil)

// newPresenceHandler returns the ws.Handler that feeds sys.
func newPresenceHandler(sys *actors.System, log *slog.Logger) *presenceHandler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &presenceHandler{sys: sys, log: log}
}

// connectRefused is a CONNECT_ERROR: {"message": msg, "data": {"code": code}}, with the
// contract's messages ("invalid token", "too many connections").
type connectRefused struct{ msg, code string }

func (e connectRefused) Error() string         { return e.msg }
func (e connectRefused) ConnectErrorData() any { return map[string]string{"code": e.code} }

var (
	_ interface{ ConnectErrorData() any } = connectRefused{}
	_ actors.HeartbeatSocket              = presenceSocket{}
	_ ws.Session                          = presenceSession{}
)

// OnConnect binds the socket when auth carries {"token": "…"}; no token (or null)
// connects anonymously; a refused token, or a user who has -max-conns-per-user bound
// sockets already, gets CONNECT_ERROR and no conn actor. It may wait briefly (the user
// lookup, the place of a bound socket): it runs in the connection's goroutine.
func (h *presenceHandler) OnConnect(c *ws.Conn, auth json.RawMessage) (ws.Session, error) {
	var payload struct {
		Token *string `json:"token"`
	}
	if len(auth) > 0 && json.Unmarshal(auth, &payload) != nil {
		return nil, connectRefused{msg: "invalid token", code: actors.CodeInvalidToken}
	}
	var creds *actors.Credentials
	if payload.Token != nil && *payload.Token != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		creds = h.sys.Resolve(ctx, *payload.Token)
		cancel()
		if creds.Err != nil {
			code := actors.CodeInvalidToken
			if errors.Is(creds.Err, actors.ErrTokenExpired) {
				code = actors.CodeTokenExpired
			}
			h.sys.Stats().BindsRefused.Add(1)
			h.log.Debug("connect refused", "conn_id", c.ID(), "code", code)
			return nil, connectRefused{msg: "invalid token", code: code}
		}
	}
	conn, err := h.sys.OpenConn(c.ID(), presenceSocket{c}, creds)
	if errors.Is(err, actors.ErrTooManyConnections) {
		h.log.Debug("connect refused", "conn_id", c.ID(), "user_id", creds.Grant.UserID, "code", actors.CodeTooManyConnections)
		return nil, connectRefused{msg: "too many connections", code: actors.CodeTooManyConnections}
	}
	if err != nil {
		return nil, fmt.Errorf("open conn: %w", err)
	}
	return presenceSession{conn}, nil
}

// presenceSocket is a Conn seen as the actors' Socket.
type presenceSocket struct{ c *ws.Conn }

func encodeActorEvent(name string, data []byte) []byte { return ws.EncodeEvent(name, data) }

func (s presenceSocket) Emit(ev *actors.Event) bool { return s.c.SendFrame(ev.Frame(encodeActorEvent)) }
func (s presenceSocket) EmitHeartbeat(ev *actors.Event) bool {
	return s.c.SendHeartbeat(ev.Frame(encodeActorEvent))
}
func (s presenceSocket) Ack(id int64, data []byte) bool  { return s.c.Ack(id, data) }
func (s presenceSocket) Close(reason closereason.Reason) { s.c.Close(reason) }

// presenceSession hands the client's events to its conn actor.
type presenceSession struct{ conn *actors.Conn }

func (s presenceSession) OnEvent(name string, args []json.RawMessage, ackID int64) {
	s.conn.Event(name, args, ackID)
}

func (s presenceSession) OnClose(reason closereason.Reason) { s.conn.Closed(reason) }
