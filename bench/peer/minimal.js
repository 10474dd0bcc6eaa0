'use strict';
// minimal.js — the leanness check of the peer, not a reference: the least a socket.io 4.8
// server can do for the load generator's sockets mode (pongs-*, idle-*), to measure what
// bench/peer's contract costs on top of socket.io itself. The runner runs it in place of
// server.js with -peer-js minimal.js (bench/README.md, "The peer: as lean as socket.io 4.8
// allows"); seeding still runs server.js, whose tokens this server takes unchecked.
//   - Socket.IO at /socket.io/ with socket.io's defaults (ws engine, no compression, Engine.IO
//     ping every 25 s); every CONNECT is accepted, whatever its auth.
//   - Each socket gets one server-action:update_user_online carrying users (the load
//     generator's "settled") on connection.
//   - The sweep: server-action:ping {message, seq, ts} to every socket every -ping-interval;
//     ng-action pongs counted, nothing else (no liveness, no rate limit, no binding, no
//     presence, no database).
//   - GET /metrics: presenced_pongs_total.
// Flags: presenced's; all but -addr and -ping-interval are ignored.

const http = require('node:http');
const { Server } = require('socket.io');

let addr = '127.0.0.1:8888';
let pingInterval = 10000;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  let [k, v] = argv[i].replace(/^--?/, '').split(/=(.*)/s);
  if (v === undefined) v = argv[++i];
  if (k === 'addr') addr = v;
  if (k === 'ping-interval') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v);
    if (!m) throw new Error(`bad duration ${v}`);
    pingInterval = Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2]];
  }
}

let pongs = 0;
let seq = 0;
const httpServer = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/metrics') {
    const body = `# TYPE presenced_pongs_total counter\npresenced_pongs_total ${pongs}\n`;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': Buffer.byteLength(body) });
    return res.end(body);
  }
  res.writeHead(404, { 'Content-Length': 0 });
  res.end();
});
const io = new Server(httpServer, { serveClient: false });

io.on('connection', (socket) => {
  socket.emit('server-action:update_user_online', { version: 1, count: 1, joined: [], left: [], users: [] });
  socket.on('ng-action', (data) => {
    if (data && data.action === 'pong') pongs++;
  });
});

setInterval(() => {
  seq++;
  io.emit('server-action:ping', { message: 'ping', seq, ts: Date.now() });
}, pingInterval);

const i = addr.lastIndexOf(':');
httpServer.listen(Number(addr.slice(i + 1)), addr.slice(0, i) || '0.0.0.0', () => {
  const a = httpServer.address();
  console.error(`minimal peer listening addr=${a.address}:${a.port} node=${process.version} socket.io=${require('socket.io/package.json').version}`);
});
process.on('SIGTERM', () => { io.close(); process.exit(0); });
process.on('SIGINT', () => process.exit(0));
