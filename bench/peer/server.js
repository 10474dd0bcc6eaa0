'use strict';
// The peer: presenced's wire contract on the reference stack (Node, socket.io 4.8), for
// side-by-side benchmarks (bench/run.sh). It is what a competent Node developer would
// write for the same job, with the same rules:
//   - HTTP: POST /api/register/, POST /api-token-auth/ (bcrypt, same algorithm and cost
//     as presenced: -bcrypt-cost, default 10), GET /api/me/, GET /api/users/online/,
//     GET /metrics (presenced_pongs_total, presenced_connections), GET /healthz.
//   - Tokens: HS256 JWTs (node:crypto), secret kept beside the database as presenced does.
//   - Storage: SQLite (node:sqlite, WAL), like presenced's default; presence transitions
//     are written once per flush, as presenced's store writer batches them.
//   - Socket.IO at /socket.io/: bind with the CONNECT auth {token} (CONNECT_ERROR
//     "invalid token" otherwise) or the token of any ng-action; the ping sweep every
//     -ping-interval (server-action:ping {message, seq, ts}) to every socket; a socket that
//     answered no sweep for -pong-timeout is closed; ng-action pongs counted; pongs that
//     answer a sweep are never rate-limited (a socket may owe 3), other ng-actions draw
//     from a 20/s bucket of 40.
//   - Presence: a user is online while a bound socket lives, for two sweeps after an HTTP
//     login, and for -offline-grace after the last socket; changes are coalesced for 50 ms
//     into one server-action:update_user_online {version, count, joined, left}, encoded
//     once per flush; a socket's first update after binding carries users (the full list).
// Not here (not benchmarked): polling transport tuning, logout, login throttling, Redis,
// the /websocket/ path, staff stats.
// As lean as socket.io 4.8 allows (bench/README.md, "The peer"): socket.io's defaults, ws with
// its native bufferutil (unmasks the pongs), no work per message beyond the contract's.

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { DatabaseSync } = require('node:sqlite');
const bcrypt = require('@node-rs/bcrypt');
const { Server } = require('socket.io');

// ---- configuration: presenced's flag names and defaults -----------------------------

function parseDuration(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(s));
  if (!m) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2]];
}

function parseArgs(argv) {
  const cfg = { addr: '127.0.0.1:8888', db: './data/peer.db', pingInterval: 10000, pongTimeout: 0,
    offlineGrace: 2000, bcryptCost: 10, tokenTTL: 86400000, coalesce: 50 };
  for (let i = 0; i < argv.length; i++) {
    let [k, v] = argv[i].replace(/^--?/, '').split(/=(.*)/s);
    if (v === undefined) v = argv[++i];
    switch (k) {
      case 'addr': cfg.addr = v; break;
      case 'db': cfg.db = v.replace(/^sqlite:\/\//, ''); break;
      case 'ping-interval': cfg.pingInterval = parseDuration(v); break;
      case 'pong-timeout': cfg.pongTimeout = parseDuration(v); break;
      case 'offline-grace': cfg.offlineGrace = parseDuration(v); break;
      case 'bcrypt-cost': cfg.bcryptCost = Number(v); break;
      case 'token-ttl': cfg.tokenTTL = parseDuration(v); break;
      case 'log-level': break;
      default: throw new Error(`unknown flag -${k}`);
    }
  }
  if (!cfg.pongTimeout) cfg.pongTimeout = Math.max(2 * cfg.pingInterval, 5000);
  return cfg;
}

const cfg = parseArgs(process.argv.slice(2));

// ---- storage ------------------------------------------------------------------------

fs.mkdirSync(path.dirname(path.resolve(cfg.db)), { recursive: true });
const db = new DatabaseSync(cfg.db);
db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
  CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
    password TEXT NOT NULL, is_online INTEGER NOT NULL DEFAULT 0, last_seen TEXT,
    date_joined TEXT NOT NULL, is_staff INTEGER NOT NULL DEFAULT 0)`);
db.exec('UPDATE users SET is_online = 0');
const q = {
  insert: db.prepare('INSERT INTO users (username, email, password, date_joined) VALUES (?, ?, ?, ?)'),
  byName: db.prepare('SELECT * FROM users WHERE username = ?'),
  byId: db.prepare('SELECT * FROM users WHERE id = ?'),
  presence: db.prepare('UPDATE users SET is_online = ?, last_seen = ? WHERE id = ?'),
};

function view(row, online) {
  return { id: row.id, username: row.username, email: row.email, is_online: online ?? !!row.is_online,
    last_seen: row.last_seen, date_joined: row.date_joined, is_staff: !!row.is_staff };
}

// ---- tokens: HS256 JWT ----------------------------------------------------------------

const secretPath = path.join(path.dirname(path.resolve(cfg.db)), 'jwt.secret');
if (!fs.existsSync(secretPath)) fs.writeFileSync(secretPath, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
const secret = fs.readFileSync(secretPath);
const jwtHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const revoked = new Set();

function issue(userId) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: 'presenced-peer', sub: String(userId), uid: userId, iat: now,
    exp: now + Math.floor(cfg.tokenTTL / 1000), jti: crypto.randomBytes(12).toString('base64url') };
  const body = `${jwtHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const sig = crypto.createHmac('sha256', secret).update(body).digest('base64url');
  return { token: `${body}.${sig}`, claims };
}

// verify returns the claims, or throws an Error whose code is invalid_token or token_expired.
function verify(token) {
  const bad = (code) => Object.assign(new Error(code), { code });
  if (typeof token !== 'string' || token.length > 4096) throw bad('invalid_token');
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== jwtHeader) throw bad('invalid_token');
  const want = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) throw bad('invalid_token');
  let c;
  try { c = JSON.parse(Buffer.from(parts[1], 'base64url').toString()); } catch { throw bad('invalid_token'); }
  if (c.iss !== 'presenced-peer' || !Number.isInteger(c.uid) || typeof c.exp !== 'number') throw bad('invalid_token');
  if (c.exp * 1000 <= Date.now()) throw bad('token_expired');
  if (revoked.has(c.jti)) throw bad('invalid_token');
  return c;
}

// ---- presence ---------------------------------------------------------------------------

const conns = new Map(); // socket id → conn state
const users = new Map(); // user id → { row, conns: Set, creditUntil, graceUntil, online, timer }
const online = new Map(); // user id → user view (is_online true)
const published = new Set(); // online at the last flush
const touched = new Set();
const pendingSnapshot = new Set(); // socket ids bound since the last flush
let version = 0;
let flushTimer = null;
const stats = { pongs: 0, rateLimited: 0, sweeps: 0, broadcasts: 0 };

function userEntry(row) {
  let u = users.get(row.id);
  if (!u) {
    u = { row, conns: new Set(), creditUntil: 0, graceUntil: 0, online: false, timer: null };
    users.set(row.id, u);
  }
  return u;
}

// reevaluate applies a user's online rule now and arms a timer for when it may change.
function reevaluate(u) {
  const now = Date.now();
  const on = u.conns.size > 0 || now < u.creditUntil || now < u.graceUntil;
  if (on !== u.online) {
    u.online = on;
    if (on) online.set(u.row.id, view(u.row, true)); else online.delete(u.row.id);
    touched.add(u.row.id);
    scheduleFlush();
  }
  if (u.timer) { clearTimeout(u.timer); u.timer = null; }
  if (on && u.conns.size === 0) {
    const wake = Math.max(u.creditUntil, u.graceUntil) - now;
    u.timer = setTimeout(() => { u.timer = null; reevaluate(u); }, Math.max(1, wake));
  } else if (!on && u.conns.size === 0) {
    users.delete(u.row.id);
  }
}

function loggedIn(row, claims) {
  const u = userEntry(row);
  u.row = row;
  u.creditUntil = Math.max(u.creditUntil, Math.min(Date.now() + 2 * cfg.pingInterval, claims.exp * 1000));
  reevaluate(u);
}

function bind(c, row, token, claims) {
  if (c.userId && c.userId !== row.id) unbind(c, false);
  c.token = token; c.exp = claims.exp * 1000;
  if (c.userId === row.id) return;
  const u = userEntry(row);
  u.conns.add(c.id); u.graceUntil = 0;
  c.userId = row.id;
  c.socket.leave('bound');
  pendingSnapshot.add(c.id);
  reevaluate(u);
  scheduleFlush();
}

function unbind(c, logout) {
  const u = users.get(c.userId);
  c.userId = 0; c.token = null; c.exp = 0;
  pendingSnapshot.delete(c.id);
  c.socket.leave('bound');
  if (!u) return;
  u.conns.delete(c.id);
  if (u.conns.size === 0 && !logout) u.graceUntil = Date.now() + cfg.offlineGrace;
  reevaluate(u);
}

function scheduleFlush() {
  if (!flushTimer) flushTimer = setTimeout(flush, cfg.coalesce);
}

function flush() {
  flushTimer = null;
  const joined = [];
  const left = [];
  for (const id of touched) {
    const isOn = online.has(id);
    if (isOn && !published.has(id)) { joined.push(online.get(id)); published.add(id); }
    else if (!isOn && published.has(id)) { left.push(id); published.delete(id); }
  }
  touched.clear();
  const changed = joined.length > 0 || left.length > 0;
  if (!changed && pendingSnapshot.size === 0) return;
  if (changed) {
    version++;
    stats.broadcasts++;
    io.to('bound').emit('server-action:update_user_online', { version, count: published.size, joined, left });
    const now = new Date().toISOString();
    db.exec('BEGIN');
    for (const u of joined) q.presence.run(1, now, u.id);
    for (const id of left) q.presence.run(0, now, id);
    db.exec('COMMIT');
  }
  if (pendingSnapshot.size > 0) {
    const all = [...online.values()].sort((a, b) => a.id - b.id);
    const ids = [...pendingSnapshot];
    pendingSnapshot.clear();
    io.to(ids).emit('server-action:update_user_online', { version, count: published.size, joined, left, users: all });
    for (const id of ids) conns.get(id)?.socket.join('bound');
  }
}

setInterval(function sweep() {
  stats.sweeps++;
  const now = Date.now();
  for (const c of conns.values()) {
    if (now - c.lastAlive > cfg.pongTimeout) { c.socket.disconnect(true); continue; }
    if (c.owed < 3) c.owed++;
    if (c.userId && c.exp && now >= c.exp) logOut(c, 'token_expired');
  }
  io.emit('server-action:ping', { message: 'ping', seq: stats.sweeps, ts: now });
}, cfg.pingInterval);

function logOut(c, reason) {
  c.socket.emit('server-action:logged_out', { reason });
  unbind(c, true);
}

// ---- Socket.IO ----------------------------------------------------------------------------

const httpServer = http.createServer(handleHTTP);
const io = new Server(httpServer, { path: '/socket.io/', serveClient: false, pingInterval: 25000,
  pingTimeout: 20000, maxHttpBufferSize: 1e6, connectTimeout: 45000 });

io.use((socket, next) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (token === undefined || token === null || token === '') return next();
  try {
    const claims = verify(token);
    const row = q.byId.get(claims.uid);
    if (!row) throw Object.assign(new Error('invalid_token'), { code: 'invalid_token' });
    socket.data.grant = { row, token, claims };
    next();
  } catch (e) {
    next(Object.assign(new Error('invalid token'), { data: { code: e.code || 'invalid_token' } }));
  }
});

const RATE = 20;
const BURST = 40;

io.on('connection', (socket) => {
  const now = Date.now();
  const c = { id: socket.id, socket, userId: 0, token: null, exp: 0, lastAlive: now, owed: 0,
    bucket: BURST, refilledAt: now, limitNoticeAt: 0 };
  conns.set(socket.id, c);
  const g = socket.data.grant;
  if (g) { delete socket.data.grant; bind(c, g.row, g.token, g.claims); }
  // One closure per socket for each event, none per message.
  socket.on('ng-action', (data, ack) => onAction(c, data, ack));
  socket.on('disconnect', () => {
    conns.delete(c.id);
    if (c.userId) unbind(c, false);
  });
});

function fail(c, ack, code, message) {
  if (typeof ack === 'function') ack({ ok: false, code });
  c.socket.emit('server-action:error', { code, message });
}

// bindToken binds c by tok (a non-empty string) unless tok already bound it; false when the
// token is refused (answered).
function bindToken(c, tok, ack) {
  if (c.userId && c.token === tok) return true; // every pong repeats the token that bound it
  try {
    const claims = verify(tok);
    const row = q.byId.get(claims.uid);
    if (!row) throw Object.assign(new Error('unknown user'), { code: 'invalid_token' });
    bind(c, row, tok, claims);
    return true;
  } catch (e) {
    fail(c, ack, e.code || 'invalid_token', e.code === 'token_expired' ? 'token expired' : 'invalid token');
    return false;
  }
}

function onAction(c, data, ack) {
  if (!data || typeof data !== 'object' || typeof data.action !== 'string') {
    return fail(c, ack, 'bad_request', 'ng-action needs an object with a string action');
  }
  const t = Date.now();
  const pong = data.action === 'pong';
  if (pong && c.owed > 0) {
    c.owed--;
  } else {
    c.bucket = Math.min(BURST, c.bucket + ((t - c.refilledAt) / 1000) * RATE);
    c.refilledAt = t;
    if (c.bucket < 1) {
      stats.rateLimited++;
      if (t - c.limitNoticeAt >= 1000) { c.limitNoticeAt = t; fail(c, ack, 'rate_limited', 'too many ng-action events'); }
      else if (typeof ack === 'function') ack({ ok: false, code: 'rate_limited' });
      return;
    }
    c.bucket--;
  }
  c.lastAlive = t;
  const tok = data.token;
  if (tok !== undefined && tok !== null && typeof tok !== 'string') return fail(c, ack, 'bad_request', 'token must be a string or null');
  const present = typeof tok === 'string' && tok !== '';
  switch (data.action) {
    case 'pong':
      stats.pongs++;
      if (present && !bindToken(c, tok, ack)) return;
      break;
    case 'login':
      if (!present) return fail(c, ack, 'bad_request', 'login needs a token');
      if (!bindToken(c, tok, ack)) return;
      break;
    case 'logout':
      if (c.userId) unbind(c, true);
      break;
    default:
      return fail(c, ack, 'bad_request', 'unknown action');
  }
  if (typeof ack === 'function') ack({ ok: true });
}

// ---- HTTP API --------------------------------------------------------------------------------

function send(res, status, body, extra) {
  const b = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(b), ...extra });
  res.end(b);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (d) => { n += d.length; if (n <= 1 << 20) chunks.push(d); });
    req.on('end', () => {
      if (n > 1 << 20) return reject(Object.assign(new Error('too large'), { status: 413 }));
      const s = Buffer.concat(chunks).toString();
      try {
        if ((req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded')) {
          return resolve(Object.fromEntries(new URLSearchParams(s)));
        }
        resolve(s ? JSON.parse(s) : {});
      } catch (e) {
        reject(Object.assign(new Error(`JSON parse error - ${e.message}`), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

const usernameRE = /^[\p{L}\p{N}_.@+-]+$/u;
const dummyHash = bcrypt.hashSync('not a real password', cfg.bcryptCost);

async function register(req, res) {
  const f = await readBody(req);
  const errs = {};
  const need = (k) => (typeof f[k] === 'string' && f[k] !== '' ? f[k] : ((errs[k] = ['This field is required.']), ''));
  const username = need('username').normalize('NFKC');
  const email = need('email').trim();
  const password = need('password');
  if (username && (username.length > 150 || !usernameRE.test(username))) errs.username = ['Enter a valid username.'];
  if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errs.email = ['Enter a valid email address.'];
  if (password) {
    const p = [];
    if ([...password].length < 8) p.push('This password is too short. It must contain at least 8 characters.');
    if (/^\d+$/.test(password)) p.push('This password is entirely numeric.');
    if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) p.push('The password is too similar to the username.');
    if (p.length) errs.password = p;
  }
  if (Object.keys(errs).length) return send(res, 400, errs);
  const hash = await bcrypt.hash(password, cfg.bcryptCost);
  let id;
  try {
    id = Number(q.insert.run(username, email, hash, new Date().toISOString()).lastInsertRowid);
  } catch (e) {
    if (String(e.message).includes('UNIQUE')) return send(res, 400, { username: ['A user with that username already exists.'] });
    throw e;
  }
  const row = q.byId.get(id);
  const { token, claims } = issue(id);
  loggedIn(row, claims);
  send(res, 201, { user: view(row, true), token });
}

async function login(req, res) {
  const f = await readBody(req);
  if (typeof f.username !== 'string' || typeof f.password !== 'string' || !f.username || !f.password) {
    return send(res, 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
  }
  const row = q.byName.get(f.username.normalize('NFKC'));
  const ok = await bcrypt.verify(f.password, row ? row.password : dummyHash);
  if (!row || !ok) return send(res, 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
  const { token, claims } = issue(row.id);
  loggedIn(row, claims);
  send(res, 200, { user: view(row, true), token, agent: req.headers['user-agent'] || '' });
}

// authenticate answers 401 itself and returns undefined when the request has no valid token.
function authenticate(req, res) {
  const m = /^(Token|Bearer)\s+(\S+)\s*$/i.exec(req.headers.authorization || '');
  if (!m) {
    send(res, 401, { detail: 'Authentication credentials were not provided.' });
    return undefined;
  }
  try {
    const claims = verify(m[2]);
    const row = q.byId.get(claims.uid);
    if (row) return row;
  } catch { /* answered below */ }
  send(res, 401, { detail: 'Invalid token.' });
  return undefined;
}

function metrics(res) {
  let bound = 0;
  for (const c of conns.values()) if (c.userId) bound++;
  const body = [
    '# TYPE presenced_pongs_total counter', `presenced_pongs_total ${stats.pongs}`,
    '# TYPE presenced_connections gauge',
    `presenced_connections{state="anonymous"} ${conns.size - bound}`, `presenced_connections{state="bound"} ${bound}`,
    '# TYPE presenced_users_online gauge', `presenced_users_online ${published.size}`,
    '# TYPE presenced_broadcasts_total counter', `presenced_broadcasts_total ${stats.broadcasts}`,
    '# TYPE presenced_rate_limited_total counter', `presenced_rate_limited_total ${stats.rateLimited}`, '',
  ].join('\n');
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function handleHTTP(req, res) {
  const qi = req.url.indexOf('?');
  const p = qi < 0 ? req.url : req.url.slice(0, qi);
  try {
    if (req.method === 'POST' && p === '/api/register/') return await register(req, res);
    if (req.method === 'POST' && p === '/api-token-auth/') return await login(req, res);
    if (req.method === 'GET' && p === '/api/me/') {
      const row = authenticate(req, res);
      if (row) send(res, 200, view(row, online.has(row.id)));
      return;
    }
    if (req.method === 'GET' && p === '/api/users/online/') {
      if (authenticate(req, res)) {
        send(res, 200, { version, count: published.size, users: [...online.values()].sort((a, b) => a.id - b.id) });
      }
      return;
    }
    if (req.method === 'GET' && p === '/metrics') return metrics(res);
    if (req.method === 'GET' && p === '/healthz') return send(res, 200, { status: 'ok' });
    send(res, 404, { detail: 'Not found.' });
  } catch (e) {
    if (!res.headersSent) send(res, e.status || 500, { detail: e.status ? e.message : 'A server error occurred.' });
    if (!e.status) console.error('peer: request failed', e);
  }
}

// ---- start and stop --------------------------------------------------------------------------

const [host, port] = [cfg.addr.slice(0, cfg.addr.lastIndexOf(':')) || '0.0.0.0', Number(cfg.addr.slice(cfg.addr.lastIndexOf(':') + 1))];
httpServer.listen(port, host, () => {
  const a = httpServer.address();
  console.error(`peer listening addr=${a.address}:${a.port} node=${process.version} socket.io=${require('socket.io/package.json').version}`);
});

function shutdown() {
  io.close();
  httpServer.close();
  try { db.close(); } catch { /* already closed */ }
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
