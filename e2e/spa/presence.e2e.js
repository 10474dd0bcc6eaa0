#!/usr/bin/env node
// presence.e2e.js — end-to-end test of the presenced SPA in a real browser against a live server.
//
// Two browser contexts (two independent users) register fresh accounts, see each other in the online
// list live, one reloads (stays logged in; the other sees no leave/join blip), one closes its page (gone
// from the other's list within OFFLINE_BOUND_MS), and logout returns to the login form.
//
// Usage:
//   BASE_URL=http://127.0.0.1:8888 node e2e/spa/presence.e2e.js
//   node e2e/spa/presence.e2e.js --self-test     # no server: checks that the browser starts and renders
//
// Environment:
//   BASE_URL          required (except --self-test): where the server serves the SPA, API and /websocket/
//   OFFLINE_BOUND_MS  default 3000: bound for a closed page's user to leave the other's list
//                     (the contract: offline-grace 2 s + 1 s)
//   STEP_TIMEOUT_MS   default 15000: bound for everything else (page loads, joins, forms)
//   PING_INTERVAL_MS  default 10000: the server's -ping-interval. A user is online for two sweeps after
//                     an HTTP login whatever its sockets do, which would hide a reload's leave; so the
//                     reload step waits until 2 × PING_INTERVAL_MS + 500 ms have passed since B
//                     registered. Start the server with a short -ping-interval (e.g. 1s) and pass it
//                     here to keep the run short.
//   E2E_ARTIFACTS     default <repo>/e2e/artifacts: screenshots (PNG) and a log of page errors
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
  console.error(`presence.e2e: cannot load playwright-core from ${E2E_DIR}/node_modules (run: cd e2e && npm ci)\n${err.message}`);
  process.exit(2);
}

const SELF_TEST = process.argv.includes('--self-test');
const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const OFFLINE_BOUND_MS = intEnv('OFFLINE_BOUND_MS', 3000);
const STEP_TIMEOUT_MS = intEnv('STEP_TIMEOUT_MS', 15000);
const PING_INTERVAL_MS = intEnv('PING_INTERVAL_MS', 10000);
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
// waitForFunction polls with requestAnimationFrame by default; a page in a background context gets
// no frames, so poll on a timer.
const POLL = 100;

const sel = {
  username: 'input[name="username"]',
  email: 'input[name="email"]',
  password: 'input[name="password"]',
  submit: 'button[type="submit"]',
  loginForm: '[data-testid="login-form"]',
  toRegister: '[data-testid="to-register"]',
  user: '[data-testid="online-user"]',
  username_: '[data-testid="online-username"]',
  count: '[data-testid="online-count"]',
  status: '[data-testid="connection-status"]',
  logout: '[data-testid="logout"]',
  you: '[data-testid="you"]',
};

function intEnv(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`presence.e2e: ${name}=${v} is not a positive number`);
    process.exit(2);
  }
  return n;
}

const log = [];
function note(line) {
  log.push(`${new Date().toISOString()} ${line}`);
}

function randomName(tag) {
  return `e2e_${tag}_${crypto.randomBytes(4).toString('hex')}`;
}

async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM} (Debian: apt-get install -y chromium, or set CHROMIUM)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
}

/** A browser context + page for one user, logging page errors. */
async function openUser(browser, tag) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, baseURL: BASE_URL });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  // Records whether a login form ever shows on this page (checked after a reload: no flash of it).
  await context.addInitScript(() => {
    window.__sawLoginForm = false;
    const check = () => {
      if (document.querySelector('[data-testid="login-form"], input[name="password"]')) window.__sawLoginForm = true;
    };
    new MutationObserver(check).observe(document, { childList: true, subtree: true });
  });
  const page = await context.newPage();
  watch(page, tag);
  return { tag, context, page, name: randomName(tag), id: null };
}

function watch(page, tag) {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') note(`[${tag}] console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => note(`[${tag}] pageerror: ${e.message}`));
  page.on('requestfailed', (r) => note(`[${tag}] requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
}

async function shot(page, name) {
  if (!page || page.isClosed()) return;
  try {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  } catch (err) {
    note(`screenshot ${name} failed: ${err.message}`);
  }
}

/** Usernames in the page's online list, with user ids and the "you" mark. */
function listOf(page) {
  return page.$$eval(sel.user, (lis) =>
    lis.map((li) => ({
      id: li.getAttribute('data-user-id'),
      name: li.querySelector('[data-testid="online-username"]')?.textContent.trim(),
      you: !!li.querySelector('[data-testid="you"]'),
    })),
  );
}

async function waitForUserInList(page, username, timeout = STEP_TIMEOUT_MS) {
  await page.waitForFunction(
    (name) =>
      Array.from(document.querySelectorAll('[data-testid="online-user"] [data-testid="online-username"]')).some(
        (el) => el.textContent.trim() === name,
      ),
    username,
    { polling: POLL, timeout },
  );
}

async function waitForStatus(page, text) {
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid="connection-status"]')?.textContent.trim() === t,
    text,
    { polling: POLL, timeout: STEP_TIMEOUT_MS },
  );
}

async function register(u) {
  const { page } = u;
  await page.goto('/', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector(sel.loginForm); // anonymous → login form
  await page.click(sel.toRegister);
  await page.waitForSelector(sel.email);
  await page.fill(sel.username, u.name);
  await page.fill(sel.email, `${u.name}@example.test`);
  await page.fill(sel.password, `pw-${crypto.randomBytes(8).toString('hex')}`);
  await page.click(sel.submit);
  await page.waitForFunction(
    () => document.querySelector('[data-testid="online-user"] [data-testid="you"]') !== null,
    null,
    { polling: POLL, timeout: STEP_TIMEOUT_MS },
  );
  const me = (await listOf(page)).find((r) => r.you);
  if (!me || me.name !== u.name) throw new Error(`expected "${u.name}" marked "you", list: ${JSON.stringify(await listOf(page))}`);
  u.id = me.id;
  u.registeredAt = Date.now();
  const shown = await page.textContent('[data-testid="current-username"]');
  if (shown?.trim() !== u.name) throw new Error(`header shows "${shown}", expected "${u.name}"`);
  if (!(await page.evaluate(() => !!localStorage.getItem('presenced.token')))) throw new Error('no token kept in localStorage');
}

/** Starts recording, in `page`, every moment user `id` is absent from the list (mutation-exact). */
async function startPresenceRecorder(page, id) {
  await page.evaluate((uid) => {
    const q = `[data-testid="online-user"][data-user-id="${uid}"]`;
    const rec = { samples: 0, absences: [], start: Date.now() };
    const check = () => {
      rec.samples++;
      if (!document.querySelector(q)) rec.absences.push(Date.now() - rec.start);
    };
    const mo = new MutationObserver(check);
    mo.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-user-id', 'data-testid'] });
    const timer = setInterval(check, 50);
    window.__presenceRec = { rec, stop: () => (mo.disconnect(), clearInterval(timer)) };
    check();
  }, id);
}

async function stopPresenceRecorder(page) {
  return page.evaluate(() => {
    const r = window.__presenceRec;
    r.stop();
    return r.rec;
  });
}

async function countMatchesList(page) {
  const [count, rows] = await Promise.all([page.textContent(sel.count), page.$$(sel.user)]);
  if (Number(count?.trim()) !== rows.length) throw new Error(`online-count says ${count}, list has ${rows.length} rows`);
}

async function selfTest() {
  const steps = [
    [
      'browser launches and renders a page',
      async () => {
        const browser = await launch();
        try {
          const context = await browser.newContext();
          const page = await context.newPage();
          await page.setContent('<main><h1 data-testid="x">presenced e2e self-test</h1></main>');
          await page.waitForFunction(() => document.querySelector('[data-testid="x"]') !== null, null, { polling: POLL, timeout: 5000 });
          await shot(page, 'self-test');
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
    console.error('presence.e2e: set BASE_URL (e.g. BASE_URL=http://127.0.0.1:8888), or pass --self-test');
    process.exit(2);
  }
  note(
    `BASE_URL=${BASE_URL} OFFLINE_BOUND_MS=${OFFLINE_BOUND_MS} STEP_TIMEOUT_MS=${STEP_TIMEOUT_MS} PING_INTERVAL_MS=${PING_INTERVAL_MS}`,
  );

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
    ['user A registers and sees the online page', () => register(ctx.a)],
    ['user B registers and sees the online page', () => register(ctx.b)],
    [
      'A and B see each other in the online list, live',
      async () => {
        const { a, b } = ctx;
        await waitForUserInList(a.page, b.name);
        await waitForUserInList(b.page, a.name);
        await waitForStatus(a.page, 'connected');
        await waitForStatus(b.page, 'connected');
        const la = await listOf(a.page);
        const other = la.find((r) => r.name === b.name);
        if (!other || other.you || other.id !== b.id) throw new Error(`A's row for B is wrong: ${JSON.stringify(other)} (B id ${b.id})`);
        await countMatchesList(a.page);
        await countMatchesList(b.page);
        await shot(a.page, '01-a-sees-b');
        await shot(b.page, '01-b-sees-a');
      },
    ],
    [
      'B reloads: still logged in, no login form flash, and A sees no leave/join blip',
      async () => {
        const { a, b } = ctx;
        // Past the "online for two sweeps after an HTTP login" window, only the sockets keep B online.
        const settle = b.registeredAt + 2 * PING_INTERVAL_MS + 500 - Date.now();
        if (settle > 0) {
          note(`waiting ${settle} ms for B's login window (2 sweeps) to pass`);
          await a.page.waitForTimeout(settle);
        }
        await startPresenceRecorder(a.page, b.id);
        const t0 = Date.now();
        await b.page.reload({ waitUntil: 'domcontentloaded' });
        await b.page.waitForFunction(
          () => document.querySelector('[data-testid="online-user"] [data-testid="you"]') !== null,
          null,
          { polling: POLL, timeout: STEP_TIMEOUT_MS },
        );
        const reloadMs = Date.now() - t0;
        if (await b.page.evaluate(() => window.__sawLoginForm)) throw new Error('the login form flashed during the reload');
        await waitForUserInList(b.page, a.name);
        await waitForStatus(b.page, 'connected');
        // Watch A's list past the server's offline grace: a leave would show up by then.
        await a.page.waitForTimeout(OFFLINE_BOUND_MS + 500);
        const rec = await stopPresenceRecorder(a.page);
        note(`reload took ${reloadMs} ms; A sampled its list ${rec.samples} times`);
        if (rec.absences.length) {
          throw new Error(`A's list lost B during B's reload at ${rec.absences.slice(0, 5).join(', ')} ms after it started (${rec.absences.length} samples)`);
        }
        await shot(b.page, '02-b-after-reload');
      },
    ],
    [
      `B closes its page: A's list drops B within ${OFFLINE_BOUND_MS} ms`,
      async () => {
        const { a, b } = ctx;
        const t0 = Date.now();
        await b.page.close();
        await a.page.waitForFunction(
          (id) => !document.querySelector(`[data-testid="online-user"][data-user-id="${id}"]`),
          b.id,
          { polling: POLL, timeout: OFFLINE_BOUND_MS },
        );
        note(`B left A's list ${Date.now() - t0} ms after its page closed`);
        await countMatchesList(a.page);
        await b.context.close();
        await shot(a.page, '03-a-after-b-closed');
      },
    ],
    [
      'A logs out and is back at the login form',
      async () => {
        const { a } = ctx;
        await a.page.click(sel.logout);
        await a.page.waitForSelector(sel.loginForm);
        await a.page.waitForSelector(sel.username);
        if (await a.page.$(sel.logout)) throw new Error('logout control still shown');
        if (await a.page.evaluate(() => localStorage.getItem('presenced.token'))) throw new Error('token still in localStorage');
        if (!a.page.url().endsWith('/login')) throw new Error(`URL after logout: ${a.page.url()}`);
        // A reload stays logged out.
        await a.page.reload({ waitUntil: 'domcontentloaded' });
        await a.page.waitForSelector(sel.loginForm);
        await shot(a.page, '04-a-logged-out');
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
      console.log(`FAIL ${name} (${Date.now() - t0} ms)\n     ${String(err && err.stack ? err.stack : err).split('\n').slice(0, 6).join('\n     ')}`);
      for (const u of [ctx.a, ctx.b]) if (u) await shot(u.page, `FAIL-${u.tag}`);
    }
  }
  fs.writeFileSync(path.join(ARTIFACTS, SELF_TEST ? 'self-test.log' : 'spa-e2e.log'), log.join('\n') + '\n');
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
