// The trust issue's transport rules with the real socket.io-client against the real binary.
// MODE=kill: a tab killed (SIGKILL, no clean disconnect) while on long-polling, then on
// websocket, shows offline to an observer within offline-grace + 1 s. Env: USERS ({a, b}:
// {id, token}), GRACE_MS.
// MODE=limit: the process's address is at -max-conns-per-ip already (the Go test holds the
// sessions): socket.io-client is refused the right way on both transports and does not
// retry; another address (X-Forwarded-For through the trusted proxy 127.0.0.1) connects;
// after the test closes one session, a place is free.
"use strict";
const { spawn } = require("child_process");
const path = require("path");
const { io } = require("socket.io-client");
const { Client, URL, sleep, waitFor, run, assert, ask } = require("./lib");

const mode = process.env.MODE;
const opened = [];
const open = (opts) => {
  const s = io(URL, { path: "/socket.io/", forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200, ...opts });
  opened.push(s);
  return s;
};
const outcome = (s) => new Promise((res) => {
  s.once("connect", () => res({ ok: true }));
  s.once("connect_error", (e) => res({ ok: false, err: e }));
});

function killSteps() {
  const { a, b } = JSON.parse(process.env.USERS);
  const GRACE = Number(process.env.GRACE_MS);
  let observer;
  const steps = [["an observer binds on websocket", async () => {
    observer = new Client("observer", { token: b.token, auth: true, transports: ["websocket"], path: "/socket.io/" });
    await waitFor("observer's list", 3000, () => observer.online !== null && observer.has(b.id));
  }]];
  for (const transport of ["polling", "websocket"]) {
    steps.push([`a ${transport} tab killed shows offline within offline-grace + 1 s`, async () => {
      const tab = spawn(process.execPath, [path.join(__dirname, "trust_ws_tab.js")], {
        env: { ...process.env, TOKEN: a.token, TRANSPORTS: transport }, stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      tab.stdout.on("data", (d) => { out += d; });
      await waitFor(`the ${transport} tab to connect`, 5000, () => out.includes("connected"));
      assert(out.includes(`connected ${transport}`), `tab says ${JSON.stringify(out)}`);
      await waitFor("the observer to see the tab's user", 3000, () => observer.has(a.id));
      await sleep(300); // a poll is pending again after the bind's traffic
      const since = Date.now();
      tab.kill("SIGKILL");
      const at = await waitFor("the observer to see the user leave", GRACE + 1000, () => observer.sawLeave(a.id, since));
      console.log(`     ${transport} tab killed: offline for the observer after ${at - since} ms (grace ${GRACE} ms)`);
      assert(await ask(`gone-${transport}`) === "ok", "the server's figures still count the killed tab's session");
    }]);
  }
  steps.push(["versions only grew and every list matched its count", async () => {
    assert(observer.problems.length === 0, observer.problems.join("; "));
    observer.close();
  }]);
  return steps;
}

function limitSteps() {
  return [
    ["websocket beyond the limit: CONNECT_ERROR too_many_connections, no retry", async () => {
      const s = open({ transports: ["websocket"] });
      let attempts = 0;
      s.io.on("reconnect_attempt", () => attempts++);
      const r = await outcome(s);
      assert(!r.ok, "connected beyond the limit");
      assert(r.err.message === "too many connections", `message ${r.err.message}`);
      assert(r.err.data && r.err.data.code === "too_many_connections", `data ${JSON.stringify(r.err.data)}`);
      await sleep(1500);
      assert(!s.active && !s.connected && attempts === 0, `retried: active ${s.active}, ${attempts} attempts`);
    }],
    ["polling beyond the limit: the handshake is answered 429", async () => {
      const s = open({ transports: ["polling"], reconnection: false });
      const r = await outcome(s);
      assert(!r.ok, "connected beyond the limit");
      assert(r.err.message === "xhr poll error" && r.err.description === 429, `error ${r.err.message} ${r.err.description}`);
    }],
    ["another address behind the trusted proxy connects on both transports", async () => {
      for (const transports of [["websocket"], ["polling"], ["polling", "websocket"]]) {
        const s = open({ transports, extraHeaders: { "X-Forwarded-For": "203.0.113.9" }, reconnection: false });
        const r = await outcome(s);
        assert(r.ok, `${transports}: ${r.err && r.err.message}`);
        s.disconnect();
      }
    }],
    ["closing one session frees a place", async () => {
      assert(await ask("free-one") === "ok", "the test could not close a session");
      const s = open({ transports: ["websocket"], reconnection: false });
      const r = await outcome(s);
      assert(r.ok, `after a place was freed: ${r.err && r.err.message}`);
    }],
  ];
}

run(mode === "kill" ? killSteps() : limitSteps()).finally(() => opened.forEach((s) => s.disconnect()));
