// identity.js: sockets bound by a token are that token's user (issue: trust).
// SOCKETS: [{name, user, token, mode: "auth"|"action", transport, forged}]
// REVOKED: the tokens the Go test logs out when asked "revoke".
"use strict";
const { io } = require("socket.io-client");
const { URL, run, assert, waitFor, sleep, ask } = require("./lib");

const specs = JSON.parse(process.env.SOCKETS);
const revoked = new Set(JSON.parse(process.env.REVOKED));
const socks = [];

function open(spec) {
  const opts = { path: "/websocket/", forceNew: true, reconnection: false, transports: [spec.transport] };
  if (spec.mode === "auth") opts.auth = { token: spec.token };
  const s = { spec, loggedOut: [], errors: [], socket: io(URL, opts) };
  s.socket.on("server-action:logged_out", (e) => s.loggedOut.push(e));
  s.socket.on("server-action:error", (e) => s.errors.push(e));
  s.socket.on("server-action:ping", (p) => {
    s.socket.emit("ng-action", { action: "pong", socket_id: s.socket.id, token: s.bound ? spec.token : null, seq: p.seq });
  });
  socks.push(s);
  return new Promise((resolve, reject) => {
    s.socket.once("connect", () => {
      if (spec.mode === "auth") { s.bound = true; return resolve(s); }
      s.socket.emit("ng-action", { action: "login", token: spec.token }, (ack) => {
        s.ack = ack;
        s.bound = ack && ack.ok === true;
        resolve(s);
      });
    });
    s.socket.once("connect_error", (e) => { s.connectError = e; resolve(s); });
    setTimeout(() => reject(new Error(`${spec.name}: no connect within 10 s`)), 10000);
  });
}

run([
  ["every socket connects or is refused as its token deserves", async () => {
    await Promise.all(specs.map(open));
    for (const s of socks) {
      const { name, forged, mode } = s.spec;
      if (forged && mode === "auth") {
        assert(s.connectError && s.connectError.message === "invalid token", `${name}: forged auth token connected (${s.connectError})`);
      } else if (forged) {
        assert(s.ack && s.ack.ok === false && s.ack.code === "invalid_token", `${name}: forged login answered ${JSON.stringify(s.ack)}`);
      } else if (mode === "auth") {
        assert(!s.connectError, `${name}: refused: ${s.connectError}`);
      } else {
        assert(s.ack && s.ack.ok === true, `${name}: login answered ${JSON.stringify(s.ack)}`);
      }
    }
  }],
  ["the online list is exactly the users whose sockets are bound", async () => {
    const answer = await ask("bound");
    assert(answer === "ok", answer);
  }],
  ["revoking tokens logs out exactly the sockets they bound", async () => {
    const answer = await ask("revoke");
    assert(answer === "ok", answer);
    const bound = socks.filter((s) => s.bound);
    const hit = bound.filter((s) => revoked.has(s.spec.token));
    assert(hit.length > 0, "no socket was bound by a revoked token");
    await waitFor("logged_out on every socket of a revoked token", 5000, () => hit.every((s) => s.loggedOut.length > 0));
    await sleep(1000); // anything wrongly sent would have arrived by now
    for (const s of bound) {
      const want = revoked.has(s.spec.token) ? 1 : 0;
      assert(s.loggedOut.length === want, `${s.spec.name} (user ${s.spec.user}) got ${s.loggedOut.length} logged_out, want ${want}`);
      if (want) assert(s.loggedOut[0].reason === "logout", `${s.spec.name}: reason ${s.loggedOut[0].reason}`);
    }
  }],
  ["close", async () => { for (const s of socks) s.socket.disconnect(); }],
]);
