// Holds N bound sockets (round-robin over TOKENS) answering pings, and lets the Go test
// act between phases (ASK lines). Env: URL, TOKENS (JSON list), N, MODE = metrics | shutdown.
"use strict";
const { Client, waitFor, run, assert, ask } = require("./lib");

const tokens = JSON.parse(process.env.TOKENS);
const N = Number(process.env.N);
const clients = [];

run([
  [`${N} sockets connect and bind`, async () => {
    for (let i = 0; i < N; i++) {
      clients.push(new Client(`s${i}`, { token: tokens[i % tokens.length], auth: true, transports: ["websocket"] }));
    }
    await waitFor("every socket's first update", 10000, () => clients.every((c) => c.online !== null));
    await waitFor("a pong from every socket", 10000, () => clients.every((c) => c.pings > 0));
    assert((await ask("connected")) === "ok", "metrics did not show the load");
  }],
  ...(process.env.MODE === "metrics" ? [
    ["half the sockets close; the metrics follow", async () => {
      clients.slice(0, N / 2).forEach((c) => c.close());
      assert((await ask("half-closed")) === "ok", "metrics did not follow the closes");
    }],
  ] : [
    ["SIGTERM closes every socket with a reason", async () => {
      const reasons = [];
      clients.forEach((c) => c.socket.on("disconnect", (r) => reasons.push(r)));
      await ask("sigterm");
      await waitFor("every socket closed", 15000, () => reasons.length === N);
      assert(reasons.every((r) => r === "transport close"), `disconnect reasons ${[...new Set(reasons)]}`);
    }],
  ]),
]).finally(() => clients.forEach((c) => c.close()));
