package ws

import "sync/atomic"

// Stats is a snapshot of a Server's counters. Gauges are current values;
// everything else counts since NewServer.
type Stats struct {
	SessionsPolling   int64 // gauge: engine sessions on long-polling
	SessionsWebsocket int64 // gauge: engine sessions on websocket
	Handshakes        uint64
	Connects          uint64 // Socket.IO CONNECTs accepted by the Handler
	ConnectsRefused   uint64 // … refused by the Handler (CONNECT_ERROR)
	FramesIn          uint64 // Engine.IO packets received
	BytesIn           uint64
	FramesOut         uint64 // Engine.IO packets written
	BytesOut          uint64
	WriteCalls        uint64 // websocket write syscalls (FramesOut/WriteCalls = batching)
	SlowConsumers     uint64 // sessions closed because their queue was full
	Upgrades          uint64 // polling→websocket upgrades completed
	UpgradeFailures   uint64
	ProtocolErrors    uint64 // sessions closed for parse/protocol errors or oversize payloads
	PingTimeouts      uint64
	PollsAbandoned    uint64 // polling sessions closed because a pending GET's connection went away
	IPRefused         uint64 // sessions refused by Config.MaxConnsPerIP (429 or CONNECT_ERROR)
	BinaryRefused     uint64 // sessions closed (closereason.ProtocolError) for a binary Socket.IO packet: not supported
}

type counters struct {
	polling, websocket                          atomic.Int64
	handshakes, connects, refused               atomic.Uint64
	framesIn, bytesIn, framesOut, bytesOut      atomic.Uint64
	writeCalls, slow, upgrades, upgradeFailures atomic.Uint64
	protocolErrors, pingTimeouts, binaryRefused atomic.Uint64
	pollsAbandoned, ipRefused                   atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		SessionsPolling:   c.polling.Load(),
		SessionsWebsocket: c.websocket.Load(),
		Handshakes:        c.handshakes.Load(),
		Connects:          c.connects.Load(),
		ConnectsRefused:   c.refused.Load(),
		FramesIn:          c.framesIn.Load(),
		BytesIn:           c.bytesIn.Load(),
		FramesOut:         c.framesOut.Load(),
		BytesOut:          c.bytesOut.Load(),
		WriteCalls:        c.writeCalls.Load(),
		SlowConsumers:     c.slow.Load(),
		Upgrades:          c.upgrades.Load(),
		UpgradeFailures:   c.upgradeFailures.Load(),
		ProtocolErrors:    c.protocolErrors.Load(),
		PingTimeouts:      c.pingTimeouts.Load(),
		PollsAbandoned:    c.pollsAbandoned.Load(),
		IPRefused:         c.ipRefused.Load(),
		BinaryRefused:     c.binaryRefused.Load(),
	}
}
