// Multi-node presence over Redis with the real socket.io-client against three real
// nodes. Env: NODES (JSON [url1,url2,url3]), USERS (JSON {name: {id, token}}), GRACE_MS.
// The Go test answers ASK lines (kill a node, stop/start Redis, publish, read the stream).
"use strict";
const { Client, sleep, waitFor, run, assert, ask } = require("./lib");

const [n1, n2, n3] = JSON.parse(process.env.NODES);
const users = JSON.parse(process.env.USERS);
const GRACE = Number(process.env.GRACE_MS);
const { alice, bob, carol, dave, erin, admin } = users;
const clients = [];
const tab = (name, url, user, opts = {}) => {
  const c = new Client(name, { token: user.token, auth: true, transports: ["websocket"], ...opts, url });
  clients.push(c);
  return c;
};
const sees = (c, ...us) => us.every((u) => c.has(u.id));
const none = (c, ...us) => us.every((u) => !c.has(u.id));
let a, b, c;

run([
  ["three users on three nodes see each other", async () => {
    a = tab("alice@n1", n1, alice);
    b = tab("bob@n2", n2, bob);
    c = tab("carol@n3", n3, carol);
    await waitFor("everyone listed everywhere", 5000, () => [a, b, c].every((x) => sees(x, alice, bob, carol)));
  }],
  ["a staff socket gets server-action:stats with the other nodes' figures; others get none", async () => {
    const op = tab("admin@n1", n1, admin);
    const stats = [];
    op.socket.on("server-action:stats", (s) => stats.push(s));
    let others = 0;
    a.socket.on("server-action:stats", () => others++);
    await waitFor("stats listing nodes 2 and 3", 6000, () => stats.some((s) => (s.nodes || []).length === 2));
    const s = stats.at(-1);
    assert(s.node && s.connections && s.actors.conn >= 1, `stats payload ${JSON.stringify(s)}`);
    assert(others === 0, "a non-staff socket received stats");
    op.close();
  }],
  ["a user with tabs on two nodes is one entry and leaves only with the last tab", async () => {
    const d1 = tab("dave@n1", n1, dave);
    const d2 = tab("dave@n2", n2, dave);
    await waitFor("dave listed everywhere", 5000, () => [a, b, c].every((x) => sees(x, dave)));
    assert([...c.online.values()].filter((u) => u.id === dave.id).length === 1, "dave listed twice");
    const since = Date.now();
    d1.close();
    await sleep(GRACE + 700);
    assert([a, b, c].every((x) => sees(x, dave) && !x.sawLeave(dave.id, since)), "dave left while a tab is open on n2");
    const t0 = Date.now();
    d2.close();
    await waitFor("dave gone everywhere", GRACE + 2000, () => [a, b, c].every((x) => none(x, dave)));
    console.log(`     dave left all nodes ${Date.now() - t0} ms after his last tab closed (grace ${GRACE} ms)`);
  }],
  ["the stream holds every change in order", async () => {
    const answer = await ask("check-stream");
    assert(answer === "ok", `stream: ${answer}`);
  }],
  ["a notification published by another system reaches every bound socket", async () => {
    const before = [a, b, c].map((x) => x.updates.length);
    const versions = [a, b, c].map((x) => x.version);
    await ask("publish");
    await waitFor("a full list on every socket", 3000, () => [a, b, c].every((x, i) => x.updates.length > before[i] && x.updates.at(-1).users));
    [a, b, c].forEach((x, i) => assert(x.updates.at(-1).version === versions[i], `${x.name}: a refresh changed the version`));
  }],
  ["a node killed without a goodbye has its users dropped within 15 s", async () => {
    const t0 = Date.now();
    await ask("kill-n3");
    await waitFor("carol gone from n1 and n2", 15000, () => none(a, carol) && none(b, carol));
    console.log(`     carol dropped ${Date.now() - t0} ms after node 3 was killed`);
  }],
  ["Redis stops: nodes keep serving their own sockets", async () => {
    await ask("redis-stop");
    const e = tab("erin@n1", n1, erin);
    await waitFor("erin listed on her own node", 5000, () => sees(e, alice, erin) && sees(a, erin));
    const d = tab("dave@n2", n2, dave);
    await waitFor("dave listed on his own node", 5000, () => sees(d, bob, dave) && sees(b, dave));
  }],
  ["Redis returns: the nodes converge", async () => {
    await ask("redis-start");
    await waitFor("one list everywhere", 20000, () => [a, b].every((x) => sees(x, alice, bob, dave, erin) && none(x, carol)));
  }],
  ["versions only grew and every list matched its count", async () => {
    for (const x of clients) assert(x.problems.length === 0, x.problems.join("; "));
  }],
]).finally(() => clients.forEach((x) => x.close()));
