// Drives the real socket.io-client against a presenced ws test server.
// Usage: node client.js <scenario>; env URL (origin), WSPATH (e.g. /socket.io/),
// TRANSPORTS (comma list, empty = client default), N (for "many").
// Prints "OK <step>" lines; exits 0 on success, 1 with a message on failure.
const { io } = require("socket.io-client");

const URL = process.env.URL;
const WSPATH = process.env.WSPATH || "/socket.io/";
const TRANSPORTS = process.env.TRANSPORTS ? process.env.TRANSPORTS.split(",") : undefined;

function opts(extra) {
  const o = { path: WSPATH, reconnectionDelay: 100, reconnectionDelayMax: 200, forceNew: true, ...extra };
  if (TRANSPORTS) o.transports = TRANSPORTS;
  return o;
}
const ok = (step) => console.log("OK " + step);
function fail(msg) { throw new Error(msg); }
function once(emitter, ev, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout waiting for " + ev)), ms);
    emitter.once(ev, (...a) => { clearTimeout(t); resolve(a); });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function basic() {
  const s = io(URL, opts({ auth: { token: "good" } }));
  const welcome = once(s, "welcome");
  await once(s, "connect");
  const [w] = await welcome;
  if (w.id !== s.id) fail("welcome id " + JSON.stringify(w) + " vs " + s.id);
  ok("connect " + s.io.engine.transport.name);

  const echo = await s.timeout(3000).emitWithAck("echo", { a: 1 }, "two");
  if (JSON.stringify(echo) !== '{"a":1}') fail("echo ack " + JSON.stringify(echo));
  ok("ack client->server");

  s.once("question", (q, cb) => {
    if (q.q !== "meaning") fail("question " + JSON.stringify(q));
    cb({ a: 42 });
  });
  const answer = once(s, "answer-ok");
  s.emit("ask");
  await answer;
  ok("ack server->client");

  const want = TRANSPORTS ? TRANSPORTS[TRANSPORTS.length - 1] : "websocket";
  for (let i = 0; i < 100 && s.io.engine.transport.name !== want; i++) await sleep(20);
  if (s.io.engine.transport.name !== want) fail("transport " + s.io.engine.transport.name + ", want " + want);
  const who = await s.timeout(3000).emitWithAck("whoami");
  if (who.id !== s.id || who.transport !== want) fail("whoami " + JSON.stringify(who));
  ok("transport " + want);

  // Several heartbeats pass (server pings every 150 ms) without trouble.
  let pings = 0;
  s.io.engine.on("ping", () => pings++);
  await sleep(700);
  if (pings < 2) fail("pings " + pings);
  if (!s.connected) fail("dropped during heartbeats");
  ok("heartbeat");

  // Server closes the transport: the client reconnects by itself.
  const oldId = s.id;
  const disc = once(s, "disconnect");
  s.emit("drop");
  const [reason] = await disc;
  if (reason !== "transport close") fail("drop reason " + reason);
  await once(s, "connect");
  if (s.id === oldId) fail("same id after reconnect");
  ok("reconnect");

  // Server DISCONNECT: no reconnection.
  const disc2 = once(s, "disconnect");
  s.emit("bye");
  const [reason2] = await disc2;
  if (reason2 !== "io server disconnect") fail("bye reason " + reason2);
  if (s.active) fail("active after io server disconnect");
  await sleep(300);
  if (s.connected) fail("reconnected after io server disconnect");
  ok("server disconnect");
}

async function authfail() {
  const s = io(URL, opts({ auth: { token: "bad" } }));
  let errors = 0;
  s.on("connect_error", () => errors++);
  const [err] = await once(s, "connect_error");
  if (err.message !== "invalid token") fail("message " + err.message);
  if (!err.data || err.data.code !== "invalid_token") fail("data " + JSON.stringify(err.data));
  if (s.active !== false) fail("socket still active");
  await sleep(1000);
  if (errors !== 1) fail("connect_error " + errors + " times");
  ok("auth refused");
  // After a refusal the application may retry with a good token.
  s.auth = { token: "good" };
  s.connect();
  await once(s, "connect");
  ok("retry with good token");
  s.disconnect();
}

async function namespace() {
  const root = io(URL, opts({ forceNew: false }));
  await once(root, "connect");
  const admin = io(URL + "/admin", opts({ forceNew: false }));
  const [err] = await once(admin, "connect_error");
  if (err.message !== "Invalid namespace") fail("admin: " + err.message);
  ok("invalid namespace");
  const echo = await root.timeout(3000).emitWithAck("echo", "still here");
  if (echo !== "still here") fail("root echo " + echo);
  ok("root still works");
  root.disconnect();
}

async function many() {
  const n = parseInt(process.env.N || "1000", 10);
  const sockets = [];
  const errs = {};
  let got = 0;
  const all = new Promise((resolve) => {
    for (let i = 0; i < n; i++) {
      const o = opts({ auth: { token: "good" } });
      if (!TRANSPORTS) o.transports = i % 2 ? ["websocket"] : ["polling", "websocket"];
      const s = io(URL, o);
      s.on("connect_error", (e) => { errs[e.message + " " + (e.description && e.description.message || e.description || "")] = (errs[e.message] || 0) + 1; });
      s.on("news", (d) => { if (d.n === 7 && ++got === n) resolve(); });
      sockets.push(s);
    }
  });
  await Promise.all(sockets.map((s) => (s.connected ? null : once(s, "connect", 60000))));
  ok("connected " + n);
  if (Object.keys(errs).length) console.log("connect errors " + JSON.stringify(errs));
  const sent = await sockets[0].timeout(10000).emitWithAck("bcast", { n: 7 });
  if (sent !== n) fail("broadcast reached " + sent + " conns, want " + n);
  await Promise.race([all, sleep(20000).then(() => fail("news received by " + got + "/" + n))]);
  ok("broadcast received " + got);
  for (const s of sockets) s.disconnect();
}

const scenarios = { basic, authfail, namespace, many };
const name = process.argv[2];
if (!scenarios[name]) { console.error("unknown scenario " + name); process.exit(2); }
const guard = setTimeout(() => { console.error("scenario timeout"); process.exit(1); }, 60000);
scenarios[name]().then(
  () => { clearTimeout(guard); process.exit(0); },
  (e) => { console.error("FAIL", e && e.stack || e); process.exit(1); },
);
