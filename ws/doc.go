// Package ws serves Socket.IO v5 over Engine.IO v4 on a fiber app: the
// websocket and HTTP long-polling transports, the upgrade from polling to
// websocket, heartbeats, origin checks and CORS, and a small Handler/Session
// seam through which the application sees one Conn per Socket.IO connection
// on namespace "/". The wire format itself (pure, fuzzed encode and decode)
// is package ws/codec, which the load generator uses too; websocket framing
// (the client's frames read straight from the socket, the server's headers)
// is ws/internal/wsframe; the epoll set in which idle websockets wait is
// ws/internal/netpoll. Why a connection ended is internal/closereason's
// vocabulary, shared with the application. ws imports nothing of presenced
// above it: the adapter to presence is in the composition root
// (cmd/presenced/socketio.go).
//
// What ws owns, and what it does not:
//   - It owns every byte on the wire and every goroutine that touches a socket.
//     The application never writes to a socket; it queues frames (Conn.Emit,
//     Conn.SendFrame) and ws writes them from one writer per connection.
//   - It does not know about users, tokens or presence. OnConnect receives the
//     raw CONNECT auth object; the application decides.
//   - Only namespace "/" exists. A CONNECT to another namespace is refused with
//     CONNECT_ERROR "Invalid namespace" and the session stays usable for "/".
//   - Binary Socket.IO packets (BINARY_EVENT, BINARY_ACK) are refused: the
//     session is closed with closereason.ProtocolError (counted in Stats.BinaryRefused)
//     before their attachments are read. The server never sends binary.
//   - One Engine.IO session carries at most one Socket.IO connection at a
//     time. The client's DISCONNECT ends that connection (OnClose with
//     closereason.ClientDisconnect) and keeps the engine session, on which the client may
//     CONNECT again (a new Conn, a new id); a session without a connection,
//     since its handshake or since the DISCONNECT, is closed after
//     ConnectTimeout.
//
// # Conformance
//
// ws follows the Engine.IO v4 and Socket.IO v5 specifications and, where they
// are silent, the reference server (conformance_test.go tests each point):
// frames the application queues during OnConnect follow the CONNECT reply;
// pings keep a fixed schedule and a session with no packet within
// PingTimeout of a due ping is closed (a polling request that comes later is
// answered 400 "Session ID unknown", even before the heartbeat notices); a
// pending GET is answered a noop when the session upgrades or the client
// sends the close packet, and the close packet when the server closes the
// session; polling requests after the upgrade are answered 400 "Bad
// request".
//
// # Goroutines and locks
//
// Per websocket session there is a reader, started by the contrib upgrade
// handler, which returns at once so that fasthttp and contrib release the
// request's buffers (Mount sets KeepHijackedConns; the last reader closes the
// connection). It reads frames with wsframe.Reader, which holds a pooled
// buffer only while bytes are unread. A reader that has read its socket dry
// parks it in the process's epoll set and returns: an idle websocket holds no
// goroutine and no buffer. The poller starts a new reader (serveReads) when
// bytes or the peer's close arrive, and a server-side close or deadline wakes
// a parked one so that it runs into its end (transport_ws.go: register, park,
// unpark, finish) — with Config.ParkIdleReaders; by default, and without
// epoll or a descriptor, each socket keeps one blocked reader. Frames pushed to an
// idle websocket are written by the pushing goroutine with one non-blocking
// write(2); what the socket does not take at once, and anything pushed
// meanwhile, goes to a writer goroutine that exists only while frames are
// queued: it drains the queue in batches (several frames per write syscall)
// and exits when the queue is empty.
// Polling sessions own no goroutine: the pending GET handler is their writer,
// and while it waits it watches its connection from the runtime's poller, so
// a client that goes away (a killed tab) closes the session at once
// (pollwatch.go); one that goes away between two polls is noticed when
// fasthttp closes the connection of its last GET (Mount watches connection
// states), and closed if no GET follows within pollGoneWait. Neither transport is cut by fasthttp's ReadTimeout:
// hijacked connections have no deadline, and a pending GET clears the one
// it changed before returning.
// One heartbeat goroutine per Server sends Engine.IO pings and enforces the
// ping, connect, ack and drain timeouts of every session, in one pass over the
// registry per HeartbeatTick; no session has a timer of its own. A ping due
// within half an interval rides with the application's periodic frame instead
// (Conn.SendHeartbeat: presenced's sweep), in the same write (the upgrade probe and a pending long poll use a read
// deadline while they last).
//
// # Bounds
//
// Everything a client can make the server queue counts against its
// connection's outbound bound (Config.OutboundQueue frames,
// Config.OutboundBytes bytes): the application's frames, acks and errors,
// CONNECT replies, pongs to websocket pings. Nothing waits outside it; a
// frame that does not fit closes the session as a slow consumer.
//
// Config.MaxConnsPerIP bounds the sessions of one client address
// (Config.ClientIP names it): beyond it a polling handshake is answered 429
// and a websocket's CONNECT is refused with CONNECT_ERROR
// too_many_connections (iplimit.go).
//
// Lock order: session.inMu (serialises inbound packet handling, OnConnect,
// OnEvent, ack callbacks and OnClose) before session.mu (queue and state; never
// held while calling the application or for I/O that can wait: only for the
// non-blocking direct write) before the registry shard locks, the
// per-address counts (Server.ips) and Server.mu. The application's callbacks
// therefore run one at a time per connection and may call any Conn method,
// including Close.
package ws
