#!/usr/bin/env node
// operator.e2e.js — end-to-end test of the SPA's operator page in a real browser against a live server.
//
// A staff user signs in, opens /operator from the header link and watches the figures of
// server-action:stats update live (the chart grows or the connections figure changes). A second browser
// context registers a fresh non-staff user: the staff page's connections figure grows; that user has no
// operator link, and going to /operator (a page load, then an in-app navigation) lands on / without the
// operator page ever showing. When that user's page closes, the staff page's figure falls back.
//
// Usage:
//   BASE_URL=http://127.0.0.1:8888 STAFF_USERNAME=admin STAFF_PASSWORD=… node e2e/spa/operator.e2e.js
//   node e2e/spa/operator.e2e.js --self-test     # no server: checks that the browser starts and renders
//
// Environment:
//   BASE_URL          required (except --self-test): where the server serves the SPA, API and /websocket/
//   STAFF_USERNAME    required (except --self-test): a staff user (`presenced createsuperuser`)
//   STAFF_PASSWORD    required (except --self-test): its password
//   LIVE_BOUND_MS     default 5000: bound for the operator figures to visibly change (they come every second)
//   STEP_TIMEOUT_MS   default 15000: bound for everything else (page loads, forms, the connections figure)
//   E2E_ARTIFACTS     default <repo>/e2e/artifacts: screenshots (PNG, operator-*.png) and operator-e2e.log
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
  console.error(`operator.e2e: cannot load playwright-core from ${E2E_DIR}/node_modules (run: cd e2e && npm ci)\n${err.message}`);
  process.exit(2);
}

const SELF_TEST = process.argv.includes('--self-test');
const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const STAFF_USERNAME = process.env.STAFF_USERNAME || '';
const STAFF_PASSWORD = process.env.STAFF_PASSWORD || '';
const LIVE_BOUND_MS = intEnv('LIVE_BOUND_MS', 5000);
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
  you: '[data-testid="online-user"] [data-testid="you"]',
  currentUser: '[data-testid="current-username"]',
  operatorLink: '[data-testid="operator-link"]',
  operatorPage: '[data-testid="operator-page"]',
  connections: '[data-testid="stat-connections"]',
  usersOnline: '[data-testid="stat-users-online"]',
  pongs: '[data-testid="stat-pongs"]',
  chart: '[data-testid="operator-chart"]',
  status: '[data-testid="operator-status"]',
};

function intEnv(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`operator.e2e: ${name}=${v} is not a positive number`);
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
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: BASE_URL });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  // Records whether the operator page ever shows on this page (checked for the non-staff user).
  await context.addInitScript(() => {
    window.__sawOperatorPage = false;
    const check = () => {
      if (document.querySelector('[data-testid="operator-page"]')) window.__sawOperatorPage = true;
    };
    new MutationObserver(check).observe(document, { childList: true, subtree: true });
  });
  const page = await context.newPage();
  watch(page, tag);
  return { tag, context, page, name: randomName(tag) };
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

/** What the staff page shows now: the connections figure (total, bound, text) and the chart's points. */
function figures(page) {
  return page.evaluate((s) => {
    const c = document.querySelector(s.connections);
    const chart = document.querySelector(s.chart);
    return {
      text: c ? c.textContent.replace(/\s+/g, ' ').trim() : null,
      connections: c ? Number(c.getAttribute('data-value')) : null,
      bound: c ? Number(c.getAttribute('data-bound')) : null,
      points: chart ? Number(chart.getAttribute('data-points')) : null,
      // The server time of the latest figures shown.
      at: Number(document.querySelector(s.operatorPage)?.getAttribute('data-updated-at')) || null,
      status: document.querySelector(s.status)?.textContent.trim() ?? null,
    };
  }, sel);
}

/** Waits until the staff page's connections figure, total and bound, is above base's. */
function waitCountsMore(page, base) {
  return page.waitForFunction(
    ([s, b]) => {
      const c = document.querySelector(s.connections);
      return !!c && Number(c.getAttribute('data-value')) > b.connections && Number(c.getAttribute('data-bound')) > b.bound;
    },
    [sel, base],
    { polling: POLL, timeout: STEP_TIMEOUT_MS },
  );
}

function pathname(page) {
  return new URL(page.url()).pathname;
}

async function waitForOnlinePage(page) {
  await page.waitForFunction((q) => document.querySelector(q) !== null, sel.you, { polling: POLL, timeout: STEP_TIMEOUT_MS });
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
  await waitForOnlinePage(page);
  const shown = await page.textContent(sel.currentUser);
  if (shown?.trim() !== u.name) throw new Error(`header shows "${shown}", expected "${u.name}"`);
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
          await page.setContent('<main><h1 data-testid="x">presenced operator e2e self-test</h1></main>');
          await page.waitForFunction(() => document.querySelector('[data-testid="x"]') !== null, null, { polling: POLL, timeout: 5000 });
          await shot(page, 'operator-self-test');
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
  if (!BASE_URL || !STAFF_USERNAME || !STAFF_PASSWORD) {
    console.error('operator.e2e: set BASE_URL, STAFF_USERNAME and STAFF_PASSWORD (a staff user: presenced createsuperuser), or pass --self-test');
    process.exit(2);
  }
  note(`BASE_URL=${BASE_URL} STAFF_USERNAME=${STAFF_USERNAME} LIVE_BOUND_MS=${LIVE_BOUND_MS} STEP_TIMEOUT_MS=${STEP_TIMEOUT_MS}`);

  const ctx = { browser: null, a: null, b: null, base: null };
  const steps = [
    [
      'browser launches',
      async () => {
        ctx.browser = await launch();
        ctx.a = await openUser(ctx.browser, 'staff');
      },
    ],
    [
      'the staff user signs in and opens /operator from the header link',
      async () => {
        const { page } = ctx.a;
        await page.goto('/', { waitUntil: 'domcontentloaded' });
        await page.waitForSelector(sel.loginForm);
        await page.fill(sel.username, STAFF_USERNAME);
        await page.fill(sel.password, STAFF_PASSWORD);
        await page.click(sel.submit);
        await waitForOnlinePage(page);
        const link = await page.waitForSelector(sel.operatorLink);
        if ((await link.getAttribute('href')) !== '/operator') throw new Error(`operator link points to ${await link.getAttribute('href')}`);
        await link.click();
        await page.waitForSelector(sel.operatorPage);
        if (pathname(page) !== '/operator') throw new Error(`URL after the link: ${page.url()}`);
        if ((await link.getAttribute('aria-current')) !== 'page') throw new Error('the operator link is not marked as the current page');
        // The first server-action:stats (one a second, to staff sockets only).
        await page.waitForSelector(`${sel.connections}, ${sel.usersOnline}, ${sel.pongs}`);
        for (const q of [sel.connections, sel.usersOnline, sel.pongs, sel.chart]) await page.waitForSelector(q);
        const f = await figures(page);
        note(`staff page first figures: ${JSON.stringify(f)}`);
        if (!(f.connections >= 1 && f.bound >= 1)) throw new Error(`the staff user's own socket is not counted: ${JSON.stringify(f)}`);
        if (!f.at) throw new Error('the operator page does not say when its figures are from (data-updated-at)');
      },
    ],
    [
      `the figures update live (within ${LIVE_BOUND_MS} ms)`,
      async () => {
        const { page } = ctx.a;
        const before = await figures(page);
        const t0 = Date.now();
        await page.waitForFunction(
          ([s, b]) => {
            const text = document.querySelector(s.connections)?.textContent.replace(/\s+/g, ' ').trim();
            const points = Number(document.querySelector(s.chart)?.getAttribute('data-points'));
            const at = Number(document.querySelector(s.operatorPage)?.getAttribute('data-updated-at'));
            return text !== b.text || points > b.points || at > b.at;
          },
          [sel, before],
          { polling: POLL, timeout: LIVE_BOUND_MS },
        );
        // And keeps going: two more seconds of figures.
        await page.waitForFunction(
          ([s, at]) => Number(document.querySelector(s.operatorPage)?.getAttribute('data-updated-at')) >= at,
          [sel, before.at + 2000],
          { polling: POLL, timeout: LIVE_BOUND_MS },
        );
        const after = await figures(page);
        note(`figures changed after ${Date.now() - t0} ms: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
        if (after.status !== 'Live') throw new Error(`status says "${after.status}", expected "Live"`);
        const lines = await page.$$eval(`${sel.chart} svg .chart__line`, (ps) => ps.map((p) => p.getAttribute('d') || ''));
        if (lines.length < 2 || lines.some((d) => !/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+/.test(d))) {
          throw new Error(`the chart draws no lines: ${JSON.stringify(lines)}`);
        }
        await shot(page, 'operator-01-staff-live');
      },
    ],
    [
      "a new non-staff user registers: the staff page's connections figure grows",
      async () => {
        const { page } = ctx.a;
        ctx.base = await figures(page);
        ctx.b = await openUser(ctx.browser, 'user');
        await register(ctx.b);
        const t0 = Date.now();
        await waitCountsMore(page, ctx.base);
        const after = await figures(page);
        note(`connections ${ctx.base.connections} (bound ${ctx.base.bound}) -> ${after.connections} (bound ${after.bound}) ${Date.now() - t0} ms after the registration`);
        if (await ctx.b.page.$(sel.operatorLink)) throw new Error('the non-staff user is shown the operator link');
        await shot(page, 'operator-02-staff-sees-new-connection');
        await shot(ctx.b.page, 'operator-03-user-online-page');
      },
    ],
    [
      'the non-staff user going to /operator lands on / and never sees the operator page',
      async () => {
        const { page } = ctx.b;
        // A page load of /operator (the server serves the app; its guard decides) …
        await page.goto('/operator', { waitUntil: 'domcontentloaded' });
        await page.waitForFunction(() => location.pathname === '/', null, { polling: POLL, timeout: STEP_TIMEOUT_MS });
        await waitForOnlinePage(page);
        if (await page.evaluate(() => window.__sawOperatorPage)) throw new Error('the operator page showed during the page load of /operator');
        // … and an in-app navigation (the router, without a page load).
        await page.evaluate(() => {
          history.pushState({}, '', '/operator');
          dispatchEvent(new PopStateEvent('popstate', { state: {} }));
        });
        await page.waitForFunction(() => location.pathname === '/', null, { polling: POLL, timeout: STEP_TIMEOUT_MS });
        await waitForOnlinePage(page);
        await page.waitForTimeout(300);
        if (await page.evaluate(() => window.__sawOperatorPage)) throw new Error('the operator page showed during an in-app navigation to /operator');
        if (await page.$(sel.operatorPage)) throw new Error('the operator page is on screen');
        if (pathname(page) !== '/') throw new Error(`URL: ${page.url()}`);
        await shot(page, 'operator-04-user-redirected');
      },
    ],
    [
      "the non-staff user's page closes: the staff page's connections figure falls back",
      async () => {
        const { page } = ctx.a;
        // The previous step reloaded the user's page: wait until the figures count its new
        // socket again, or "before" may be a dip between its old socket and the new one.
        await waitCountsMore(page, ctx.base);
        const before = await figures(page);
        await ctx.b.page.close();
        await ctx.b.context.close();
        await page.waitForFunction(
          ([s, n]) => Number(document.querySelector(s.connections)?.getAttribute('data-value')) < n,
          [sel, before.connections],
          { polling: POLL, timeout: STEP_TIMEOUT_MS },
        );
        note(`connections ${before.connections} -> ${(await figures(page)).connections} after the user's page closed`);
        await shot(page, 'operator-05-staff-after-user-left');
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
      for (const u of [ctx.a, ctx.b]) if (u) await shot(u.page, `operator-FAIL-${u.tag}`);
    }
  }
  fs.writeFileSync(path.join(ARTIFACTS, SELF_TEST ? 'operator-self-test.log' : 'operator-e2e.log'), log.join('\n') + '\n');
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
