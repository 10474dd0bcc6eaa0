#!/usr/bin/env node
// rooms.e2e.js — end-to-end test of the SPA's rooms view and contacts watchlist in a real browser
// against a live server (CONTRACT.md "Rooms and watchlists").
//
// Two browser contexts (two users) register. On /rooms the form refuses bad names; both join the same
// fresh public room by name and see each other live with the count 2; A also joins public:lobby from
// the suggestions (two rooms at once). B leaves: A sees B gone within OFFLINE_BOUND_MS; B joins again.
// A's websocket is cut in the page (a network blip): once A is reconnected, A's room still follows B
// (B leaves and comes back). B closes its page: A's room drops B within OFFLINE_BOUND_MS. A opens the
// People page (the user directory, paged) and adds B, who is offline, to contacts from there: B's dot is
// offline; B signs in again in a new context: the dot goes online, live, on the People page and in the
// contacts; A's websocket is cut again; B closes its page: A's dot for B goes offline within
// OFFLINE_BOUND_MS. A reloads: the contact is back from localStorage and watched again. A removes B (the
// People page offers Add again). A's pages logged no errors.
//
// Usage:
//   BASE_URL=http://127.0.0.1:8888 node e2e/spa/rooms.e2e.js
//   node e2e/spa/rooms.e2e.js --self-test     # no server: checks that the browser starts and renders
//
// Environment:
//   BASE_URL          required (except --self-test): where the server serves the SPA, API and /websocket/
//   OFFLINE_BOUND_MS  default 3000: bound for a leave or a closed page to reach the other user
//                     (the contract: the last leave or close takes effect after offline-grace, 2 s, + 1 s)
//   STEP_TIMEOUT_MS   default 15000: bound for everything else (page loads, joins, forms, reconnects)
//   E2E_ARTIFACTS     default <repo>/e2e/artifacts: screenshots (rooms-*.png) and rooms-e2e.log
//   CHROMIUM          default /usr/bin/chromium (Debian: apt-get install -y chromium)
//
// Needs: npm playwright-core in e2e/node_modules (cd e2e && npm ci). No browser download.
// Output: one line per step, then "N passed, M failed"; exit 0 only when every step passed.
'use strict';

const path = require('node:path');
const fs = require('node:fs');
const crypto = require('node:crypto');

const E2E_DIR = path.resolve(__dirname, '..');
let chromium;
try {
  ({ chromium } = require(path.join(E2E_DIR, 'node_modules', 'playwright-core')));
} catch (err) {
  console.error(`rooms.e2e: cannot load playwright-core from ${E2E_DIR}/node_modules (run: cd e2e && npm ci)\n${err.message}`);
  process.exit(2);
}

const SELF_TEST = process.argv.includes('--self-test');
const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const OFFLINE_BOUND_MS = intEnv('OFFLINE_BOUND_MS', 3000);
const STEP_TIMEOUT_MS = intEnv('STEP_TIMEOUT_MS', 15000);
const ARTIFACTS = path.resolve(process.env.E2E_ARTIFACTS || path.join(E2E_DIR, 'artifacts'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Flags from the toolchain notes: without the background-networking ones Chromium keeps trying the
// (closed) network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Waits poll from Node with page.evaluate (a page in a background context gets no animation frames).
const POLL_MS = 100;
const ROOM = `public:e2e_${crypto.randomBytes(4).toString('hex')}`;
const LOBBY = 'public:lobby';

function intEnv(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`rooms.e2e: ${name}=${v} is not a positive number`);
    process.exit(2);
  }
  return n;
}

const log = [];
function note(line) {
  log.push(`${new Date().toISOString()} ${line}`);
}

async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM} (Debian: apt-get install -y chromium, or set CHROMIUM)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
}

/** A browser context + page for one user; page errors and console errors are kept in u.errors. */
async function openUser(browser, tag, account) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, baseURL: BASE_URL });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  // Keeps every WebSocket the page opens, so a test can cut the connection as a network blip would.
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.__sockets.push(this);
      }
    };
  });
  const page = await context.newPage();
  const u = {
    tag,
    context,
    page,
    errors: [],
    ...(account || { name: randomName(tag), password: `pw-${crypto.randomBytes(8).toString('hex')}`, id: null }),
  };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') note(`[${tag}] console.${m.type()}: ${m.text()}`);
    if (m.type() === 'error') u.errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => {
    note(`[${tag}] pageerror: ${e.message}`);
    u.errors.push(`pageerror: ${e.message}`);
  });
  page.on('requestfailed', (r) => note(`[${tag}] requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return u;
}

function randomName(tag) {
  return `e2e_${tag}_${crypto.randomBytes(4).toString('hex')}`;
}

async function shot(page, name) {
  if (!page || page.isClosed()) return;
  try {
    await page.screenshot({ path: path.join(ARTIFACTS, `rooms-${name}.png`), fullPage: true });
  } catch (err) {
    note(`screenshot ${name} failed: ${err.message}`);
  }
}

/**
 * Polls `probe` in the page (page.evaluate with `arg`) until `ok(value)` holds; on timeout throws
 * "<what>: not within N ms; last seen <value>", so a failure says what was missing.
 */
async function waitUntil(page, what, probe, arg, ok, timeout = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    let read = true;
    try {
      last = await page.evaluate(probe, arg);
    } catch (err) {
      read = false; // e.g. a navigation under way
      last = `(page.evaluate failed: ${err.message.split('\n')[0]})`;
    }
    if (read && ok(last)) return last;
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${timeout} ms; last seen ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The room card's state as the page shows it. */
function roomProbe(room) {
  const card = Array.from(document.querySelectorAll('[data-testid="room"]')).find((c) => c.getAttribute('data-room') === room);
  if (!card)
    return { present: false, rooms: Array.from(document.querySelectorAll('[data-testid="room"]')).map((c) => c.getAttribute('data-room')) };
  const err = card.querySelector('[data-testid="room-error"]');
  return {
    present: true,
    status: card.getAttribute('data-status'),
    mode: card.getAttribute('data-mode'),
    count: card.querySelector('[data-testid="room-count"]')?.textContent.trim(),
    members: Array.from(card.querySelectorAll('[data-testid="room-member"]')).map((li) => li.getAttribute('data-user-id')),
    error: err ? `${err.getAttribute('data-code')}: ${err.querySelector('p')?.textContent.trim()}` : null,
  };
}

/** Waits until the room is joined with exactly `ids` as members and the count showing their number. */
async function waitForRoom(u, room, ids, timeout = STEP_TIMEOUT_MS) {
  const want = [...ids].map(String).sort();
  try {
    return await waitUntil(
      u.page,
      `${u.tag}'s ${room} with members ${JSON.stringify(want)} and count ${want.length}`,
      roomProbe,
      room,
      (r) => {
        if (r.error) throw new Error(`${u.tag}'s join of ${room} was refused: ${r.error}`);
        return (
          r.present &&
          r.status === 'joined' &&
          r.count === String(want.length) &&
          JSON.stringify([...r.members].sort()) === JSON.stringify(want)
        );
      },
      timeout,
    );
  } catch (err) {
    if (/was refused: (timeout|bad_request):/.test(err.message)) {
      err.message += ' (does this server speak presence:join? CONTRACT.md "Rooms and watchlists")';
    }
    throw err;
  }
}

/** The contact row of `id` on the online page: its dot's state and its line. */
function contactProbe(id) {
  const li = document.querySelector(`[data-testid="contact"][data-user-id="${id}"]`);
  const err = document.querySelector('[data-testid="contacts-error"]');
  return {
    present: !!li,
    presence: li?.getAttribute('data-presence') ?? null,
    line: li?.querySelector('[data-testid="contact-state"]')?.textContent.trim() ?? null,
    error: err ? err.querySelector('p')?.textContent.trim() : null,
  };
}

async function waitForContact(u, other, presence, timeout = STEP_TIMEOUT_MS) {
  return waitUntil(
    u.page,
    `${u.tag}'s contact ${other.tag} (${other.id}) shown ${presence}`,
    contactProbe,
    other.id,
    (c) => {
      if (c.error) throw new Error(`${u.tag}'s contacts show an error: ${c.error}`);
      return c.present && c.presence === presence;
    },
    timeout,
  );
}

async function waitForStatus(u, text) {
  await waitUntil(
    u.page,
    `${u.tag}'s connection badge "${text}"`,
    () => document.querySelector('[data-testid="connection-status"]')?.textContent.trim(),
    null,
    (t) => t === text,
  );
}

/** Registers through the form and waits for the online page, where the user is marked "you". */
async function register(u) {
  const { page } = u;
  await page.goto('/', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-testid="login-form"]');
  await page.click('[data-testid="to-register"]');
  await page.waitForSelector('input[name="email"]');
  await page.fill('input[name="username"]', u.name);
  await page.fill('input[name="email"]', `${u.name}@example.test`);
  await page.fill('input[name="password"]', u.password);
  await page.click('button[type="submit"]');
  u.id = await meOnOnlinePage(u);
}

async function login(u) {
  const { page } = u;
  await page.goto('/', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-testid="login-form"]');
  await page.fill('input[name="username"]', u.name);
  await page.fill('input[name="password"]', u.password);
  await page.click('button[type="submit"]');
  const id = await meOnOnlinePage(u);
  if (id !== u.id) throw new Error(`${u.tag} signed in as user ${id}, expected ${u.id}`);
}

async function meOnOnlinePage(u) {
  const me = await waitUntil(
    u.page,
    `${u.tag} marked "you" in the online list`,
    () => {
      const li = document.querySelector('[data-testid="online-user"]:has([data-testid="you"])');
      return li
        ? { id: li.getAttribute('data-user-id'), name: li.querySelector('[data-testid="online-username"]')?.textContent.trim() }
        : null;
    },
    null,
    (m) => !!m,
  );
  if (me.name !== u.name) throw new Error(`"${me.name}" is marked "you", expected "${u.name}"`);
  return me.id;
}

async function openRooms(u) {
  await u.page.click('[data-testid="nav-rooms"]');
  await u.page.waitForSelector('[data-testid="rooms-page"]');
}

async function openOnline(u) {
  await u.page.click('[data-testid="nav-online"]');
  await u.page.waitForSelector('[data-testid="online-list"]');
}

async function openPeople(u) {
  await u.page.click('[data-testid="nav-people"]');
  await u.page.waitForSelector('[data-testid="people-page"]');
}

const peopleToggle = (other) => `[data-testid="directory-user"][data-user-id="${other.id}"] [data-testid="directory-contact-toggle"]`;

async function buttonText(u, selector) {
  return (await u.page.textContent(selector)).replace(/\s+/g, ' ').trim();
}

/** The People page's row of `id` (on the page shown) and the pager's state. */
function directoryProbe(id) {
  const li = document.querySelector(`[data-testid="directory-user"][data-user-id="${id}"]`);
  const list = document.querySelector('[data-testid="people-list"]');
  const err = document.querySelector('[data-testid="people-error"]');
  return {
    present: !!li,
    presence: li?.getAttribute('data-presence') ?? null,
    line: li?.querySelector('[data-testid="directory-state"]')?.textContent.trim() ?? null,
    shown: !!list && !list.hidden && list.getAttribute('aria-busy') !== 'true',
    rows: document.querySelectorAll('[data-testid="directory-user"]').length,
    page: document.querySelector('[data-testid="people-page-number"]')?.getAttribute('data-page') ?? null,
    hasNext: document.querySelector('[data-testid="people-next"]')?.getAttribute('aria-disabled') !== 'true',
    error: err ? err.querySelector('p')?.textContent.trim() : null,
  };
}

/**
 * Pages through the directory (Next) until the page shown lists `other`: on a shared server they may not
 * be on the first page (50 a page, by account).
 */
async function findOnPeoplePage(u, other) {
  for (let i = 0; i < 100; i++) {
    const p = await waitUntil(u.page, `${u.tag}'s People page loaded`, directoryProbe, other.id, (d) => {
      if (d.error) throw new Error(`${u.tag}'s People page shows an error: ${d.error}`);
      return d.shown && d.rows > 0;
    });
    if (p.present) return p;
    if (!p.hasNext) break;
    await u.page.click('[data-testid="people-next"]');
    await waitUntil(u.page, `${u.tag}'s People page ${Number(p.page) + 1}`, directoryProbe, other.id, (d) => d.page === String(Number(p.page) + 1));
  }
  throw new Error(`${other.tag} (${other.id}) is on no page of ${u.tag}'s People page`);
}

async function waitForDirectoryUser(u, other, presence, timeout = STEP_TIMEOUT_MS) {
  return waitUntil(
    u.page,
    `${u.tag}'s People page showing ${other.tag} (${other.id}) ${presence}`,
    directoryProbe,
    other.id,
    (d) => {
      if (d.error) throw new Error(`${u.tag}'s People page shows an error: ${d.error}`);
      return d.present && d.presence === presence;
    },
    timeout,
  );
}

async function joinByName(u, room) {
  await u.page.fill('input[name="room"]', room);
  await u.page.click('[data-testid="room-join"]');
}

async function leave(u, room) {
  await u.page.click(`[data-testid="room"][data-room="${room}"] [data-testid="room-leave"]`);
  await waitUntil(u.page, `${u.tag}'s card of ${room} gone after Leave`, roomProbe, room, (r) => !r.present);
}

/** Closes every open WebSocket of the page (the server sees the connection drop), waits for a new one. */
async function cutConnection(u) {
  const before = await u.page.evaluate(() => {
    const open = window.__sockets.filter((s) => s.readyState === WebSocket.OPEN);
    for (const s of open) s.close();
    return { total: window.__sockets.length, closed: open.length };
  });
  if (!before.closed) throw new Error(`${u.tag} had no open websocket to cut (still on long-polling?)`);
  await waitUntil(
    u.page,
    `${u.tag} reconnected on a new websocket after the cut`,
    (n) => ({ opened: window.__sockets.slice(n).filter((s) => s.readyState === WebSocket.OPEN).length }),
    before.total,
    (s) => s.opened > 0,
  );
  await waitForStatus(u, 'connected');
  note(`${u.tag}: cut ${before.closed} websocket(s), reconnected`);
}

/** Waits for the page to be on websocket (the SPA starts on long-polling, then upgrades). */
async function waitForWebsocket(u) {
  await waitUntil(
    u.page,
    `${u.tag}'s connection upgraded to a websocket`,
    () => window.__sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
    null,
    (n) => n > 0,
  );
}

async function selfTest() {
  const steps = [
    [
      'browser launches and renders a page',
      async () => {
        const browser = await launch();
        try {
          const page = await (await browser.newContext()).newPage();
          await page.setContent('<main><h1 data-testid="x">presenced rooms e2e self-test</h1></main>');
          await waitUntil(
            page,
            'the heading',
            () => !!document.querySelector('[data-testid="x"]'),
            null,
            (x) => x,
            5000,
          );
          note(`self-test: ${await browser.version()}`);
        } finally {
          await browser.close();
        }
      },
    ],
  ];
  return run(steps, {});
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  if (SELF_TEST) return selfTest();
  if (!BASE_URL) {
    console.error('rooms.e2e: set BASE_URL (e.g. BASE_URL=http://127.0.0.1:8888), or pass --self-test');
    process.exit(2);
  }
  note(`BASE_URL=${BASE_URL} OFFLINE_BOUND_MS=${OFFLINE_BOUND_MS} STEP_TIMEOUT_MS=${STEP_TIMEOUT_MS} ROOM=${ROOM}`);

  const ctx = { browser: null, a: null, b: null };
  const steps = [
    [
      'browser launches',
      async () => {
        ctx.browser = await launch();
        ctx.a = await openUser(ctx.browser, 'a');
        ctx.b = await openUser(ctx.browser, 'b');
      },
    ],
    [
      'users A and B register',
      async () => {
        await register(ctx.a);
        await register(ctx.b);
      },
    ],
    [
      'A opens Rooms from the header; the form refuses names the contract does not allow',
      async () => {
        const { a } = ctx;
        await openRooms(a);
        for (const [bad, says] of [
          ['lobby', 'public:'],
          ['public:two words', 'no spaces'],
          ['public:', 'after public:'],
        ]) {
          await joinByName(a, bad);
          await waitUntil(
            a.page,
            `an error for the name "${bad}" that mentions "${says}"`,
            () => document.querySelector('[data-testid="room-name-error"]')?.textContent.replace(/\s+/g, ' ').trim() ?? null,
            null,
            (t) => !!t && t.includes(says),
          );
        }
        const cards = await a.page.$$('[data-testid="room"]');
        if (cards.length) throw new Error(`${cards.length} room(s) appeared for refused names`);
        if ((await a.page.getAttribute('input[name="room"]', 'aria-invalid')) !== 'true')
          throw new Error('the room field is not marked aria-invalid');
        await shot(a.page, '01-a-validation');
      },
    ],
    [
      `A and B join ${ROOM} by name and see each other live, with the count`,
      async () => {
        const { a, b } = ctx;
        await joinByName(a, ROOM);
        await waitForRoom(a, ROOM, [a.id]);
        await openRooms(b);
        await joinByName(b, ROOM);
        await waitForRoom(b, ROOM, [a.id, b.id]);
        await waitForRoom(a, ROOM, [a.id, b.id]);
        await shot(a.page, '02-a-sees-b');
        await shot(b.page, '02-b-sees-a');
      },
    ],
    [
      `A also joins ${LOBBY} from the suggestions: two rooms at once`,
      async () => {
        const { a, b } = ctx;
        await a.page.click(`[data-testid="suggested-room"][data-room="${LOBBY}"]`);
        const lobby = await waitUntil(a.page, `A's ${LOBBY} joined`, roomProbe, LOBBY, (r) => {
          if (r.error) throw new Error(`A's join of ${LOBBY} was refused: ${r.error}`);
          return r.present && r.status === 'joined';
        });
        // Others may be in the lobby of a shared server; A must be among them (or the room is in count mode).
        if (lobby.mode === 'list' && !lobby.members.includes(a.id))
          throw new Error(`A is not listed in ${LOBBY}: ${JSON.stringify(lobby)}`);
        await waitForRoom(a, ROOM, [a.id, b.id], 1000);
      },
    ],
    [
      `B leaves ${ROOM}: A sees B gone and the count 1 within ${OFFLINE_BOUND_MS} ms; B joins again`,
      async () => {
        const { a, b } = ctx;
        const t0 = Date.now();
        await leave(b, ROOM);
        await waitForRoom(a, ROOM, [a.id], OFFLINE_BOUND_MS);
        note(`B's leave reached A after ${Date.now() - t0} ms`);
        await joinByName(b, ROOM);
        await waitForRoom(b, ROOM, [a.id, b.id]);
        await waitForRoom(a, ROOM, [a.id, b.id]);
      },
    ],
    [
      "A's connection drops and comes back: A's rooms are joined again and follow B",
      async () => {
        const { a, b } = ctx;
        await waitForWebsocket(a);
        await cutConnection(a);
        await waitForRoom(a, ROOM, [a.id, b.id]);
        await waitUntil(a.page, `A's ${LOBBY} joined again`, roomProbe, LOBBY, (r) => r.present && r.status === 'joined');
        // The proof that A's new connection is in the room: a change made now reaches it.
        await leave(b, ROOM);
        await waitForRoom(a, ROOM, [a.id], OFFLINE_BOUND_MS);
        await joinByName(b, ROOM);
        await waitForRoom(a, ROOM, [a.id, b.id]);
        await waitForRoom(b, ROOM, [a.id, b.id]);
        await shot(a.page, '03-a-after-reconnect');
      },
    ],
    [
      `B closes its page: A's room drops B within ${OFFLINE_BOUND_MS} ms, and so does A's online list`,
      async () => {
        const { a, b } = ctx;
        const t0 = Date.now();
        await b.page.close();
        await waitForRoom(a, ROOM, [a.id], OFFLINE_BOUND_MS);
        note(`B's close reached A's room after ${Date.now() - t0} ms`);
        await b.context.close();
        await openOnline(a);
        await waitUntil(
          a.page,
          "B gone from A's online list",
          (id) => !document.querySelector(`[data-testid="online-user"][data-user-id="${id}"]`),
          b.id,
          (gone) => gone,
          2000,
        );
      },
    ],
    [
      'A adds B, who is offline, to contacts from the People page: B shows offline there and in contacts; kept in localStorage',
      async () => {
        const { a, b } = ctx;
        await openPeople(a);
        await findOnPeoplePage(a, b);
        // A's own row (when on the same page) has no contacts button.
        const mine = await a.page.evaluate((id) => {
          const li = document.querySelector(`[data-testid="directory-user"][data-user-id="${id}"]`);
          return li ? !!li.querySelector('[data-testid="directory-contact-toggle"]') : null;
        }, a.id);
        if (mine) throw new Error('the People page offers A to add A to contacts');
        await waitForDirectoryUser(a, b, 'offline');
        const toggle = peopleToggle(b);
        const before = await buttonText(a, toggle);
        if (before !== `Add to contacts: ${b.name}`) throw new Error(`the People page's button for B says "${before}"`);
        await a.page.click(toggle);
        await waitUntil(
          a.page,
          "the People page's button for B turned to Remove",
          (sel) => document.querySelector(sel)?.textContent ?? '',
          toggle,
          (t) => t.includes('Remove from contacts'),
        );
        const stored = await a.page.evaluate((id) => localStorage.getItem(`presenced.contacts.${id}`), a.id);
        if (!stored || !JSON.parse(stored).some((c) => String(c.id) === b.id)) throw new Error(`localStorage holds ${stored}`);
        await shot(a.page, '04-a-people-b-offline');
        await openOnline(a);
        await waitForContact(a, b, 'offline'); // the watch answered: B is offline
        await openPeople(a); // where the next step watches B come online
        await findOnPeoplePage(a, b);
        await waitForDirectoryUser(a, b, 'offline');
      },
    ],
    [
      "B signs in again in a new browser: A's dot for B goes online, live on the People page and in contacts",
      async () => {
        const { a } = ctx;
        const b2 = await openUser(ctx.browser, 'b2', { name: ctx.b.name, password: ctx.b.password, id: ctx.b.id });
        ctx.b = b2;
        await login(b2);
        await waitForDirectoryUser(a, b2, 'online');
        await shot(a.page, '05-a-people-b-online');
        await openOnline(a);
        await waitForContact(a, b2, 'online');
        // The online list's own button knows B is a contact.
        const label = await buttonText(a, `[data-testid="online-user"][data-user-id="${b2.id}"] [data-testid="contact-toggle"]`);
        if (!label.startsWith('Remove from contacts')) throw new Error(`the online list's button for B says "${label}"`);
      },
    ],
    [
      `A's connection drops; then B closes its page: A's dot for B goes offline within ${OFFLINE_BOUND_MS} ms`,
      async () => {
        const { a, b } = ctx;
        await cutConnection(a); // the contacts must be watched again on the new connection
        await waitForContact(a, b, 'online');
        const t0 = Date.now();
        await b.page.close();
        await waitForContact(a, b, 'offline', OFFLINE_BOUND_MS);
        note(`B's close reached A's contacts after ${Date.now() - t0} ms`);
        await b.context.close();
        if (!(await a.page.$(`[data-testid="contact"][data-user-id="${b.id}"]`)))
          throw new Error('B left the contacts list with the online list');
        await shot(a.page, '06-a-contact-b-offline');
      },
    ],
    [
      'A reloads: the contact comes back from localStorage and is watched again',
      async () => {
        const { a, b } = ctx;
        await a.page.reload({ waitUntil: 'domcontentloaded' });
        await waitForContact(a, b, 'offline');
        await shot(a.page, '07-a-after-reload');
      },
    ],
    [
      "A removes B from contacts; the People page's button says Add again",
      async () => {
        const { a, b } = ctx;
        await a.page.click(`[data-testid="contact"][data-user-id="${b.id}"] [data-testid="contact-remove"]`);
        await waitUntil(a.page, "B gone from A's contacts", contactProbe, b.id, (c) => !c.present);
        const stored = await a.page.evaluate((id) => localStorage.getItem(`presenced.contacts.${id}`), a.id);
        if (stored) throw new Error(`localStorage still holds ${stored}`);
        await openPeople(a);
        await findOnPeoplePage(a, b);
        const label = await buttonText(a, peopleToggle(b));
        if (label !== `Add to contacts: ${b.name}`) throw new Error(`the People page's button for B says "${label}" after removing`);
      },
    ],
    [
      "A's pages logged no errors",
      async () => {
        if (ctx.a.errors.length) throw new Error(`A's page logged:\n${ctx.a.errors.join('\n')}`);
      },
    ],
  ];
  try {
    return await run(steps, ctx);
  } finally {
    if (ctx.browser) await ctx.browser.close().catch(() => {});
  }
}

async function run(steps, ctx) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const [name, fn] of steps) {
    if (failed) {
      skipped++;
      console.log(`SKIP ${name}`);
      continue;
    }
    const t0 = Date.now();
    try {
      await fn();
      passed++;
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      console.log(
        `FAIL ${name} (${Date.now() - t0} ms)\n     ${String(err && err.stack ? err.stack : err)
          .split('\n')
          .slice(0, 6)
          .join('\n     ')}`,
      );
      for (const u of [ctx.a, ctx.b]) if (u) await shot(u.page, `FAIL-${u.tag}`);
    }
  }
  fs.writeFileSync(path.join(ARTIFACTS, SELF_TEST ? 'rooms-self-test.log' : 'rooms-e2e.log'), log.join('\n') + '\n');
  if (failed) console.log(`artifacts: ${ARTIFACTS}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
