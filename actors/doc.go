// Package actors owns presence: who is online, how sockets bind to users, the periodic
// sweep, and the updates every bound socket receives. It runs on protoactor-go and
// imports nothing of presenced; it declares the small interfaces it needs (Socket,
// Verifier, Directory, Writer in ports.go) and the transport and composition root
// implement them.
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
//	└── conn-N (guardian)    one per socket (conn.go over conn_state.go); stopped, never
//	                         restarted, on failure — stopping closes its socket
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
//	stats loop      presence        statsReady                       every second (for staff conns)
//	stats loop      Redis bridge    publishStats                     every second (the other nodes' figures)
//	tests           places          getPlacesRequest                 places held (answered getPlacesResponse)
//	an actor's      the actor       sweepDue, flushDue, userWake,    its own timers and batches, and the
//	timers, hooks                   flushStore, busConnect, busTick, bridge's subscription (a message
//	                                busFlush, busSubscribed,         received, subscribed again)
//	                                busMessage, placesFlush,
//	                                placesRetry
//
// Pongs stop at the conn actor: it records liveness, counts, and binds only for a token
// different from the one that bound it. Nothing on that path touches the database or
// Redis, or messages presence or places; its one shared lock is the token cache's read
// lock (Verifier.Revoked), taken in the transport's goroutine. The ng-action is
// decoded, and a new token verified and its user looked up, before the message is sent
// (Conn.Event, in the transport's goroutine), so that conn actors never parse, verify
// or wait. (One lookup is left to the conn actor: a bind that waited for its place
// checks that its token was not revoked meanwhile, with that same read lock.)
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
// waits for its place, the conn keeps the ng-actions that follow (at most 8) and
// handles them, in order, once it is answered; sweeps and updates are handled
// meanwhile. Presence stops an idle user actor only when the actor has handled every
// message presence sent it (UserIdle carries the count), so nothing is lost to a
// stopping actor.
//
// At shutdown the conns go first (their places with them), then places writes what
// is queued, then the Redis bridge takes the node out of Redis.
package actors
