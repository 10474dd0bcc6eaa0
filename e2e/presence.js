// The presence rules of the contract, with the real socket.io-client against the real
// binary. Env: URL, USERS (JSON {name: {id, token}}), GRACE_MS, PONG_TIMEOUT_MS, PING_MS.
"use strict";
const { Client, URL, sleep, waitFor, run, assert } = require("./lib");

const users = JSON.parse(process.env.USERS);
const GRACE = Number(process.env.GRACE_MS);
const PONG_TIMEOUT = Number(process.env.PONG_TIMEOUT_MS);
const PING = Number(process.env.PING_MS);
const { alice, bob, carol, dave, erin } = users;
const clients = [];
const tab = (name, opts) => { const c = new Client(name, opts); clients.push(c); return c; };
const noProblems = () => { for (const c of clients) assert(c.problems.length === 0, c.problems.join("; ")); };

let a1, a2, b1, c1;

run([
  ["alice binds with CONNECT auth in two tabs; her first update lists her", async () => {
    a1 = tab("alice-1", { token: alice.token, auth: true });
    a2 = tab("alice-2", { token: alice.token, auth: true, transports: ["websocket"], path: "/socket.io/" });
    await waitFor("alice's tabs to see alice", 3000, () => a1.has(alice.id) && a2.has(alice.id));
    assert(a1.updates[0].users !== undefined, "the first update lacks the full list");
  }],
  ["bob binds the original way: anonymous socket, token in his pong", async () => {
    b1 = tab("bob-1", { token: bob.token }); // default transports: polling, then upgrade
    await b1.connected();
    await waitFor("bob online for alice", 3 * PING + 2000, () => a1.has(bob.id) && a2.has(bob.id) && b1.has(alice.id) && b1.has(bob.id));
    assert(a1.sawJoin(bob.id), "alice saw no join diff for bob");
    await waitFor("bob's transport to upgrade", 5000, () => b1.socket.io.engine.transport.name === "websocket");
  }],
  ["an anonymous socket gets pings but no updates", async () => {
    const anon = tab("anon", {});
    await waitFor("a ping", 3 * PING + 1000, () => anon.pings > 0);
    await sleep(200);
    assert(anon.updates.length === 0, "anonymous socket received an update");
    anon.close();
  }],
  ["closing one of alice's two tabs changes nothing", async () => {
    const since = Date.now();
    a2.close();
    await sleep(GRACE + 500);
    assert(!b1.sawLeave(alice.id, since), "bob saw alice leave while her other tab is open");
    assert(b1.has(alice.id), "alice missing from bob's list");
  }],
  ["closing alice's last tab shows her offline within offline-grace + 1 s", async () => {
    const since = Date.now();
    a1.close();
    const at = await waitFor("bob to see alice leave", GRACE + 1000, () => b1.sawLeave(alice.id, since));
    assert(!b1.has(alice.id), "alice still listed");
    console.log(`     alice left after ${at - since} ms (grace ${GRACE} ms)`);
  }],
  ["a reload inside the grace makes no leave/join pair", async () => {
    c1 = tab("carol-1", { token: carol.token, auth: true });
    await waitFor("carol sees bob", 3000, () => c1.has(bob.id));
    const since = Date.now();
    b1.close();
    const b2 = tab("bob-2", { token: bob.token, auth: true }); // the reloaded page
    await b2.connected();
    await sleep(GRACE + 500);
    assert(!c1.sawLeave(bob.id, since) && !c1.sawJoin(bob.id, since), "carol saw bob leave or rejoin during a reload");
    assert(c1.has(bob.id), "bob missing after reload");
  }],
  ["a client that goes silent without closing goes offline after pong-timeout", async () => {
    const d = tab("dave", { token: dave.token, auth: true, answerPings: false });
    await waitFor("carol sees dave", 3000, () => c1.has(dave.id));
    const since = Date.now();
    const at = await waitFor("dave dropped", PONG_TIMEOUT + PING + GRACE + 3000, () => !c1.has(dave.id));
    console.log(`     silent dave left after ${at - since} ms (pong-timeout ${PONG_TIMEOUT} ms)`);
  }],
  ["bad input gets server-action:error and acks with ok:false; nobody else is affected", async () => {
    const e = tab("erin", { token: erin.token, auth: true });
    await waitFor("erin bound", 3000, () => e.has(erin.id));
    const ack = (payload) => e.socket.timeout(2000).emitWithAck("ng-action", payload);
    const cases = [
      [{ action: "dance" }, "bad_request"],
      [{ action: 42 }, "bad_request"],
      [{ action: "pong", token: 12 }, "bad_request"],
      [{ action: "pong", token: "forged.token.value" }, "invalid_token"],
      [{ action: "login" }, "bad_request"],
      ["not an object", "bad_request"],
    ];
    for (const [payload, code] of cases) {
      const r = await ack(payload);
      assert(r.ok === false && r.code === code, `${JSON.stringify(payload)} acked ${JSON.stringify(r)}, want ${code}`);
    }
    const good = await ack({ action: "pong", socket_id: e.socket.id, token: erin.token });
    assert(good.ok === true, "a good pong was not acked ok");
    await waitFor("error events", 2000, () => e.errors.length >= cases.length);
    assert(e.has(erin.id) && c1.has(erin.id), "bad input unbound erin");
  }],
  ["HTTP logout logs the token's sockets out", async () => {
    const res = await fetch(`${URL}/api/logout/`, { method: "POST", headers: { Authorization: `Token ${carol.token}` } });
    assert(res.status === 204, `logout answered ${res.status}`);
    await waitFor("logged_out", 3000, () => c1.loggedOut.length === 1);
    assert(c1.loggedOut[0].reason === "logout", `reason ${c1.loggedOut[0].reason}`);
    c1.token = null; // the SPA forgets its token
    const other = clients.find((c) => c.name === "erin");
    await waitFor("carol offline for erin", 2000 + GRACE, () => !other.has(carol.id));
  }],
  ["versions only grew and every list matched its count", async () => { noProblems(); }],
]).finally(() => clients.forEach((c) => c.close()));
