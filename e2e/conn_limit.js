// -max-conns-per-user on one node with the real socket.io-client: the limit's next
// bind is refused both ways (CONNECT auth, ng-action login), the socket stays as it
// was, and every way out gives the place back. Env: URL, USERS (JSON {name: {id,
// token, username}}), LIMIT, PING_MS. The Go test answers ASK metric.
"use strict";
const { Client, URL, sleep, waitFor, run, assert, ask } = require("./lib");

const users = JSON.parse(process.env.USERS);
const LIMIT = Number(process.env.LIMIT);
const PING = Number(process.env.PING_MS);
const { alice, bob } = users;
const clients = [];
const tab = (name, opts) => { const c = new Client(name, opts); clients.push(c); return c; };
let refusals = 0; // binds refused for the limit, as the server should count them
let tabs = [], anon, bobTab;

const bound = (c, u) => c.online !== null && c.has(u.id);
const connectError = (c) => c.connected().then(() => null, (e) => e);
const ackOf = (c, payload) => c.socket.timeout(3000).emitWithAck("ng-action", payload);

async function httpLogin(u) {
  const res = await fetch(`${URL}/api-token-auth/`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: u.username, password: "correct horse battery" }),
  });
  assert(res.status === 200, `login: ${res.status}`);
  return (await res.json()).token;
}

// connectWhenFree opens alice tabs by CONNECT auth until one is accepted (a place is
// given back asynchronously), counting the refusals on the way.
async function connectWhenFree(name, token) {
  const end = Date.now() + 3000;
  for (let i = 0; Date.now() < end; i++) {
    const c = tab(`${name}#${i}`, { token, auth: true, transports: ["websocket"] });
    const err = await connectError(c);
    if (!err) {
      await waitFor(`${name} bound`, 3000, () => bound(c, alice));
      return c;
    }
    assert(err.data && err.data.code === "too_many_connections", `connect_error ${err.message} ${JSON.stringify(err.data)}`);
    refusals++;
    await sleep(50);
  }
  throw new Error(`${name}: no place came free`);
}

function assertRefusedAck(ack) {
  assert(ack.ok === false && ack.code === "too_many_connections", `ack ${JSON.stringify(ack)}`);
  refusals++;
}

run([
  [`${LIMIT} bound sockets of one user, by CONNECT auth, over websocket and polling`, async () => {
    for (let i = 0; i < LIMIT; i++) {
      tabs.push(tab(`alice-${i}`, { token: alice.token, auth: true, transports: i % 2 ? ["websocket"] : ["polling"] }));
    }
    await Promise.all(tabs.map((c) => c.connected()));
    await waitFor("every tab bound", 5000, () => tabs.every((c) => bound(c, alice)));
  }],
  [`the ${LIMIT + 1}st by CONNECT auth: CONNECT_ERROR too_many_connections`, async () => {
    const c = tab("alice-extra", { token: alice.token, auth: true });
    const err = await connectError(c);
    assert(err, "the extra socket connected");
    assert(err.message === "too many connections", `message ${err.message}`);
    assert(err.data && err.data.code === "too_many_connections", `data ${JSON.stringify(err.data)}`);
    refusals++;
  }],
  [`the ${LIMIT + 1}st by ng-action login: refused (ack and error event), the socket stays anonymous`, async () => {
    anon = tab("anon", {});
    await anon.connected();
    assertRefusedAck(await ackOf(anon, { action: "login", token: alice.token }));
    await waitFor("the error event", 2000, () => anon.errors.some((e) => e.code === "too_many_connections"));
    await sleep(2 * PING);
    assert(anon.socket.connected && anon.updates.length === 0, "the refused socket was bound or closed");
  }],
  ["a socket of bob moving to alice is refused and stays bob's", async () => {
    bobTab = tab("bob", { token: bob.token, auth: true });
    await waitFor("bob bound", 3000, () => bound(bobTab, bob) && bound(tabs[0], bob));
    assertRefusedAck(await ackOf(bobTab, { action: "login", token: alice.token }));
    await sleep(2 * PING);
    assert(bobTab.loggedOut.length === 0 && bobTab.socket.connected, "bob's socket was logged out or closed");
    assert(bound(tabs[0], bob) && bound(bobTab, bob), "bob is no longer online");
  }],
  ["a new token of alice on one of her bound sockets is the same socket", async () => {
    const t2 = await httpLogin(alice);
    const ack = await ackOf(tabs[0], { action: "login", token: t2 });
    assert(ack.ok === true, `rebind acked ${JSON.stringify(ack)}`);
    tabs[0].token = t2;
  }],
  ["closing a tab frees its place: the refused socket binds by ng-action login", async () => {
    tabs[1].close();
    const end = Date.now() + 3000;
    for (;;) {
      const ack = await ackOf(anon, { action: "login", token: alice.token });
      if (ack.ok) break;
      assertRefusedAck(ack);
      assert(Date.now() < end, "no place came free after a close");
      await sleep(50);
    }
    anon.token = alice.token;
    await waitFor("the socket bound", 3000, () => bound(anon, alice));
  }],
  ["ng-action logout frees its place", async () => {
    const ack = await ackOf(tabs[2], { action: "logout" });
    assert(ack.ok === true, `logout acked ${JSON.stringify(ack)}`);
    tabs[2].token = null;
    tabs[2] = await connectWhenFree("after-logout", alice.token);
  }],
  ["HTTP logout (the token revoked) frees its place", async () => {
    const res = await fetch(`${URL}/api/logout/`, { method: "POST", headers: { Authorization: `Token ${tabs[0].token}` } });
    assert(res.status === 204, `logout: ${res.status}`);
    await waitFor("logged_out", 3000, () => tabs[0].loggedOut.length === 1);
    tabs[0].token = null;
    tabs[0] = await connectWhenFree("after-revocation", alice.token);
  }],
  ["a transport that drops without a DISCONNECT frees its place", async () => {
    tabs[3].socket.io.engine.close();
    tabs[3] = await connectWhenFree("after-drop", alice.token);
  }],
  ["the limit still holds", async () => {
    const err = await connectError(tab("alice-extra-2", { token: alice.token, auth: true }));
    assert(err && err.data.code === "too_many_connections", "a socket beyond the limit connected");
    refusals++;
  }],
  ["presenced_binds_total{result=\"too_many_connections\"} counted every refusal", async () => {
    const n = Number(await ask("metric"));
    assert(n === refusals, `metric ${n}, refusals ${refusals}`);
    console.log(`     ${refusals} refusals counted`);
  }],
  ["versions only grew and every list matched its count", async () => {
    for (const c of clients) assert(c.problems.length === 0, c.problems.join("; "));
  }],
]).finally(() => clients.forEach((c) => c.close()));
