// -max-conns-per-user across three real nodes on one Redis: the limit is the cluster's,
// a node killed without a goodbye gives its places back when its lease runs out, and
// many bind/close cycles leave Redis counting exactly the sockets open. Env: NODES (JSON
// [url1,url2,url3]), USERS (JSON {name: {id, token}}), LIMIT. The Go test answers ASK
// counts-<name> (that user's counts in Redis, by node: {"n1": 2, …}) and kill-n3.
"use strict";
const { Client, sleep, waitFor, run, assert, ask } = require("./lib");

const urls = JSON.parse(process.env.NODES);
const [n1, n2, n3] = urls;
const users = JSON.parse(process.env.USERS);
const LIMIT = Number(process.env.LIMIT);
const { alice, bob } = users;
const clients = [];
const tab = (name, url, opts) => { const c = new Client(name, { ...opts, url, transports: ["websocket"] }); clients.push(c); return c; };
const bound = (c, u) => c.online !== null && c.has(u.id);
const connectError = (c) => c.connected().then(() => null, (e) => e);
const ackOf = (c, payload) => c.socket.timeout(5000).emitWithAck("ng-action", payload);
const nodeName = (url) => `n${urls.indexOf(url) + 1}`;

async function counts(name) { return JSON.parse(await ask(`counts-${name}`)); }
const same = (a, b) => JSON.stringify(Object.entries(a).filter(([, v]) => v).sort()) === JSON.stringify(Object.entries(b).filter(([, v]) => v).sort());

// connectWhenFree opens tabs by CONNECT auth on url until one is accepted.
async function connectWhenFree(name, url, u, within) {
  const end = Date.now() + within;
  for (let i = 0; Date.now() < end; i++) {
    const c = tab(`${name}#${i}`, url, { token: u.token, auth: true });
    const err = await connectError(c);
    if (!err) {
      await waitFor(`${name} bound`, 5000, () => bound(c, u));
      return c;
    }
    assert(err.data && err.data.code === "too_many_connections", `connect_error ${err.message}`);
    c.close();
    await sleep(200);
  }
  throw new Error(`${name}: no place came free within ${within} ms`);
}

let alices = [];

run([
  [`alice: ${LIMIT} sockets spread over three nodes`, async () => {
    for (let i = 0; i < LIMIT; i++) alices.push(tab(`alice-${i}`, urls[i % 3], { token: alice.token, auth: true }));
    await Promise.all(alices.map((c) => c.connected()));
    await waitFor("every tab bound", 5000, () => alices.every((c) => bound(c, alice)));
    const got = await counts("alice");
    assert(same(got, { n1: LIMIT / 3, n2: LIMIT / 3, n3: LIMIT / 3 }), `Redis counts ${JSON.stringify(got)}`);
  }],
  ["one more, on any node, is refused both ways", async () => {
    const err = await connectError(tab("alice-extra", n2, { token: alice.token, auth: true }));
    assert(err && err.message === "too many connections" && err.data.code === "too_many_connections", `connect: ${err && err.message}`);
    const anon = tab("anon", n3, {});
    await anon.connected();
    const ack = await ackOf(anon, { action: "login", token: alice.token });
    assert(ack.ok === false && ack.code === "too_many_connections", `login acked ${JSON.stringify(ack)}`);
    anon.close();
  }],
  ["closing a socket on one node frees a place on another", async () => {
    alices[0].close(); // on n1
    alices[0] = await connectWhenFree("alice-on-n3", n3, alice, 3000);
    const got = await counts("alice");
    assert(same(got, { n1: LIMIT / 3 - 1, n2: LIMIT / 3, n3: LIMIT / 3 + 1 }), `Redis counts ${JSON.stringify(got)}`);
  }],
  ["a node killed with SIGKILL gives its places back when its lease runs out", async () => {
    const t0 = Date.now();
    await ask("kill-n3");
    const err = await connectError(tab("alice-after-kill", n1, { token: alice.token, auth: true }));
    assert(err && err.data.code === "too_many_connections", "the dead node's places were freed before its lease ran out");
    const c = await connectWhenFree("alice-after-lease", n1, alice, 20000);
    console.log(`     a place came free ${Date.now() - t0} ms after the kill`);
    alices = alices.filter((x) => x.socket.connected).concat([c]);
    const got = await counts("alice");
    assert(!("n3" in got) && got.n1 + got.n2 === alices.length, `Redis counts ${JSON.stringify(got)} for ${alices.length} open`);
  }],
  ["many bind/close cycles on two nodes: Redis counts exactly the sockets open", async () => {
    const open = new Map(); // client → node name
    let refused = 0, dropped = 0;
    const matches = async (what) => {
      const want = {};
      for (const [c, n] of open) if (c.token) want[n] = (want[n] || 0) + 1;
      let got = {};
      const end = Date.now() + 5000;
      while (Date.now() < end && !same(got = await counts("bob"), want)) await sleep(100);
      assert(same(got, want), `${what}: Redis counts ${JSON.stringify(got)}, open and bound ${JSON.stringify(want)}`);
      return got;
    };
    for (let i = 0; i < 100; i++) {
      const url = i % 2 ? n1 : n2;
      let c;
      if (i % 5 === 4) { // a login sent, the tab closed before its answer
        c = tab(`bob-${i}`, url, {});
        await c.connected();
        c.socket.emit("ng-action", { action: "login", token: bob.token });
        c.close();
        dropped++;
        continue;
      }
      if (i % 3 === 0) {
        c = tab(`bob-${i}`, url, {});
        await c.connected();
        const ack = await ackOf(c, { action: "login", token: bob.token });
        if (ack.ok) c.token = bob.token; else refused++;
      } else {
        c = tab(`bob-${i}`, url, { token: bob.token, auth: true });
        if (await connectError(c)) { refused++; c.close(); continue; }
      }
      open.set(c, nodeName(url));
      for (const x of [...open.keys()]) { // close some at random, sometimes right after connecting
        if (Math.random() < 0.12) { x.close(); open.delete(x); }
      }
      if (i === 50) await matches("half way");
    }
    const got = await matches("at the end");
    console.log(`     ${open.size} open at the end, ${refused} refused and ${dropped} closed before their answer on the way; Redis ${JSON.stringify(got)}`);
    assert(refused > 0, "the cycles never reached the limit");
    for (const c of open.keys()) c.close();
    open.clear();
    await matches("every socket closed");
  }],
]).finally(() => clients.forEach((c) => c.close()));
