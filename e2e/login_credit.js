// The login credit ends when a socket binds with that login's token: a tab closed right
// after logging in leaves after the grace, not after the credit of two sweeps; the
// original SPA (anonymous socket, token only in its next pong) is online from the login.
// Env: URL, USERS (JSON {name: {id, token, username}}), GRACE_MS, PING_MS; LOGIN_URL
// (default URL): where the HTTP logins go — another node, to test the cluster.
"use strict";
const { Client, URL, sleep, waitFor, run, assert } = require("./lib");

const LOGIN_URL = process.env.LOGIN_URL || URL;

const users = JSON.parse(process.env.USERS);
const GRACE = Number(process.env.GRACE_MS);
const PING = Number(process.env.PING_MS);
const { alice, bob, carol, dave } = users;
const clients = [];
const tab = (name, opts) => { const c = new Client(name, opts); clients.push(c); return c; };
let observer;

async function login(u) {
  const res = await fetch(`${LOGIN_URL}/api-token-auth/`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: u.username, password: "correct horse battery" }),
  });
  assert(res.status === 200, `login ${u.username}: ${res.status}`);
  return (await res.json()).token;
}

// bindAndClose opens a tab bound by token (CONNECT auth), waits for its first update
// (the socket is bound) and closes it; it returns when the observer saw the user leave,
// failing unless that took at most the grace + 1 s.
async function bindAndClose(name, u, token, how = "auth") {
  const c = how === "auth" ? tab(name, { token, auth: true }) : tab(name, {});
  await c.connected();
  if (how === "login") {
    const ack = await c.socket.timeout(3000).emitWithAck("ng-action", { action: "login", token });
    assert(ack.ok === true, `login ack ${JSON.stringify(ack)}`);
    c.token = token;
  }
  await waitFor(`${name} bound`, 3000, () => c.online !== null && c.has(u.id));
  const since = Date.now();
  c.close();
  const at = await waitFor(`the observer to see ${name} leave`, GRACE + 1000, () => observer.sawLeave(u.id, since));
  console.log(`     ${name} left ${at - since} ms after the close (grace ${GRACE} ms, credit ${2 * PING} ms)`);
}

run([
  ["an observer binds", async () => {
    observer = tab("bob", { token: bob.token, auth: true });
    await waitFor("the observer's list", 3000, () => observer.online !== null);
  }],
  ["registration counts as a login: online at once, and a tab bound with its token then closed leaves after the grace", async () => {
    await waitFor("alice listed from her registration", 3000, () => observer.has(alice.id));
    await bindAndClose("alice-tab", alice, alice.token);
  }],
  ["HTTP login, a tab bound by CONNECT auth closed at once: offline after the grace", async () => {
    await bindAndClose("carol-registration", carol, carol.token); // spend the registration's credit
    const token = await login(carol);
    await waitFor("carol listed from her login", 2000, () => observer.has(carol.id));
    await bindAndClose("carol-tab", carol, token);
  }],
  ["HTTP login, a tab bound by ng-action login closed at once: offline after the grace", async () => {
    const token = await login(carol);
    await waitFor("carol listed from her login", 2000, () => observer.has(carol.id));
    await bindAndClose("carol-tab-2", carol, token, "login");
  }],
  ["the original SPA: socket first, HTTP login, bound only by the next pong: online at once, never a gap, grace after the close", async () => {
    await bindAndClose("dave-registration", dave, dave.token);
    const spa = tab("dave-spa", {}); // connects before login, pongs with token null
    await spa.connected();
    const since = Date.now();
    const token = await login(dave);
    const listed = await waitFor("dave listed from his login", 2000, () => observer.has(dave.id));
    assert(listed - since < PING, "dave was listed only after a sweep");
    spa.token = token; // the SPA keeps the token; its next pong carries it
    await waitFor("the SPA's socket bound by its pong", PING + 3000, () => spa.online !== null);
    assert(!observer.sawLeave(dave.id, since), "dave left between the login and the bind");
    const closed = Date.now();
    spa.close();
    const at = await waitFor("the observer to see dave leave", GRACE + 1000, () => observer.sawLeave(dave.id, closed));
    console.log(`     dave left ${at - closed} ms after the close`);
  }],
  ["versions only grew and every list matched its count", async () => {
    for (const c of clients) assert(c.problems.length === 0, c.problems.join("; "));
  }],
]).finally(() => clients.forEach((c) => c.close()));
