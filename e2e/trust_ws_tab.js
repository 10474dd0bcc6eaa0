// One browser tab for trust_ws.js: connects with the given transports and token, answers
// the sweeps, prints "connected <transport>" and stays until killed. Env: URL, TOKEN,
// TRANSPORTS (comma list).
"use strict";
const { io } = require("socket.io-client");

const token = process.env.TOKEN;
const s = io(process.env.URL, {
  path: "/socket.io/", transports: process.env.TRANSPORTS.split(","), auth: { token },
  reconnection: false, forceNew: true,
});
s.on("connect", () => console.log(`connected ${s.io.engine.transport.name}`));
s.on("server-action:ping", (p) => s.emit("ng-action", { action: "pong", socket_id: s.id, token, seq: p.seq }));
s.on("connect_error", (e) => { console.log(`connect_error ${e.message}`); process.exit(1); });
setInterval(() => {}, 1 << 30);
