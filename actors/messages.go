package actors

import (
	"encoding/json"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/presenced/presenced/internal/closereason"
	"github.com/redis/rueidis"
)

// Every message is a small immutable struct sent as a pointer. Commands are imperative,
// events past tense. Who sends what to whom: see doc.go.

// ---- transport → conn actor -------------------------------------------------------

// ActionReceived is an ng-action the client sent, decoded, with its token already
// resolved (Creds nil: no token). AckID < 0: no ack wanted.
type ActionReceived struct {
	Action NgAction
	Creds  *Credentials
	AckID  int64
}

// EventReceived is any other Socket.IO EVENT the client sent (refused: unknown event).
type EventReceived struct {
	Name  string
	Args  []json.RawMessage
	AckID int64
}

// SocketClosed says the transport is gone; the conn actor stops.
type SocketClosed struct{ Reason closereason.Reason }

// ---- conn actor → presence ------------------------------------------------------------

// ConnOpened registers a new (anonymous or bound) connection.
type ConnOpened struct {
	ConnID string
	PID    *actor.PID
}

// ConnBound says the connection is now bound to User by the token JTI. A conn bound to
// another user before is moved.
type ConnBound struct {
	ConnID string
	PID    *actor.PID
	User   User
	JTI    string
}

// ConnUnbound says the connection is anonymous again. Logout skips the offline grace.
type ConnUnbound struct {
	ConnID string
	Logout bool
}

// ConnClosed says the connection is gone.
type ConnClosed struct{ ConnID string }

// ---- presence → conn actor ------------------------------------------------------------

// SweepStarted is the periodic presence sweep: the conn emits Ping, and closes itself
// if it answered no sweep for the pong timeout.
type SweepStarted struct {
	Seq  uint64
	Ping *Event
	At   time.Time
}

// DeliverUpdate hands a bound conn an event for bound sockets only (update_user_online,
// stats). Anonymous conns drop it.
type DeliverUpdate struct{ Event *Event }

// CloseConn closes the connection's socket with a reason (shutdown, kicked).
type CloseConn struct{ Reason closereason.Reason }

// ---- conn actor (or OpenConn) ↔ places ------------------------------------------------

// ReservePlace asks for one of the user's places (-max-conns-per-user) for a conn about
// to bind to the user. The answer, PlaceGranted or PlaceRefused, goes to the sender.
// A conn has at most one reservation outstanding.
type ReservePlace struct {
	UserID int64
	ConnID string
}

// ReleasePlace gives the conn's place of the user back: unbound, moved to another user,
// or gone. Releasing a reservation not answered yet cancels it.
type ReleasePlace struct {
	UserID int64
	ConnID string
}

// PlaceGranted says the conn holds one of the user's places and may bind.
type PlaceGranted struct {
	UserID int64
	ConnID string
}

// PlaceRefused says the user has the limit of bound sockets: the bind is refused.
type PlaceRefused struct {
	UserID int64
	ConnID string
}

// ---- Redis bridge → places ----------------------------------------------------------------

// placesAttached hands the places actor the bridge's Redis client, the key prefix and
// this node's id.
type placesAttached struct {
	client       rueidis.Client
	prefix, node string
}

// placesResync says the bridge resynchronised after a (re)connect: Redis may have lost
// this node's counts, which are written again.
type placesResync struct{}

// getPlacesRequest asks the places actor how many places user holds on this node, and
// in all; answered with getPlacesResponse (tests).
type getPlacesRequest struct{ user int64 }

type getPlacesResponse struct{ held, total int }

// placesFlush (the next batch) and placesRetry (a resync due after a failure) are the
// places actor's own.
type placesFlush struct{}
type placesRetry struct{}

// ---- presence ↔ user actors -------------------------------------------------------------

// AttachConn adds a bound connection to the user; it ends the login credit of JTI.
type AttachConn struct {
	ConnID string
	PID    *actor.PID
	JTI    string
}

// DetachConn removes a connection from the user; Logout skips the offline grace.
type DetachConn struct {
	ConnID string
	Logout bool
}

// GrantLogin counts an HTTP login: the user is online even without sockets until Until
// or until a conn binds with the login's token (JTI), whichever comes first.
type GrantLogin struct {
	User  User
	JTI   string
	Until time.Time
}

// EndCredit ends the login credit of JTI: a conn bound with its token on another node.
type EndCredit struct{ JTI string }

// RevokeToken ends the login credit of JTI and logs out every conn bound by it.
type RevokeToken struct{ JTI string }

// UserCameOnline / UserWentOffline are the user actor's transitions.
type UserCameOnline struct{ User User }

// UserWentOffline is sent when the user's last conn and credit are gone (after grace).
type UserWentOffline struct {
	UserID int64
	At     time.Time
}

// UserIdle asks presence to stop an offline user actor without conns. Handled is the
// number of presence messages the actor had processed: if presence has sent more since,
// the request is ignored (a message is in flight and the actor is needed).
type UserIdle struct {
	UserID  int64
	PID     *actor.PID
	Handled uint64
}

// userWake is a user actor's own timer (grace or credit end).
type userWake struct{}

// ---- user actor → conn actor ------------------------------------------------------------

// LogOut unbinds a conn because its token was revoked or expired.
type LogOut struct {
	JTI    string
	Reason string // "logout" | "token_expired"
}

// ---- outside → presence ---------------------------------------------------------------------

// HTTPLoggedIn reports an HTTP login or registration.
type HTTPLoggedIn struct {
	User      User
	JTI       string
	ExpiresAt time.Time
}

// TokenRevoked reports an HTTP logout (here or on another node).
type TokenRevoked struct {
	UserID    int64
	JTI       string
	ExpiresAt time.Time
}

// ShutdownRequested closes every conn with a reason and stops the sweep.
type ShutdownRequested struct{ Reason closereason.Reason }

// statsReady carries the second's server-action:stats to presence, for staff conns.
type statsReady struct{ Event *Event }

// sweepDue and flushDue are presence's own timers.
type sweepDue struct{}
type flushDue struct{}

// ---- presence → observers (store writer, Redis bridge) ---------------------------------------

// PresenceChanged is one published update: the net joins and leaves at Version.
type PresenceChanged struct {
	Version uint64
	Joined  []User
	Left    []int64
	At      time.Time
}

// ---- presence ↔ Redis bridge ----------------------------------------------------------------

// LocalPresenceChanged is a transition of this node's own presence of a user.
type LocalPresenceChanged struct {
	User   User
	Online bool
	At     time.Time
}

// RemotePresenceChanged is a global join or leave published by a node (this one too).
type RemotePresenceChanged struct {
	User    User
	Online  bool
	Version uint64
	Node    string
}

// RemotePresenceRead is the cluster's whole online set, read after a (re)connect.
type RemotePresenceRead struct {
	Users   []User
	Version uint64
}

// LoginBound says a conn bound with the token JTI of the user. From a user actor to the
// Redis bridge when the token is new on this node (its login may have been on another
// node, whose credit must end), and from the bridge to presence when another node says
// so.
type LoginBound struct {
	UserID int64
	JTI    string
}

// RefreshRequested is a notification from another system: every bound socket gets the
// full list again.
type RefreshRequested struct{ Task string }

// flushStore is the store writer's own timer.
type flushStore struct{}

// ---- transport → conn actor: scoped presence (decoded and checked in Conn.Event) ------

// RoomJoinReceived is a presence:join. Code, when set, is the refusal the transport
// decided (bad_request: malformed; forbidden: a missing, forged, expired or
// other-room token), with Message; the conn actor still answers unauthorized first
// when it is anonymous. TokenUser is the room token's user (0: a public room).
type RoomJoinReceived struct {
	Room          string
	Count         bool
	TokenUser     int64
	Code, Message string
	AckID         int64
}

// RoomLeaveReceived is a presence:leave.
type RoomLeaveReceived struct {
	Room          string
	Code, Message string
	AckID         int64
}

// WatchReceived is a presence:watch: Users are the ids asked that name a user, with
// their last_seen as the database has it (read by the transport).
type WatchReceived struct {
	Users         []WatchedUser
	Code, Message string
	AckID         int64
}

// WatchedUser is a user asked for in a presence:watch, as the database knows it.
type WatchedUser struct {
	ID       int64
	LastSeen *time.Time
}

// UnwatchReceived is a presence:unwatch: Users, or All.
type UnwatchReceived struct {
	Users         []int64
	All           bool
	Code, Message string
	AckID         int64
}

// ---- conn actor → rooms supervisor → room actor -------------------------------------------

// JoinRoom puts the conn in the room (again: the mode may change). The room answers
// RoomJoined at its next flush, with the room as published then; Seq tells the conn
// which of its joins the answer is for.
type JoinRoom struct {
	Room   string
	ConnID string
	PID    *actor.PID
	User   User
	Count  bool
	Seq    uint64
	AckID  int64
}

// LeaveRoom takes the conn out of the room. When it was the user's last socket there,
// the user leaves after the offline grace, or at once when AtOnce (an unbind).
type LeaveRoom struct {
	Room   string
	ConnID string
	AtOnce bool
}

// GetRoomPresenceRequest asks a room (through the rooms supervisor) who is in it;
// answered with GetRoomPresenceResponse (Users at most Max, by id; Max 0: all).
type GetRoomPresenceRequest struct {
	Room string
	Max  int
}

// GetRoomPresenceResponse is a room as last published.
type GetRoomPresenceResponse struct {
	Version uint64
	Count   int
	Users   []User
}

// RemoteRoomChanged is a member of the room joining or leaving the cluster's room (through
// any node, this one too), at the room's version in the cluster (from the RoomCluster
// seam; its Redis implementation sends it to the rooms supervisor, which forwards it
// to the room).
type RemoteRoomChanged struct {
	Room    string
	User    User
	Present bool
	Version uint64
}

// RemoteRoomRead is the cluster's members of the room, read whole (after an attach or
// a reconnect). Unread: the cluster could not be read (Redis unavailable); the room
// goes on with what it has, and a read follows once Redis answers.
type RemoteRoomRead struct {
	Room    string
	Users   []User
	Version uint64
	Unread  bool
}

// ---- room actor → conn actor ----------------------------------------------------------------

// RoomJoined answers JoinRoom Seq: Ack is the join's ack payload.
type RoomJoined struct {
	Room  string
	Seq   uint64
	AckID int64
	Ack   []byte
}

// DeliverRoomUpdate hands a member a presence:update of the room.
type DeliverRoomUpdate struct {
	Room  string
	Event *Event
}

// RoomClosed says the room's actor stopped for good after repeated failures: the conn
// is in it no longer.
type RoomClosed struct{ Room string }

// ---- room actor ↔ rooms supervisor ----------------------------------------------------------

// RoomIdle asks the supervisor to stop an empty room actor. Handled is the number of
// supervisor messages it had processed (as UserIdle's).
type RoomIdle struct {
	Room    string
	PID     *actor.PID
	Handled uint64
}

// roomFlushDue and roomWake are a room actor's own timers (its coalescing window; a
// grace ending or a count update due).
type roomFlushDue struct{}
type roomWake struct{}

// ---- conn actor ↔ watch index ----------------------------------------------------------------

// Watch adds users to the conn's watchlist; answered with WatchAnswered.
type Watch struct {
	ConnID string
	PID    *actor.PID
	Users  []WatchedUser
	AckID  int64
}

// Unwatch removes users (or All) from the conn's watchlist.
type Unwatch struct {
	ConnID string
	Users  []int64
	All    bool
}

// WatchAnswered is the state of the users a Watch asked for, in its order.
type WatchAnswered struct {
	AckID int64
	Users []WatchStatus
}

// DeliverWatchUpdate hands a conn the watched users whose state changed in one
// published presence change.
type DeliverWatchUpdate struct{ Users []WatchStatus }

// WatchStatus is one user in presence:watch's ack and presence:watch_update.
type WatchStatus struct {
	ID       int64      `json:"id"`
	Online   bool       `json:"online"`
	Status   string     `json:"status"` // "online" | "offline" (until rich presence)
	LastSeen *time.Time `json:"last_seen"`
}
