package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// userActor is the thin actor shell over one userState. The state pointer is shared
// across restarts (see presence.spawnUser), so a panic while handling one message
// loses that message, not who is online.
type userActor struct {
	sys   *System
	st    *userState
	timer *time.Timer
}

func (a *userActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.evaluate(ctx)
	case *AttachConn:
		a.st.handled++
		if a.st.attach(m.ConnID, m.PID, m.JTI) && a.sys.bridge != nil {
			ctx.Send(a.sys.bridge, &LoginBound{UserID: a.st.user.ID, JTI: m.JTI})
		}
		a.evaluate(ctx)
	case *EndCredit:
		a.st.handled++
		a.st.endCredit(m.JTI)
		a.evaluate(ctx)
	case *DetachConn:
		a.st.handled++
		a.st.detach(m.ConnID, m.Logout, a.sys.now(), a.sys.cfg.OfflineGrace)
		a.evaluate(ctx)
	case *GrantLogin:
		a.st.handled++
		a.st.grant(m.User, m.JTI, m.Until)
		a.evaluate(ctx)
	case *RevokeToken:
		a.st.handled++
		a.onRevokeToken(ctx, m)
	case *userWake:
		a.evaluate(ctx)
	case *actor.Stopping:
		if a.timer != nil {
			a.timer.Stop()
		}
	case *actor.Restarting, *actor.Stopped:
	default:
		a.sys.log.Warn("user actor: unexpected message", "user_id", a.st.user.ID, "type", typeName(m))
	}
}

func (a *userActor) onRevokeToken(ctx actor.Context, m *RevokeToken) {
	for _, pid := range a.st.revoke(m.JTI) {
		ctx.Send(pid, &LogOut{JTI: m.JTI, Reason: ReasonLogout})
	}
	a.evaluate(ctx)
}

// evaluate reports a change of the user's online state to presence, arms the timer for
// the next change that time alone would make, and offers to stop when idle.
func (a *userActor) evaluate(ctx actor.Context) {
	now := a.sys.now()
	a.st.expire(now)
	if on := a.st.online(now); on != a.st.reported {
		a.st.reported = on
		if on {
			ctx.Send(ctx.Parent(), &UserCameOnline{User: a.st.user})
		} else {
			ctx.Send(ctx.Parent(), &UserWentOffline{UserID: a.st.user.ID, At: now})
		}
	}
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	if wake := a.st.nextWake(now); !wake.IsZero() {
		self, root := ctx.Self(), a.sys.root
		a.timer = time.AfterFunc(wake.Sub(now), func() { root.Send(self, &userWake{}) })
	}
	if a.st.idle(now) {
		ctx.Send(ctx.Parent(), &UserIdle{UserID: a.st.user.ID, PID: ctx.Self(), Handled: a.st.handled})
	}
}
