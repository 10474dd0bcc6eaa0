package actors

import (
	"errors"

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
	// initial binds the conn at start (a valid token in the CONNECT auth payload).
	initial *Credentials
}

func (a *connActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Send(a.sys.presence, &ConnOpened{ConnID: a.id, PID: ctx.Self()})
		if c := a.initial; c != nil {
			a.initial = nil
			a.setBound(ctx, c)
		}
	case *ActionReceived:
		a.onAction(ctx, m)
	case *EventReceived:
		a.fail(m.AckID, CodeBadRequest, "unknown event")
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
	if !a.st.sweep(m.At, m.Seq, a.sys.cfg.PongTimeout) {
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

func (a *connActor) onAction(ctx actor.Context, m *ActionReceived) {
	now := a.sys.now()
	act := m.Action
	pong := act.Action == ActionPong && act.Problem == ""
	if !a.st.allow(now, pong, act.Seq, a.sys.cfg.ActionRate, a.sys.cfg.ActionBurst) {
		a.sys.stats.RateLimited.Add(1)
		if a.st.shouldNotifyLimit(now) {
			a.fail(m.AckID, CodeRateLimited, "too many ng-action events")
		} else if m.AckID >= 0 {
			a.sock.Ack(m.AckID, failAck(CodeRateLimited))
		}
		return
	}
	if act.Problem != "" {
		a.fail(m.AckID, CodeBadRequest, act.Problem)
		return
	}
	a.st.answered()
	switch act.Action {
	case ActionPong:
		a.sys.stats.Pongs.Add(1)
		if m.Creds != nil {
			if code, msg := a.bind(ctx, m.Creds); code != "" {
				a.fail(m.AckID, code, msg)
				return
			}
		}
	case ActionLogin:
		if m.Creds == nil {
			a.fail(m.AckID, CodeBadRequest, "login needs a token")
			return
		}
		if code, msg := a.bind(ctx, m.Creds); code != "" {
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

// bind binds the conn with resolved credentials. It returns an error code and message
// when the token was refused; the conn then stays as it was.
func (a *connActor) bind(ctx actor.Context, c *Credentials) (code, msg string) {
	if b := a.st.bound; b != nil && b.token == c.Token {
		return "", "" // the common case: every pong repeats the token that bound it
	}
	if c.Err != nil {
		a.sys.stats.BindsRefused.Add(1)
		if errors.Is(c.Err, ErrTokenExpired) {
			return CodeTokenExpired, "token expired"
		}
		return CodeInvalidToken, "invalid token"
	}
	a.setBound(ctx, c)
	return "", ""
}

func (a *connActor) setBound(ctx actor.Context, c *Credentials) {
	a.st.bound = &binding{userID: c.Grant.UserID, jti: c.Grant.JTI, token: c.Token, expires: c.Grant.ExpiresAt}
	a.sys.stats.Binds.Add(1)
	ctx.Send(a.sys.presence, &ConnBound{ConnID: a.id, PID: ctx.Self(), User: c.User, JTI: c.Grant.JTI})
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
