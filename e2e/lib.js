// Small helpers shared by the end-to-end scripts: a presence-aware socket.io client and
// a step runner that prints "N passed, M failed".
"use strict";
const { io } = require("socket.io-client");

const URL = process.env.URL;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// waitFor polls cond until it is true or the deadline passes.
async function waitFor(what, ms, cond) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return Date.now();
    await sleep(10);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

// Client is one browser tab: it answers every server-action:ping with the original
// pong, and keeps the online list by applying update_user_online diffs to the first
// full list, checking versions as it goes.
class Client {
  constructor(name, opts = {}) {
    this.name = name;
    this.token = opts.token ?? null;
    this.answerPings = opts.answerPings ?? true;
    this.updates = [];
    this.errors = [];
    this.loggedOut = [];
    this.pings = 0;
    this.online = null; // Map id → user, after the first full list
    this.version = null;
    this.problems = [];
    const ioOpts = { path: opts.path ?? "/websocket/", forceNew: true, reconnection: opts.reconnection ?? false };
    if (opts.transports) ioOpts.transports = opts.transports;
    if (opts.auth && this.token) ioOpts.auth = { token: this.token };
    this.socket = io(opts.url ?? URL, ioOpts);
    this.socket.on("server-action:ping", (p) => {
      this.pings++;
      if (this.answerPings) {
        this.socket.emit("ng-action", { action: "pong", socket_id: this.socket.id, token: this.token, seq: p.seq });
      }
    });
    this.socket.on("server-action:update_user_online", (u) => this.apply(u));
    this.socket.on("server-action:error", (e) => this.errors.push(e));
    this.socket.on("server-action:logged_out", (e) => this.loggedOut.push(e));
  }

  apply(u) {
    this.updates.push({ at: Date.now(), ...u });
    if (u.users) {
      if (this.version !== null && u.version < this.version) this.problems.push(`${this.name}: snapshot version went back ${this.version} → ${u.version}`);
      this.online = new Map(u.users.map((x) => [x.id, x]));
    } else {
      if (this.online === null) { this.problems.push(`${this.name}: a diff came before the full list`); return; }
      if (u.version !== this.version + 1) this.problems.push(`${this.name}: version gap ${this.version} → ${u.version}`);
      for (const x of u.joined) this.online.set(x.id, x);
      for (const id of u.left) this.online.delete(id);
    }
    this.version = u.version;
    if (this.online.size !== u.count) this.problems.push(`${this.name}: count ${u.count} but list has ${this.online.size}`);
  }

  has(id) { return this.online !== null && this.online.has(id); }
  connected() { return new Promise((res, rej) => { if (this.socket.connected) return res(); this.socket.once("connect", res); this.socket.once("connect_error", rej); }); }
  close() { this.socket.disconnect(); }
  sawLeave(id, since = 0) { return this.updates.some((u) => u.at >= since && u.left && u.left.includes(id)); }
  sawJoin(id, since = 0) { return this.updates.some((u) => u.at >= since && !u.users && u.joined.some((x) => x.id === id)); }
}

// run executes named async steps in order, stopping at the first failure.
async function run(steps) {
  let passed = 0, failed = 0;
  for (const [name, fn] of steps) {
    const t0 = Date.now();
    try {
      await fn();
      passed++;
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.stack || e}`);
      break;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

module.exports = { Client, URL, sleep, waitFor, run, assert };

// ask prints "ASK <what>" and waits until the Go test answers "DONE <what>" on stdin:
// how a script has the test do what only it can (kill a node, stop Redis, read Redis).
const readline = require("readline");
let stdinLines = null;
const waiting = new Map();
function ask(what) {
  if (!stdinLines) {
    stdinLines = readline.createInterface({ input: process.stdin });
    stdinLines.on("line", (line) => {
      const m = /^DONE (\S+)(?: (.*))?$/.exec(line.trim());
      if (m && waiting.has(m[1])) { waiting.get(m[1])(m[2] ?? ""); waiting.delete(m[1]); }
    });
  }
  return new Promise((resolve) => { waiting.set(what, resolve); console.log(`ASK ${what}`); });
}
module.exports.ask = ask;
