package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// connActor is one Socket.IO connection: it answers the client's ng-actions, binds and
// unbinds the socket, keeps it alive or closes it on the sweep, and hands presence
// updates to the socket while bound. All its writes go through Socket, which never
// blocks.
type connActor struct {
	sys    *System
	id     string
	sock   Socket
	st     connState
	closed bool // the transport is known gone, or this actor closed it
	// initial is a binding made at CONNECT (auth payload), announced on Started.
	initial *initialBind
}

type initialBind struct {
	grant Grant
	token string
	user  User
}

func (a *connActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Send(a.sys.presence, &ConnOpened{ConnID: a.id, PID: ctx.Self()})
		if b := a.initial; b != nil {
			a.initial = nil
			a.setBound(ctx, b.grant, b.token, b.user)
		}
	case *EventReceived:
		a.onEvent(ctx, m)
	case *SweepStarted:
		a.onSweep(ctx, m)
	case *DeliverUpdate:
		if a.st.bound != nil {
			a.emit(m.Event)
		}
	case *LogOut:
		if a.st.bound != nil && a.st.bound.jti == m.JTI {
			a.logOut(ctx, m.Reason)
		}
	case *CloseConn:
		a.close(m.Reason)
		ctx.Stop(ctx.Self())
	case *SocketClosed:
		a.closed = true
		ctx.Stop(ctx.Self())
	case *actor.Stopping:
		// Also reached when the actor failed: its supervisor stops it (never restarts).
		a.close(CloseActorFailed)
		ctx.Send(a.sys.presence, &ConnClosed{ConnID: a.id})
	case *actor.Stopped, *actor.Restarting:
	default:
		a.sys.log.Warn("conn actor: unexpected message", "conn_id", a.id, "type", typeName(m))
	}
}

func (a *connActor) close(reason string) {
	if !a.closed {
		a.closed = true
		a.sock.Close(reason)
	}
}

func (a *connActor) emit(ev *Event) {
	if !a.sock.Emit(ev) {
		a.closed = true // the transport closes a socket it cannot queue to
	}
}

func (a *connActor) onSweep(ctx actor.Context, m *SweepStarted) {
	if !a.st.sweep(m.At, a.sys.cfg.PongTimeout) {
		a.sys.stats.NoPongCloses.Add(1)
		a.close(CloseNoPong)
		ctx.Stop(ctx.Self())
		return
	}
	if a.st.expired(m.At) {
		a.logOut(ctx, ReasonTokenExpired)
	}
	a.emit(m.Ping)
}

// ngAction is the payload of an ng-action event. Token stays raw: it may be a string,
// null or absent, and anything else is a bad request.
type ngAction struct {
	Action   string          `json:"action"`
	SocketID string          `json:"socket_id"`
	Token    json.RawMessage `json:"token"`
}

var jsonNull = []byte("null")

func (a *connActor) onEvent(ctx actor.Context, m *EventReceived) {
	if m.Name != EventNgAction {
		a.fail(m.AckID, CodeBadRequest, "unknown event")
		return
	}
	var act ngAction
	if len(m.Args) == 0 || json.Unmarshal(m.Args[0], &act) != nil {
		a.fail(m.AckID, CodeBadRequest, "ng-action needs an object with a string action")
		return
	}
	now := a.sys.now()
	pong := act.Action == ActionPong
	if !a.st.allow(now, pong, a.sys.cfg.ActionRate, a.sys.cfg.ActionBurst) {
		a.sys.stats.RateLimited.Add(1)
		if a.st.shouldNotifyLimit(now) {
			a.fail(m.AckID, CodeRateLimited, "too many ng-action events")
		} else if m.AckID >= 0 {
			a.sock.Ack(m.AckID, failAck(CodeRateLimited))
		}
		return
	}
	a.st.lastAlive = now
	token, hasToken, ok := tokenOf(act.Token)
	if !ok {
		a.fail(m.AckID, CodeBadRequest, "token must be a string or null")
		return
	}
	switch act.Action {
	case ActionPong:
		a.sys.stats.Pongs.Add(1)
		if hasToken {
			if code, msg := a.bind(ctx, token); code != "" {
				a.fail(m.AckID, code, msg)
				return
			}
		}
	case ActionLogin:
		if !hasToken {
			a.fail(m.AckID, CodeBadRequest, "login needs a token")
			return
		}
		if code, msg := a.bind(ctx, token); code != "" {
			a.fail(m.AckID, code, msg)
			return
		}
	case ActionLogout:
		if a.st.bound != nil {
			a.unbind(ctx, true)
		}
	default:
		a.fail(m.AckID, CodeBadRequest, "unknown action")
		return
	}
	if m.AckID >= 0 {
		a.sock.Ack(m.AckID, okAck)
	}
}

// tokenOf reads the token field: (value, true, true) for a non-empty string,
// ("", false, true) for null, absent or empty, and ok=false for any other type.
func tokenOf(raw json.RawMessage) (token string, present, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, jsonNull) {
		return "", false, true
	}
	if raw[0] != '"' || json.Unmarshal(raw, &token) != nil {
		return "", false, false
	}
	return token, token != "", true
}

// bind binds the conn with token. It returns an error code and message when the token
// is refused; the conn then stays as it was.
func (a *connActor) bind(ctx actor.Context, token string) (code, msg string) {
	if b := a.st.bound; b != nil && b.token == token {
		return "", "" // the common case: every pong repeats the token that bound it
	}
	g, err := a.sys.cfg.Verifier.Verify(token)
	if err != nil {
		a.sys.stats.BindsRefused.Add(1)
		if errors.Is(err, ErrTokenExpired) {
			return CodeTokenExpired, "token expired"
		}
		return CodeInvalidToken, "invalid token"
	}
	lookup, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := a.sys.cfg.Directory.User(lookup, g.UserID)
	if err != nil {
		a.sys.stats.BindsRefused.Add(1)
		a.sys.log.Warn("bind: user lookup failed", "conn_id", a.id, "user_id", g.UserID, "err", err)
		return CodeInvalidToken, "unknown user"
	}
	a.setBound(ctx, g, token, u)
	return "", ""
}

func (a *connActor) setBound(ctx actor.Context, g Grant, token string, u User) {
	a.st.bound = &binding{userID: g.UserID, jti: g.JTI, token: token, expires: g.ExpiresAt}
	a.sys.stats.Binds.Add(1)
	ctx.Send(a.sys.presence, &ConnBound{ConnID: a.id, PID: ctx.Self(), User: u, JTI: g.JTI})
}

func (a *connActor) unbind(ctx actor.Context, logout bool) {
	a.st.bound = nil
	ctx.Send(a.sys.presence, &ConnUnbound{ConnID: a.id, Logout: logout})
}

// logOut tells the client its token no longer holds and makes the conn anonymous.
func (a *connActor) logOut(ctx actor.Context, reason string) {
	a.emit(NewEvent(EventLoggedOut, mustJSON(map[string]string{"reason": reason})))
	a.unbind(ctx, true)
}

// fail answers a refused ng-action: the ack if one was asked for, and an error event.
func (a *connActor) fail(ackID int64, code, msg string) {
	if ackID >= 0 {
		a.sock.Ack(ackID, failAck(code))
	}
	a.emit(NewEvent(EventError, mustJSON(map[string]string{"code": code, "message": msg})))
}

var okAck = []byte(`{"ok":true}`)

func failAck(code string) []byte { return mustJSON(map[string]any{"ok": false, "code": code}) }
