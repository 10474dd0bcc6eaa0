// Package actors owns presence: who is online, how sockets bind to users, the periodic
// sweep, the updates every bound socket receives, and scoped presence — rooms and
// watchlists, whose changes cost only the sockets that joined or watch them. It runs on
// protoactor-go and imports nothing of presenced; it declares the small interfaces it
// needs (Socket, Verifier, RoomVerifier, Directory, Writer in ports.go; RoomCluster in
// room.go) and the transport and composition root implement them.
//
// # Supervision tree
//
//	root
//	├── presence-N           presence supervisor (presence.go over presence_state.go)
//	│   ├── user-<id>-N      one per user with sockets or login credit (user.go over user_state.go)
//	│   └── …                restarted on failure (10 in 10 s), state kept across restarts
//	├── store-writer-N       batches presence transitions into the database (store_writer.go)
//	├── places-N             the limit on bound sockets per user (places.go over
//	│                        places_state.go); absent with no limit; restarted, state kept
//	├── redis-bridge-N       with -redis only: the cluster's presence and node lease
//	│                        (redis_bridge.go, redis_scripts.go)
//	├── rooms-N              rooms supervisor (rooms.go): spawns, routes to, stops rooms
//	│   ├── room-<name>-N    one per room with a socket of this node in it, or a member's
//	│   │                    grace running (room.go over room_state.go)
//	│   └── …                restarted on failure (10 in 10 s), state kept across restarts
//	├── room-bus-N           with -redis only: rooms across nodes — memberships written,
//	│                        room channels subscribed while local interest (room_bus.go,
//	│                        room_scripts.go); restarted, state kept
//	├── watch-N              the watch index: watched user → watching conns (watch.go over
//	│                        watch_state.go); restarted, state kept
//	└── conn-N (guardian)    one per socket (conn.go, conn_scoped.go over conn_state.go);
//	                         stopped, never restarted, on failure — stopping closes its
//	                         socket
//
// User actors own the binding of conns: they hold the set of a user's bound conns and
// the tokens that bound them, and log those conns out when a token is revoked. They
// also hold the credit of HTTP logins (two sweeps, keyed by the token's jti), which
// ends when a conn binds with that login's token — on this node, or, with Redis, on
// another (the binding node publishes the token ids new to it on <prefix>logins). Conn
// actors are not their children because a socket can exist before any user (anonymous)
// and can move from one user to another.
//
// Places are the bound sockets a user may have (-max-conns-per-user). A conn takes one
// of its user's places before it binds and gives it back when it unbinds (logout,
// revocation, expiry), moves to another user, or stops for any reason (close, no pong,
// shutdown, failure: its Stopping gives back what it holds or waits for). The places
// actor keeps the node's book of who holds which; with Redis it also keeps this node's
// count per user in Redis and checks the user's count on every node there (see
// places.go; if Redis is unavailable it decides from this node's count alone). A dead
// node's counts go with its lease, as its users do.
//
// # Who sends what to whom
//
//	from            to              message                          when
//	transport       conn            ActionReceived, EventReceived,   ng-action (token resolved), other
//	                                SocketClosed                     event, transport gone
//	transport       conn            RoomJoinReceived,                presence:join (room token checked),
//	                                RoomLeaveReceived,               presence:leave,
//	                                WatchReceived, UnwatchReceived   presence:watch (last_seen read), unwatch
//	conn            presence        ConnOpened, ConnBound,           socket opened, bound by a token,
//	                                ConnUnbound, ConnClosed          unbound, stopped
//	presence        user            AttachConn, DetachConn,          a conn bound / unbound or closed,
//	                                GrantLogin, RevokeToken,         HTTP login, HTTP logout,
//	                                EndCredit                        a conn bound by the login's token elsewhere
//	user            presence        UserCameOnline, UserWentOffline, the user's online state changed,
//	                                UserIdle                         nothing left: may be stopped
//	user            conn            LogOut                           the token that bound it was revoked
//	user            Redis bridge    LoginBound                       a conn bound by a token new on this node
//	presence        conn            SweepStarted                     every ping interval (ping + liveness)
//	presence        conn            DeliverUpdate                    a coalesced update (bound conns only)
//	presence        conn            CloseConn                        shutdown
//	presence        store writer    PresenceChanged                  each published update
//	presence        Redis bridge    LocalPresenceChanged             this node's presence of a user changed
//	Redis bridge    presence        RemotePresenceChanged,           a node published a join or leave,
//	                                RemotePresenceRead,              the cluster's set after a (re)connect,
//	                                RefreshRequested, TokenRevoked,  another system's notice, a logout elsewhere,
//	                                LoginBound                       a conn bound elsewhere by a token (ends its credit)
//	HTTP layer      presence        HTTPLoggedIn, TokenRevoked       login / register, logout
//	HTTP layer      Redis bridge    TokenRevoked                     logout (published to the other nodes)
//	OpenConn        places          ReservePlace (a request)         a socket connects with a valid token
//	conn            places          ReservePlace (a request),        binding to a user it holds no place of,
//	                                ReleasePlace                     unbound, moved, stopping
//	places          requester       PlaceGranted, PlaceRefused       the answer to ReservePlace
//	Redis bridge    places          placesAttached, placesResync     connected; resynchronised (write counts again)
//	conn            rooms           JoinRoom, LeaveRoom              joined / left, unbound (at once), moved
//	                                                                 or closed (after the grace)
//	rooms           room            JoinRoom, LeaveRoom,             forwarded (counted: see RoomIdle);
//	                                GetRoomPresenceRequest,          an HTTP read (answered to its asker),
//	                                RemoteRoomChanged,               the cluster's members (from the
//	                                RemoteRoomRead                   RoomCluster seam, with Redis)
//	room            conn            RoomJoined, DeliverRoomUpdate    a join's answer (at the next flush),
//	                                                                 presence:update (list or count mode)
//	room            rooms           RoomIdle                         empty after its grace: may be stopped
//	rooms           conn            RoomClosed                       its room actor failed for good
//	room            RoomCluster     Attach, LocalChanged, Detach     calls, not messages: see below
//	RoomCluster     room bus        roomAttach, roomLocal,           (redisRooms) the calls above, with
//	                                roomDetach                       Redis
//	room bus        rooms           RemoteRoomRead,                  a room read whole (after an attach, an
//	                                RemoteRoomChanged                outage), a change on the room's channel
//	Redis bridge    room bus        roomBusAttached, roomBusResync   connected; resynchronised (write again)
//	HTTP layer      rooms           GetRoomPresenceRequest           GET /api/rooms/<room>/presence/
//	rooms           room bus        GetRoomPresenceRequest           (forwarded) a room no socket here is in
//	presence        watch           PresenceChanged                  each published update
//	conn            watch           Watch, Unwatch                   watch, unwatch; unbound, moved, closed
//	watch           conn            WatchAnswered,                   the watch's ack (the users asked),
//	                                DeliverWatchUpdate               presence:watch_update (one per change)
//	stats loop      presence        statsReady                       every second (for staff conns)
//	stats loop      Redis bridge    publishStats                     every second (the other nodes' figures)
//	tests           places          getPlacesRequest                 places held (answered getPlacesResponse)
//	an actor's      the actor       sweepDue, flushDue, userWake,    its own timers and batches, and the
//	timers, hooks                   flushStore, busConnect, busTick, bridge's subscription (a message
//	                                busFlush, busSubscribed,         received, subscribed again)
//	                                busMessage, placesFlush,
//	                                placesRetry, roomFlushDue,
//	                                roomWake, roomBusFlush,
//	                                roomBusRetry, roomBusMessage,
//	                                roomBusClosed
//
// Pongs stop at the conn actor: it records liveness, counts, and binds only for a token
// different from the one that bound it. Nothing on that path touches the database or
// Redis, or messages presence or places; its one shared lock is the token cache's read
// lock (Verifier.Revoked), taken in the transport's goroutine. The ng-action is
// decoded, and a new token verified and its user looked up, before the message is sent
// (Conn.Event, in the transport's goroutine), so that conn actors never parse, verify
// or wait. (One lookup is left to the conn actor: a bind that waited for its place
// checks that its token was not revoked meanwhile, with that same read lock.) So are
// the presence:* events: rate limited first (a token bucket in Conn: a refused event
// costs nothing more), then decoded, a join's room token verified, a watch's users
// looked up in the database (Directory.Users); what only the conn actor knows — bound
// or not, to whom, its rooms and watchlist — it decides itself.
//
// # Rooms and watchlists
//
// A room's members are users with at least one joined socket (several tabs: one
// entry); its actor holds them, coalesces their changes (at most one publication per
// presence window: a change to a room that did not publish for a window goes out at
// once, later ones at the window's end) and publishes them at a version of the room's own, each member getting the diff (list
// mode) or, at most once a second, {version, count} (count mode: asked for, or forced
// for every member while the room has more than RoomListMax members; back to lists,
// with the whole list once, at 90 % of it). A join is answered at the room's next flush
// with the room as published by it, joiner included; the diffs the joiner then gets
// start at the next version. The last socket of a user to leave or close takes effect
// after the offline grace; an unbind (logout, revocation, expiry) leaves at once; a
// socket bound to another user leaves its rooms and watchlist as a close does.
// Presence takes no part: a room change costs one message per member of that room,
// and nothing for anyone else (BenchmarkRoomJoinLeave).
//
// The watch index learns every published change of presence (PresenceChanged, like the
// store writer) and keeps, per watched user, the conns watching it: a change costs one
// lookup per changed user and one presence:watch_update per watching conn (one per
// change, so per coalescing window). Watching makes nobody visible. Watch answers take
// last_seen from the database (read by the transport before the event reaches the
// conn) or from a leave the index saw since, whichever is later.
//
// Where the actors need the world beyond this node they call RoomCluster (room.go), a
// seam whose methods return at once: Attach when a room actor starts (a first local
// join, or a restart), LocalChanged when a user becomes, or stops being, a member
// through this node, Detach when the actor stops. On one node it does nothing. With
// Redis the room bus keeps each room's membership in the cluster with atomic scripts
// (one call for every change queued meanwhile), subscribes to the room's channel while
// attached and to no other room's, sends the rooms supervisor RemoteRoomRead after each
// Attach and RemoteRoomChanged for every change of the cluster's room (room_state keeps
// the cluster's members apart from this node's, as presenceState does, so a user
// present here and elsewhere is one entry), appends room_join and room_leave to the
// event stream; a dead node's memberships go with its lease (the bridge's reaper). A
// room whose cluster reads (Attach returned true) answers its joins only once the read
// arrived (at most roomReadWait), so a joiner's list holds the members on every node;
// the bus answers a room "unread" (it goes on with this node's members) only when
// Redis is not there or a round failed, never because its subscription connection is
// still to be taken.
// After a lost subscription, an outage, or a resync of the bridge the bus writes the
// node's memberships whole and reads its rooms again.
//
// Conn actors run on protoactor's synchronized dispatcher: a message to an idle conn
// actor is handled in the goroutine that posts it (the transport's reader for pongs,
// presence's for a sweep), with no goroutine started per message — at 10,000 sockets
// that costs 2.7 µs a pong instead of 23 µs (BenchmarkPongPath). It is also why nothing
// a conn actor does may block: its writes go to the socket's bounded queue.
//
// # Ordering
//
// Messages from one actor to another arrive in the order sent. A conn's Opened, Bound,
// Unbound and Closed therefore reach presence in order, and its ReservePlace and
// ReleasePlace reach places in order: a release sent while the reservation is still
// unanswered cancels it, so a conn that stops while waiting leaks nothing. While a bind
// waits for its place, the conn keeps the ng-actions and presence:* events that
// follow (at most 8) and handles them, in order, once it is answered; sweeps and
// updates are handled meanwhile. Presence stops an idle user actor only when the actor has handled every
// message presence sent it (UserIdle carries the count), so nothing is lost to a
// stopping actor; the rooms supervisor stops a room actor the same way (RoomIdle).
//
// A conn's joins and leaves reach the rooms supervisor, and through it the room, in
// order, and a room's answers and updates reach the conn in order. Each join carries a
// sequence number that its answer echoes: the conn delivers a room's updates only once
// its latest join is answered, so an update still in flight for an earlier membership
// (left, or joined again with another mode) is dropped, and the answer, which holds
// the room at a later version, replaces it. A conn's Watch is answered before any
// watch update that includes its users; an update in flight across an unwatch is
// filtered by the conn against its watchlist.
//
// At shutdown the conns go first (their places, rooms and watches with them), then
// places writes what is queued, the room bus stops, then the Redis bridge takes the
// node out of Redis (its users and room memberships),
// then presence, the rooms supervisor (its room actors with it) and the watch index
// stop.
package actors
