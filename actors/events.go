package actors

import "github.com/presenced/presenced/internal/closereason"

// Socket.IO event names of the contract.
const (
	EventNgAction         = "ng-action"
	EventPing             = "server-action:ping"
	EventUpdateUserOnline = "server-action:update_user_online"
	EventLoggedOut        = "server-action:logged_out"
	EventError            = "server-action:error"
	EventStats            = "server-action:stats"

	// Scoped presence: rooms and watchlists.
	EventRoomJoin    = "presence:join"
	EventRoomLeave   = "presence:leave"
	EventRoomUpdate  = "presence:update"
	EventWatch       = "presence:watch"
	EventUnwatch     = "presence:unwatch"
	EventWatchUpdate = "presence:watch_update"
)

// ng-action actions.
const (
	ActionPong   = "pong"
	ActionLogin  = "login"
	ActionLogout = "logout"
)

// server-action:logged_out reasons.
const (
	ReasonLogout       = "logout"
	ReasonTokenExpired = "token_expired"
)

// server-action:error codes.
const (
	CodeInvalidToken = "invalid_token"
	CodeTokenExpired = "token_expired"
	CodeRateLimited  = "rate_limited"
	CodeBadRequest   = "bad_request"
	// CodeTooManyConnections refuses a bind beyond -max-conns-per-user.
	CodeTooManyConnections = "too_many_connections"
	CodeInternal           = "internal_error"
)

// Ack codes of the presence:* events (with CodeBadRequest and CodeRateLimited).
const (
	CodeUnauthorized   = "unauthorized" // an anonymous socket
	CodeForbidden      = "forbidden"    // no right to the room
	CodeTooManyRooms   = "too_many_rooms"
	CodeTooManyWatched = "too_many_watched"
)

// GlobalPresence is -global-presence: what server-action:update_user_online carries.
type GlobalPresence string

// The -global-presence modes.
const (
	GlobalAll   GlobalPresence = "all"   // diffs and full lists (the original design)
	GlobalCount GlobalPresence = "count" // {version, count} only
	GlobalOff   GlobalPresence = "off"   // not sent: rooms and watchlists only
)

// Close reasons the actors give the transport (logged, and counted by reason).
const (
	CloseNoPong      = closereason.NoPong
	CloseShutdown    = closereason.ServerShutdown
	CloseActorFailed = closereason.ActorFailed
)
