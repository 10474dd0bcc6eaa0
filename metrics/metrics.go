// Package metrics owns presenced's Prometheus surface: one collector that reads the
// actor system's and the Socket.IO server's atomic counters at scrape time, so that
// nothing on the hot paths touches a Prometheus type. Names follow Prometheus
// conventions: prefix presenced_, base units, _total on counters.
package metrics

import (
	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/ws"
	"github.com/prometheus/client_golang/prometheus"
)

// Sources are what the collector reads.
type Sources struct {
	Actors  *actors.System
	Sockets func() ws.Stats
	// RedisUp reports the Redis bridge's connection; nil when -redis is not set
	// (presenced_redis_up is then 0).
	RedisUp func() bool
}

// Collector is a prometheus.Collector over Sources.
type Collector struct {
	src Sources

	connections, usersOnline, pongs, sweeps, broadcasts, deliveries, fanout *prometheus.Desc
	binds, rateLimited, noPong, storeWrites, storeErrors                    *prometheus.Desc
	actorsLive, actorMessages, actorRestarts, mailbox, mailboxHWM, handle   *prometheus.Desc
	sessions, frames, bytes, writeCalls, slow, upgrades, protoErrors        *prometheus.Desc
	connects, pingTimeouts, redisUp, ipRefused, pollsAbandoned              *prometheus.Desc
	rooms, roomMembers, roomUpdates, roomVersions, watches, watchUpdates    *prometheus.Desc
	roomChannels                                                            *prometheus.Desc
	refusals                                                                *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("presenced_"+name, help, labels, nil)
}

// New returns a collector; register it with a prometheus.Registerer.
func New(src Sources) *Collector {
	return &Collector{
		src:            src,
		connections:    desc("connections", "Socket.IO connections by state.", "state"),
		usersOnline:    desc("users_online", "Users online (as last published)."),
		pongs:          desc("pongs_total", "ng-action pongs received."),
		sweeps:         desc("sweeps_total", "Presence sweeps (server-action:ping broadcasts)."),
		broadcasts:     desc("broadcasts_total", "Published update_user_online changes (one per version)."),
		deliveries:     desc("update_deliveries_total", "update_user_online events handed to sockets."),
		fanout:         desc("fanout_sockets", "Sockets one published update was delivered to."),
		binds:          desc("binds_total", "Socket binds to a user by result (refused: bad token; too_many_connections: -max-conns-per-user).", "result"),
		rateLimited:    desc("rate_limited_total", "ng-action events refused by the per-socket rate limit."),
		noPong:         desc("no_pong_closes_total", "Sockets closed for answering no sweep within the pong timeout."),
		storeWrites:    desc("store_presence_writes_total", "Presence transitions written to the database."),
		storeErrors:    desc("store_errors_total", "Failed presence batch writes (retried)."),
		actorsLive:     desc("actors", "Live actors by kind.", "kind"),
		actorMessages:  desc("actor_messages_total", "Messages handled by actors of a kind.", "kind"),
		actorRestarts:  desc("actor_restarts_total", "Actor restarts after a failure, by kind.", "kind"),
		mailbox:        desc("actor_mailbox_length", "Messages waiting in the mailboxes of a kind.", "kind"),
		mailboxHWM:     desc("actor_mailbox_high_water", "Highest mailbox backlog of a kind over the last 10 s (sampled).", "kind"),
		handle:         desc("actor_handle_seconds", "Message handling time by kind (one message in 64 sampled).", "kind"),
		sessions:       desc("socketio_sessions", "Engine.IO sessions by transport.", "transport"),
		frames:         desc("socketio_frames_total", "Engine.IO packets by direction.", "direction"),
		bytes:          desc("socketio_bytes_total", "Engine.IO payload bytes by direction.", "direction"),
		writeCalls:     desc("socketio_write_calls_total", "Websocket write calls (frames out ÷ this = batching)."),
		slow:           desc("socketio_slow_consumer_closes_total", "Sessions closed because their outbound queue was full."),
		upgrades:       desc("socketio_upgrades_total", "Polling → websocket upgrades by result.", "result"),
		protoErrors:    desc("socketio_protocol_errors_total", "Sessions closed for protocol errors, bad packets or oversize payloads."),
		connects:       desc("socketio_connects_total", "Socket.IO CONNECTs by result (refused: bad token).", "result"),
		pingTimeouts:   desc("socketio_ping_timeouts_total", "Sessions closed by the Engine.IO heartbeat."),
		redisUp:        desc("redis_up", "1 while the Redis bridge is connected; 0 when down or not configured."),
		ipRefused:      desc("socketio_ip_refused_total", "Socket.IO sessions refused for -max-conns-per-ip."),
		pollsAbandoned: desc("socketio_polls_abandoned_total", "Polling sessions closed because the connection of their pending GET closed (a killed tab)."),
		rooms:          desc("rooms", "Rooms with an actor on this node (a socket here is in them, or a member's grace runs)."),
		roomMembers:    desc("room_members", "Members over all rooms of this node, as last published (a user in two rooms counts twice)."),
		roomUpdates:    desc("room_update_deliveries_total", "presence:update events handed to room members."),
		roomVersions:   desc("room_versions_total", "Room changes published (one per room version)."),
		roomChannels:   desc("room_channels", "Room channels this node subscribes to in Redis: the rooms its sockets are in (0 without Redis)."),
		watches:        desc("watches", "Watched users held, over all sockets (a socket watching 3 users counts 3)."),
		watchUpdates:   desc("watch_update_deliveries_total", "presence:watch_update events handed to watching sockets."),
		refusals:       desc("presence_refusals_total", "presence:* events refused, by ack code.", "code"),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.connections, c.usersOnline, c.pongs, c.sweeps, c.broadcasts, c.deliveries,
		c.fanout, c.binds, c.rateLimited, c.noPong, c.storeWrites, c.storeErrors, c.actorsLive, c.actorMessages,
		c.actorRestarts, c.mailbox, c.mailboxHWM, c.handle, c.sessions, c.frames, c.bytes, c.writeCalls, c.slow,
		c.upgrades, c.protoErrors, c.connects, c.pingTimeouts, c.redisUp, c.ipRefused, c.pollsAbandoned,
		c.rooms, c.roomMembers, c.roomUpdates, c.roomVersions, c.watches, c.watchUpdates, c.refusals, c.roomChannels} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	if sys := c.src.Actors; sys != nil {
		st := sys.Stats()
		gauge(c.connections, float64(st.ConnsAnonymous.Load()), "anonymous")
		gauge(c.connections, float64(st.ConnsBound.Load()), "bound")
		gauge(c.usersOnline, float64(st.UsersOnline.Load()))
		counter(c.pongs, st.Pongs.Load())
		counter(c.sweeps, st.Sweeps.Load())
		counter(c.broadcasts, st.Broadcasts.Load())
		counter(c.deliveries, st.Deliveries.Load())
		cum, n, sum := st.FanoutHistogram()
		buckets := map[float64]uint64{}
		for i, b := range actors.FanoutBuckets {
			buckets[float64(b)] = cum[i]
		}
		ch <- prometheus.MustNewConstHistogram(c.fanout, n, float64(sum), buckets)
		counter(c.binds, st.Binds.Load(), "ok")
		counter(c.binds, st.BindsRefused.Load(), "refused")
		counter(c.binds, st.BindsTooMany.Load(), "too_many_connections")
		counter(c.rateLimited, st.RateLimited.Load())
		counter(c.noPong, st.NoPongCloses.Load())
		counter(c.storeWrites, st.StoreWrites.Load())
		counter(c.storeErrors, st.StoreErrors.Load())
		gauge(c.rooms, float64(sys.KindStats(actors.KindRoom).Live.Load()))
		gauge(c.roomMembers, float64(st.RoomMembers.Load()))
		counter(c.roomUpdates, st.RoomUpdates.Load())
		counter(c.roomVersions, st.RoomVersions.Load())
		gauge(c.watches, float64(st.Watches.Load()))
		gauge(c.roomChannels, float64(st.RoomChannels.Load()))
		counter(c.watchUpdates, st.WatchUpdates.Load())
		for _, code := range actors.RefusalCodes() {
			counter(c.refusals, st.Refused(code), code)
		}
		for _, k := range actors.Kinds() {
			ks, name := sys.KindStats(k), k.String()
			gauge(c.actorsLive, float64(ks.Live.Load()), name)
			counter(c.actorMessages, ks.Handled.Load(), name)
			counter(c.actorRestarts, ks.Restarts.Load(), name)
			gauge(c.mailbox, float64(max(ks.Queued.Load(), 0)), name)
			gauge(c.mailboxHWM, float64(ks.HighWater()), name)
			cum, n, sum := ks.HandleHistogram()
			hb := map[float64]uint64{}
			for i, b := range actors.HandleBuckets {
				hb[b.Seconds()] = cum[i]
			}
			ch <- prometheus.MustNewConstHistogram(c.handle, n, sum.Seconds(), hb, name)
		}
	}
	if c.src.Sockets != nil {
		s := c.src.Sockets()
		gauge(c.sessions, float64(s.SessionsPolling), "polling")
		gauge(c.sessions, float64(s.SessionsWebsocket), "websocket")
		counter(c.frames, s.FramesIn, "in")
		counter(c.frames, s.FramesOut, "out")
		counter(c.bytes, s.BytesIn, "in")
		counter(c.bytes, s.BytesOut, "out")
		counter(c.writeCalls, s.WriteCalls)
		counter(c.slow, s.SlowConsumers)
		counter(c.upgrades, s.Upgrades, "ok")
		counter(c.upgrades, s.UpgradeFailures, "failed")
		counter(c.protoErrors, s.ProtocolErrors)
		counter(c.connects, s.Connects, "accepted")
		counter(c.connects, s.ConnectsRefused, "refused")
		counter(c.pingTimeouts, s.PingTimeouts)
		counter(c.ipRefused, s.IPRefused)
		counter(c.pollsAbandoned, s.PollsAbandoned)
	}
	up := 0.0
	if c.src.RedisUp != nil && c.src.RedisUp() {
		up = 1
	}
	gauge(c.redisUp, up)
}
