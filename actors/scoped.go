package actors

import (
	"context"
	"fmt"
	"time"
)

// refusalCodes are the codes a presence:* event may be refused with, in the order
// Stats counts them.
var refusalCodes = [...]string{CodeUnauthorized, CodeForbidden, CodeBadRequest, CodeRateLimited, CodeTooManyRooms, CodeTooManyWatched}

// RefusalCodes lists the codes of refused presence:* events.
func RefusalCodes() []string { return refusalCodes[:] }

// Refused is how many presence:* events were refused with code.
func (s *Stats) Refused(code string) uint64 {
	for i, c := range refusalCodes {
		if c == code {
			return s.refusals[i].Load()
		}
	}
	return 0
}

func (s *Stats) refused(code string) {
	for i, c := range refusalCodes {
		if c == code {
			s.refusals[i].Add(1)
			return
		}
	}
}

// RoomPresence is a room as last published: its version, member count, and at most
// max members (by id; 0: all).
type RoomPresence struct {
	Room    string
	Version uint64
	Count   int
	Users   []User
}

// roomReadTimeout bounds how long RoomPresence waits for the room's actor.
const roomReadTimeout = 2 * time.Second

// RoomPresence asks the room's actor who is in it (a room without an actor is empty).
// It waits for the answer: callers are HTTP handlers, never actors. The users are
// capped at RoomListMax when that is set.
func (s *System) RoomPresence(ctx context.Context, room string) (RoomPresence, error) {
	wait := roomReadTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(d))
	}
	res, err := s.root.RequestFuture(s.rooms, &GetRoomPresenceRequest{Room: room, Max: s.cfg.RoomListMax}, wait).Result()
	if err != nil {
		return RoomPresence{}, fmt.Errorf("room %s: %w", room, err)
	}
	r, ok := res.(*GetRoomPresenceResponse)
	if !ok {
		return RoomPresence{}, fmt.Errorf("room %s: unexpected answer %T", room, res)
	}
	return RoomPresence{Room: room, Version: r.Version, Count: r.Count, Users: r.Users}, nil
}
