package actors

import "github.com/asynkron/protoactor-go/actor"

// watchActor is the watch index (watch_state.go): it learns every published change
// of presence from the presence supervisor (PresenceChanged, as the store writer
// does) and hands each conn that watches a changed user one presence:watch_update per
// change — per coalescing window, since presence publishes one change per window.
// Presence itself does nothing per watcher. The same value serves every restart, so a
// failure keeps the watchlists.
type watchActor struct {
	sys *System
	st  *watchIndex
}

func (a *watchActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *PresenceChanged:
		deliveries := a.st.changed(m.Joined, m.Left, m.At)
		for _, d := range deliveries {
			ctx.Send(d.pid, &DeliverWatchUpdate{Users: d.users})
		}
		a.sys.stats.WatchUpdates.Add(uint64(len(deliveries)))
	case *Watch:
		users := a.st.watch(m.ConnID, m.PID, m.Users)
		ctx.Send(m.PID, &WatchAnswered{AckID: m.AckID, Users: users})
		a.sys.stats.Watches.Store(int64(a.st.pairs))
	case *Unwatch:
		a.st.unwatch(m.ConnID, m.Users, m.All)
		a.sys.stats.Watches.Store(int64(a.st.pairs))
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
	default:
		a.sys.log.Warn("watch index: unexpected message", "type", typeName(m))
	}
}
