// Rooms and watchlists (issue: scoped presence) with the real socket.io-client against
// the real binary. Env: URL, USERS (JSON {name: {id, token}}), STAFF ({id, token}),
// SECRET (the server's -jwt-secret: this script plays the application's backend and
// signs room tokens), GRACE_MS, LIST_MAX, MAX_ROOMS, SCENARIO (main | global-count |
// global-off | nodes), NODES (JSON [url1, url2, url3], for nodes: three nodes over one
// Redis; the Go test answers ASK lines: kill node 3, read the event stream, metrics).
"use strict";
const crypto = require("crypto");
const { Client, URL, sleep, waitFor, run, assert, ask } = require("./lib");

const users = JSON.parse(process.env.USERS);
const STAFF = process.env.STAFF ? JSON.parse(process.env.STAFF) : null;
const SECRET = process.env.SECRET;
const GRACE = Number(process.env.GRACE_MS);
const LIST_MAX = Number(process.env.LIST_MAX);
const MAX_ROOMS = Number(process.env.MAX_ROOMS);
const SCENARIO = process.env.SCENARIO || "main";

// roomToken is what an application's backend does: an HS256 JWT {sub, room, exp}
// signed with the server's secret.
const b64u = (s) => Buffer.from(s).toString("base64url");
function roomToken(userID, room, { expIn = 3600, alg = "HS256", secret = SECRET } = {}) {
  const head = b64u(JSON.stringify({ alg, typ: "JWT" }));
  const body = b64u(JSON.stringify({ sub: String(userID), room, exp: Math.floor(Date.now() / 1000) + expIn }));
  const sig = alg === "none" ? "" : crypto.createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

// Tab is a browser tab that keeps every room it joined as the contract says a client
// may: the ack's list, then diffs whose versions must be consecutive, counts in count
// mode, the whole list when the room comes back to list mode.
class Tab extends Client {
  constructor(name, opts = {}) {
    super(name, { auth: true, ...opts });
    this.rooms = new Map();
    this.roomLog = [];
    this.watchLog = [];
    this.socket.on("presence:update", (u) => this.onRoom(u));
    this.socket.on("presence:watch_update", (u) => this.watchLog.push({ at: Date.now(), ...u }));
  }
  async call(event, payload) {
    return payload === undefined ? this.socket.timeout(3000).emitWithAck(event) : this.socket.timeout(3000).emitWithAck(event, payload);
  }
  async join(room, extra = {}) {
    const ack = await this.call("presence:join", { room, ...extra });
    if (ack.ok) {
      assert(ack.room === room && typeof ack.version === "number" && typeof ack.count === "number", `${this.name}: join ack ${JSON.stringify(ack)}`);
      const members = ack.mode === "list" ? new Map(ack.users.map((u) => [u.id, u])) : null;
      assert(ack.mode === "count" ? ack.users === undefined : members.size === ack.count, `${this.name}: join ack ${JSON.stringify(ack)}`);
      this.rooms.set(room, { mode: ack.mode, version: ack.version, count: ack.count, members });
    }
    return ack;
  }
  async leave(room) {
    const ack = await this.call("presence:leave", { room });
    if (ack.ok) this.rooms.delete(room);
    return ack;
  }
  onRoom(u) {
    this.roomLog.push({ at: Date.now(), ...u });
    const r = this.rooms.get(u.room);
    if (!r) { this.problems.push(`${this.name}: an update of ${u.room}, not joined`); return; }
    if (u.mode === "count") {
      if ("users" in u || "joined" in u) this.problems.push(`${this.name}: a count update with a list`);
      if (u.version < r.version) this.problems.push(`${this.name}: ${u.room} count version went back ${r.version} → ${u.version}`);
      Object.assign(r, { mode: "count", version: u.version, count: u.count, members: null });
      return;
    }
    if (!Array.isArray(u.joined) || !Array.isArray(u.left) || !Array.isArray(u.changed)) this.problems.push(`${this.name}: update without its arrays ${JSON.stringify(u)}`);
    if (u.users) {
      r.members = new Map(u.users.map((x) => [x.id, x]));
    } else {
      if (r.mode !== "list") { this.problems.push(`${this.name}: ${u.room}: a diff in count mode`); return; }
      if (u.version !== r.version + 1) this.problems.push(`${this.name}: ${u.room} version gap ${r.version} → ${u.version}`);
      for (const x of u.joined) r.members.set(x.id, x);
      for (const id of u.left) r.members.delete(id);
    }
    Object.assign(r, { mode: "list", version: u.version, count: u.count });
    if (r.members.size !== u.count) this.problems.push(`${this.name}: ${u.room} count ${u.count}, list ${r.members.size}`);
  }
  in(room, id) { const r = this.rooms.get(room); return !!r && r.members !== null && r.members.has(id); }
  ids(room) { const r = this.rooms.get(room); return r && r.members ? [...r.members.keys()].sort((a, b) => a - b) : null; }
  updatesOf(room, since = 0) { return this.roomLog.filter((u) => u.room === room && u.at >= since); }
}

const tabs = [];
const tab = (name, user, opts) => { const t = new Tab(name, { token: user ? user.token : null, ...opts }); tabs.push(t); return t; };
const noProblems = () => { for (const t of tabs) assert(t.problems.length === 0, t.problems.join("; ")); };
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
async function api(path, { token, method = "GET", body, headers = {}, base = URL } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Token ${token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const res = await fetch(`${base}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

const { alice, bob, carol, dave, erin, frank, gina, hank } = users;
let a1, a2, b1, c1, d1, e1, g1;

const main = [
  ["several users and tabs join a public room; acks list the room, joiner included; members get diffs", async () => {
    a1 = tab("alice-1", alice); // polling first, then the upgrade
    a2 = tab("alice-2", alice, { transports: ["websocket"], path: "/socket.io/" });
    b1 = tab("bob-1", bob);
    await Promise.all([a1, a2, b1].map((t) => t.connected()));
    let ack = await a1.join("public:lobby");
    assert(ack.ok && ack.mode === "list" && same(a1.ids("public:lobby"), [alice.id]), `alice's ack ${JSON.stringify(ack)}`);
    ack = await a2.join("public:lobby");
    assert(ack.ok && ack.count === 1, `alice's second tab: one entry for two tabs, got ${JSON.stringify(ack)}`);
    ack = await b1.join("public:lobby");
    assert(same(b1.ids("public:lobby"), sorted([alice.id, bob.id])), `bob's ack ${JSON.stringify(ack)}`);
    await waitFor("alice's tabs to see bob", 2000, () => a1.in("public:lobby", bob.id) && a2.in("public:lobby", bob.id));
    assert(b1.updatesOf("public:lobby").length === 0, "bob got the diff his ack already held");
  }],
  ["a private room needs a room token for that room and that user (signed by the backend, or by staff over HTTP)", async () => {
    c1 = tab("carol-1", carol);
    await c1.connected();
    let ack = await a1.join("team:red", { token: roomToken(alice.id, "team:red") });
    assert(ack.ok && ack.count === 1, `alice with her token: ${JSON.stringify(ack)}`);
    const staffIssued = await api("/api/rooms/token/", { method: "POST", token: STAFF.token, body: { room: "team:red", user_id: carol.id } });
    assert(staffIssued.status === 200 && staffIssued.json.token, `staff token endpoint: ${staffIssued.status} ${staffIssued.text}`);
    const notStaff = await api("/api/rooms/token/", { method: "POST", token: bob.token, body: { room: "team:red", user_id: bob.id } });
    assert(notStaff.status === 403 && notStaff.json.detail === "You do not have permission to perform this action.", `non-staff: ${notStaff.status} ${notStaff.text}`);
    ack = await c1.join("team:red", { token: staffIssued.json.token });
    assert(ack.ok && same(c1.ids("team:red"), sorted([alice.id, carol.id])), `carol with the staff's token: ${JSON.stringify(ack)}`);
    await waitFor("alice sees carol in team:red", 2000, () => a1.in("team:red", carol.id));
  }],
  ["a socket may ask for count mode: {version, count}, no list, at most once a second", async () => {
    d1 = tab("dave-1", dave);
    await d1.connected();
    const ack = await d1.join("public:lobby", { mode: "count" });
    assert(ack.ok && ack.mode === "count" && ack.count === 3 && ack.users === undefined, `dave's count ack ${JSON.stringify(ack)}`);
    await waitFor("alice sees dave (list mode)", 2000, () => a1.in("public:lobby", dave.id));
    e1 = tab("erin-1", erin);
    await e1.connected();
    await e1.join("public:lobby");
    await waitFor("dave's count of 4", 2500, () => d1.rooms.get("public:lobby").count === 4);
    const counts = d1.updatesOf("public:lobby");
    for (let i = 1; i < counts.length; i++) assert(counts[i].at - counts[i - 1].at >= 900, `two count updates ${counts[i].at - counts[i - 1].at} ms apart`);
  }],
  [`above -room-list-max (${LIST_MAX}) every member is in count mode; back below it, the whole list again`, async () => {
    const f1 = tab("frank-1", frank);
    g1 = tab("gina-1", gina);
    await Promise.all([f1.connected(), g1.connected()]);
    const members = [a1, b1, c1, d1, e1]; // 5 users
    for (const t of members) assert((await t.join("public:big")).ok, `${t.name} could not join public:big`);
    assert(members.every((t) => t.rooms.get("public:big").mode === "list") || LIST_MAX < 5, "list mode below the threshold");
    await waitFor("everyone sees five", 2000, () => members.every((t) => t.rooms.get("public:big").count === 5));
    const ack = await f1.join("public:big"); // the sixth
    assert(ack.ok && ack.mode === "count" && ack.count === 6, `the sixth's ack ${JSON.stringify(ack)}`);
    await waitFor("the switch to count mode", 2500, () => members.every((t) => t.rooms.get("public:big").mode === "count" && t.rooms.get("public:big").count === 6));
    const since = Date.now();
    assert((await f1.leave("public:big")).ok, "frank's leave");
    await waitFor("the whole list after frank's grace", GRACE + 2500, () => [a1, b1, c1, e1].every((t) => t.rooms.get("public:big").mode === "list"));
    const back = a1.updatesOf("public:big", since).find((u) => u.mode === "list");
    assert(back && Array.isArray(back.users) && back.users.length === 5, `the update back to list mode: ${JSON.stringify(back)}`);
    for (const t of [a1, b1, c1, e1]) assert(same(t.ids("public:big"), sorted([alice.id, bob.id, carol.id, dave.id, erin.id])), `${t.name}'s list after the switch back: ${t.ids("public:big")}`);
    assert(d1.rooms.get("public:big").mode === "list", "dave asked for list mode in public:big: back to lists too");
    f1.close();
  }],
  ["the last tab's leave or close takes effect after -offline-grace; another tab, or a reload inside it, shows nothing", async () => {
    let since = Date.now();
    a2.close(); // alice's other tab is still in the lobby
    await sleep(GRACE + 300);
    assert(!b1.updatesOf("public:lobby", since).some((u) => u.left && u.left.includes(alice.id)), "bob saw alice leave while her other tab is in");
    since = Date.now();
    b1.close();
    const at = await waitFor("alice sees bob leave", GRACE + 1000, () => !a1.in("public:lobby", bob.id));
    assert(at - since >= GRACE - 50, `bob left the room ${at - since} ms after closing, before the grace`);
    console.log(`     bob left the lobby ${at - since} ms after closing (grace ${GRACE} ms)`);
    // carol reloads: her tab closes and a new one joins her rooms again inside the grace.
    since = Date.now();
    c1.close();
    c1 = tab("carol-2", carol);
    await c1.connected();
    assert((await c1.join("public:big")).ok && (await c1.join("team:red", { token: roomToken(carol.id, "team:red") })).ok, "carol's rejoins");
    await sleep(GRACE + 300);
    for (const room of ["public:big", "team:red"]) {
      assert(!a1.updatesOf(room, since).some((u) => (u.left || []).includes(carol.id) || (u.joined || []).some((x) => x.id === carol.id)), `alice saw carol's reload in ${room}`);
      assert(a1.in(room, carol.id), `carol missing from ${room} after her reload`);
    }
  }],
  ["a watchlist: a snapshot of the ids asked, then diffs; watching makes nobody visible", async () => {
    const ack = await g1.call("presence:watch", { users: [dave.id, hank.id, 999999] });
    assert(ack.ok && ack.users.length === 2, `watch ack ${JSON.stringify(ack)}`);
    const [d, h] = ack.users;
    assert(d.id === dave.id && d.online === true && d.status === "online", `dave ${JSON.stringify(d)}`);
    assert(h.id === hank.id && h.online === false && h.status === "offline" && "last_seen" in h, `hank ${JSON.stringify(h)}`);
    const online = await api("/api/users/online/", { token: gina.token });
    assert(!online.json.users.some((u) => u.id === hank.id), "a watch put hank online");
    const h1 = tab("hank-1", hank);
    await waitFor("hank online for gina", 2000, () => g1.watchLog.some((u) => u.users.some((x) => x.id === hank.id && x.online)));
    const since = Date.now();
    h1.close();
    await waitFor("hank offline for gina", GRACE + 1500, () => g1.watchLog.some((u) => u.at >= since && u.users.some((x) => x.id === hank.id && !x.online && typeof x.last_seen === "string")));
    assert((await g1.call("presence:unwatch", {})).ok, "unwatch all");
    const quiet = Date.now();
    const h2 = tab("hank-2", hank);
    await h2.connected();
    await sleep(500);
    assert(!g1.watchLog.some((u) => u.at >= quiet), "a watch update after unwatching all");
    h2.close();
  }],
  ["bad input: an ack with the contract's code each, the socket stays open, nothing else changes", async () => {
    const anon = tab("anonymous", null);
    await anon.connected();
    const lobbyBefore = a1.updatesOf("public:lobby").length, redBefore = a1.updatesOf("team:red").length;
    const cases = [
      [anon, "presence:join", { room: "public:lobby" }, "unauthorized"],
      [anon, "presence:leave", { room: "public:lobby" }, "unauthorized"],
      [anon, "presence:watch", { users: [1] }, "unauthorized"],
      [anon, "presence:unwatch", {}, "unauthorized"],
      [e1, "presence:join", { room: "a b" }, "bad_request"],
      [e1, "presence:join", { room: "" }, "bad_request"],
      [e1, "presence:join", { room: "x".repeat(129) }, "bad_request"],
      [e1, "presence:join", { room: 7 }, "bad_request"],
      [e1, "presence:join", undefined, "bad_request"],
      [e1, "presence:join", "public:lobby", "bad_request"],
      [e1, "presence:join", { room: "public:lobby", mode: "everything" }, "bad_request"],
      [e1, "presence:join", { room: "team:red" }, "forbidden"],
      [e1, "presence:join", { room: "team:red", token: "forged.token.value" }, "forbidden"],
      [e1, "presence:join", { room: "team:red", token: roomToken(erin.id, "team:red", { secret: "another-secret-another-secret-!!" }) }, "forbidden"],
      [e1, "presence:join", { room: "team:red", token: roomToken(erin.id, "team:blue") }, "forbidden"],
      [e1, "presence:join", { room: "team:red", token: roomToken(alice.id, "team:red") }, "forbidden"],
      [e1, "presence:join", { room: "team:red", token: roomToken(erin.id, "team:red", { expIn: -60 }) }, "forbidden"],
      [e1, "presence:join", { room: "team:red", token: roomToken(erin.id, "team:red", { alg: "none" }) }, "forbidden"],
      [e1, "presence:join", { room: "team:red", token: erin.token }, "forbidden"],
      [e1, "presence:watch", { users: Array.from({ length: 10000 }, (_, i) => i + 1) }, "too_many_watched"],
      [e1, "presence:watch", { users: ["1", "2"] }, "bad_request"],
      [e1, "presence:watch", { users: [1.5] }, "bad_request"],
      [e1, "presence:watch", {}, "bad_request"],
      [e1, "presence:unwatch", { users: [-1] }, "bad_request"],
      [e1, "presence:leave", { room: "a/b" }, "bad_request"],
    ];
    for (const [t, event, payload, code] of cases) {
      await sleep(110); // within the socket's presence:* rate (10/s)
      const r = await t.call(event, payload);
      assert(r.ok === false && r.code === code && typeof r.message === "string", `${t.name} ${event} ${String(JSON.stringify(payload)).slice(0, 80)}: ${JSON.stringify(r)}, want ${code}`);
    }
    // Beyond -max-rooms-per-socket: erin is in 2 rooms (lobby, big).
    for (let i = 2; i < MAX_ROOMS; i++) {
      await sleep(110);
      assert((await e1.join(`public:extra-${i}`)).ok, `erin's room ${i + 1}`);
    }
    const tooMany = await e1.join("public:one-too-many");
    assert(tooMany.ok === false && tooMany.code === "too_many_rooms", `room ${MAX_ROOMS + 1}: ${JSON.stringify(tooMany)}`);
    assert((await e1.join("public:lobby")).ok, "a room it is in may be joined again");
    // A flood: the per-socket bucket runs dry, refused events are acked rate_limited.
    const flood = await Promise.all(Array.from({ length: 60 }, () => e1.call("presence:leave", { room: "public:nowhere" })));
    const limited = flood.filter((r) => r.code === "rate_limited").length;
    assert(limited > 0 && flood.every((r) => r.ok || r.code === "rate_limited"), `flood: ${limited} of 60 limited`);
    await sleep(300);
    assert(anon.socket.connected && e1.socket.connected, "a refusal closed the socket");
    assert(anon.errors.length === 0 && e1.errors.length === 0, `error events: ${JSON.stringify(e1.errors)}`);
    assert(a1.updatesOf("team:red").length === redBefore, "team:red changed");
    assert(a1.updatesOf("public:lobby").length === lobbyBefore, "the lobby changed (erin's re-join is no change)");
    assert(Number(await ask("metric:forbidden")) === 8, "forbidden refusals counted");
    anon.close();
  }],
  ["HTTP: a room's presence (X-Room-Token unless public), users' presence", async () => {
    const lobby = await api("/api/rooms/public:lobby/presence/", { token: alice.token });
    const view = a1.rooms.get("public:lobby");
    assert(lobby.status === 200 && lobby.json.room === "public:lobby" && lobby.json.version === view.version && lobby.json.count === view.count &&
      same(lobby.json.users.map((u) => u.id), a1.ids("public:lobby")), `lobby ${lobby.status} ${lobby.text} vs v${view.version} ${a1.ids("public:lobby")}`);
    assert((await api("/api/rooms/public:lobby/presence/")).status === 401, "no token: 401");
    const red = (tok) => api("/api/rooms/team:red/presence/", { token: alice.token, headers: tok ? { "X-Room-Token": tok } : {} });
    let r = await red(roomToken(alice.id, "team:red"));
    assert(r.status === 200 && same(r.json.users.map((u) => u.id), a1.ids("team:red")), `team:red with a token: ${r.status} ${r.text}`);
    for (const [what, tok] of [["none", null], ["forged", "forged.token.value"], ["another room", roomToken(alice.id, "team:blue")],
      ["another user", roomToken(bob.id, "team:red")], ["another secret", roomToken(alice.id, "team:red", { secret: "another-secret-another-secret-!!" })]]) {
      r = await red(tok);
      assert(r.status === 403 && r.json.detail === "You do not have permission to perform this action.", `team:red, token ${what}: ${r.status} ${r.text}`);
    }
    r = await api(`/api/users/presence/?ids=${dave.id},${hank.id},999999`, { token: alice.token });
    assert(r.status === 200 && r.json.results.length === 2 && r.json.results[0].online === true && r.json.results[1].online === false &&
      typeof r.json.results[1].last_seen === "string", `users presence ${r.text}`);
    r = await api(`/api/users/presence/?ids=1,x`, { token: alice.token });
    assert(r.status === 400 && r.json.ids, `bad ids: ${r.status} ${r.text}`);
    r = await api(`/api/users/presence/?ids=${Array.from({ length: 1001 }, () => 1).join(",")}`, { token: alice.token });
    assert(r.status === 400 && r.json.ids, `1001 ids: ${r.status} ${r.text}`);
    // 1,000 ids of four digits do not fit the 4 KiB request head: fasthttp refuses the
    // request itself, still in DRF's shape and never a 500.
    r = await api(`/api/users/presence/?ids=${Array.from({ length: 1000 }, (_, i) => 1000 + i).join(",")}`, { token: alice.token });
    assert((r.status === 200 || r.status === 431) && r.json && (r.json.results || r.json.detail), `1,000 long ids: ${r.status} ${r.text}`);
  }],
  ["versions were consecutive in every list-mode room, every list matched its count", async () => { noProblems(); }],
];

// -global-presence count | off: update_user_online carries {version, count} or is not
// sent; rooms and watchlists work the same.
const global = [
  [`-global-presence ${SCENARIO.slice(7)}`, async () => {
    const x = tab("alice", alice), y = tab("bob", bob);
    x.apply = function (u) { this.updates.push({ at: Date.now(), ...u }); }; // no lists to keep
    y.apply = x.apply;
    await Promise.all([x.connected(), y.connected()]);
    assert((await x.join("public:r")).ok && (await y.join("public:r")).ok, "joins");
    await waitFor("alice sees bob in the room", 2000, () => x.in("public:r", bob.id));
    await sleep(600);
    if (SCENARIO === "global-off") {
      assert(x.updates.length === 0 && y.updates.length === 0, `update_user_online sent: ${JSON.stringify(x.updates)}`);
    } else {
      assert(x.updates.length >= 1 && y.updates.length >= 1, "no update_user_online");
      for (const u of [...x.updates, ...y.updates]) {
        const { at, ...rest } = u;
        assert(same(Object.keys(rest).sort(), ["count", "version"]), `update_user_online ${JSON.stringify(rest)}`);
      }
      assert(x.updates[x.updates.length - 1].count === 2, "the count");
    }
    const w = await x.call("presence:watch", { users: [bob.id] });
    assert(w.ok && w.users[0].online === true, `watch ${JSON.stringify(w)}`);
    noProblems();
  }],
];

// Three nodes over one Redis: a room's members, counts and watch answers are the
// cluster's; a node subscribes only to the rooms its sockets are in; a node killed
// without a goodbye has its memberships dropped with its lease, the leaves sent.
const NODES = process.env.NODES ? JSON.parse(process.env.NODES) : [];
const [n1, n2, n3] = NODES;
const onNode = (name, url, user, opts = {}) => tab(name, user, { url, ...opts });
let x1, x2, x3, w3;
const nodes = [
  ["members on three nodes (websocket and polling) join one room: every ack lists the cluster's room", async () => {
    x1 = onNode("alice@n1", n1, alice, { transports: ["websocket"], path: "/socket.io/" });
    x2 = onNode("bob@n2", n2, bob);
    x3 = onNode("carol@n3", n3, carol, { transports: ["polling"] });
    await Promise.all([x1, x2, x3].map((t) => t.connected()));
    assert((await x1.join("public:lobby")).ok, "alice's join");
    assert(same((await x2.join("public:lobby")).users.map((u) => u.id), sorted([alice.id, bob.id])), `bob's ack on n2: ${x2.ids("public:lobby")}`);
    assert(same((await x3.join("public:lobby")).users.map((u) => u.id), sorted([alice.id, bob.id, carol.id])), `carol's ack on n3: ${x3.ids("public:lobby")}`);
    await waitFor("everyone sees everyone", 3000, () => [x1, x2, x3].every((t) => same(t.ids("public:lobby"), sorted([alice.id, bob.id, carol.id]))));
  }],
  ["a user with tabs on two nodes is one member, and leaves with the last tab after the grace", async () => {
    const d1 = onNode("dave@n1", n1, dave), d2 = onNode("dave@n2", n2, dave);
    await Promise.all([d1.connected(), d2.connected()]);
    assert((await d1.join("public:lobby")).ok && (await d2.join("public:lobby")).ok, "dave's joins");
    await waitFor("dave seen on n3", 3000, () => x3.in("public:lobby", dave.id));
    assert(x3.rooms.get("public:lobby").count === 4, `count on n3 ${x3.rooms.get("public:lobby").count}`);
    let since = Date.now();
    d1.close();
    await sleep(GRACE + 500);
    assert([x1, x2, x3].every((t) => t.in("public:lobby", dave.id) && !t.updatesOf("public:lobby", since).some((u) => (u.left || []).includes(dave.id))),
      "dave left while his tab on n2 is in");
    since = Date.now();
    d2.close();
    const at = await waitFor("dave gone everywhere", GRACE + 2000, () => [x1, x2, x3].every((t) => !t.in("public:lobby", dave.id)));
    console.log(`     dave left the room on every node ${at - since} ms after his last tab closed (grace ${GRACE} ms)`);
  }],
  ["a private room across nodes; the HTTP read on a node with no socket in it answers from the cluster", async () => {
    assert((await x1.join("team:red", { token: roomToken(alice.id, "team:red") })).ok, "alice's join of team:red");
    const ack = await x2.join("team:red", { token: roomToken(bob.id, "team:red") });
    assert(ack.ok && same(x2.ids("team:red"), sorted([alice.id, bob.id])), `bob's team:red ack ${JSON.stringify(ack)}`);
    const r = await api("/api/rooms/team:red/presence/", { base: n3, token: carol.token, headers: { "X-Room-Token": roomToken(carol.id, "team:red") } });
    assert(r.status === 200 && r.json.count === 2 && same(r.json.users.map((u) => u.id), sorted([alice.id, bob.id])), `team:red read on n3: ${r.status} ${r.text}`);
    const channels = await ask("channels");
    assert(channels === "2,2,1", `room channels subscribed per node: ${channels} (want 2,2,1: n3 has a socket in the lobby only)`);
  }],
  ["a watchlist on one node follows users on the others", async () => {
    w3 = onNode("erin@n3", n3, erin);
    await w3.connected();
    const ack = await w3.call("presence:watch", { users: [alice.id, frank.id] });
    assert(ack.ok && ack.users.find((u) => u.id === alice.id).online === true && ack.users.find((u) => u.id === frank.id).online === false,
      `erin's watch on n3: ${JSON.stringify(ack)}`);
    const f = onNode("frank@n1", n1, frank);
    await waitFor("frank online for erin", 3000, () => w3.watchLog.some((u) => u.users.some((x) => x.id === frank.id && x.online)));
    const since = Date.now();
    f.close();
    await waitFor("frank offline for erin", GRACE + 2000, () => w3.watchLog.some((u) => u.at >= since && u.users.some((x) => x.id === frank.id && !x.online)));
  }],
  ["a node killed without a goodbye: its members leave every room within 15 s; the stream has the room joins and leaves", async () => {
    const t0 = Date.now();
    await ask("kill-n3");
    await waitFor("carol gone from the lobby on n1 and n2", 15000, () => [x1, x2].every((t) => !t.in("public:lobby", carol.id)));
    console.log(`     carol left the lobby ${Date.now() - t0} ms after node 3 was killed`);
    const stream = await ask("room-events");
    assert(stream === "ok", `the event stream: ${stream}`);
  }],
  ["versions were consecutive on every node, every list matched its count", async () => {
    for (const t of [x1, x2]) assert(t.problems.length === 0, t.problems.join("; "));
  }],
];

run(SCENARIO === "main" ? main : SCENARIO === "nodes" ? nodes : global).finally(() => tabs.forEach((t) => t.close()));
