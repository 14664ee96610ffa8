// What a resident's phone downloads and how soon it sees the page (issue 25 §1): headless
// Chromium at 390x844 with the throttle (150 ms latency, 1.6 Mbps down, 750 kbps up,
// CPU x4), for /, /quote and /coverage (signed in as a demo resident), cold (a new browser
// context: empty cache) and warm (the same context, second visit). Prints bytes over the
// network and Largest Contentful Paint per page.
//
// Usage: node docs/load/phone.mjs [base URL]   (default: starts target/release/server in
// demo mode with a fresh SQLite database on a free port). Needs playwright-core (installed
// under end2end/ by .ci/setup-browser) and Debian's chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'end2end/package.json'));
const { chromium } = require('playwright-core');

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'canbao-phone-'));
  const port = 3900 + Math.floor(Math.random() * 90);
  const child = spawn(join(root, 'target/release/server'), [], {
    env: {
      ...process.env, CANBAO_DEMO: 'on', RUST_LOG: 'warn', CANBAO_TODAY: '2022-10-08',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`, LEPTOS_SITE_ROOT: join(root, 'target/site'),
      DATABASE_URL: `sqlite://${dir}/canbao.db`,
    },
    stdio: 'inherit',
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${base}/api/v1/health`)).ok) break; } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 100));
  }
  return { base, stop: () => { child.kill(); rmSync(dir, { recursive: true, force: true }); } };
}

const server = process.argv[2] ? { base: process.argv[2], stop() {} } : await startServer();
const BASE = server.base;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic'],
});

async function throttled(context) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  cdp.on('Network.loadingFinished', e => { bytes += e.encodedDataLength; });
  return { page, bytes: () => bytes, reset: () => { bytes = 0; } };
}

// Bytes over the network for one visit, its LCP, and whether its islands went live.
async function visit(t, path) {
  t.reset();
  await t.page.goto(BASE + path, { waitUntil: 'load' });
  await t.page.waitForLoadState('networkidle');
  const lcp = await t.page.evaluate(() => new Promise(ok => {
    new PerformanceObserver(list => {
      const all = list.getEntries();
      ok(all[all.length - 1].startTime);
    }).observe({ type: 'largest-contentful-paint', buffered: true });
    setTimeout(() => ok(NaN), 3000);
  }));
  return { bytes: t.bytes(), lcp };
}

// A signed-in resident's cookies, from a context of its own (so /coverage's cold visit
// starts with an empty cache).
async function residentState() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(BASE + '/login/resident');
  await page.fill('#phone', '13800000001');
  await Promise.all([page.waitForURL(/verify/), page.click('main button[type=submit]')]);
  await page.fill('#code', (await page.textContent('[data-testid=demo-code]')).trim());
  await Promise.all([page.waitForURL(/\/coverage$/), page.click('main form button[type=submit]')]);
  const state = await context.storageState();
  await context.close();
  return state;
}

// One sign-in for the run: a phone gets one code a minute.
const resident = await residentState();
const rows = [];
for (const path of ['/', '/quote', '/coverage']) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN',
    storageState: path === '/coverage' ? resident : undefined,
  });
  const t = await throttled(context);
  const cold = await visit(t, path);
  const warm = await visit(t, path);
  rows.push({ path, cold, warm });
  await context.close();
}

// Moving between pages (issue 25 §6): from a warm 我的参保, a tap on the navigation fetched by
// the page loader (public/nav.js: the next page's HTML, <body> swapped) against a full load
// of the same page; bytes and milliseconds until the new page's content is there.
const moves = [];
{
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN',
    storageState: resident,
  });
  const t = await throttled(context);
  for (const [href, ready] of [['/quote', '#quote-form'], ['/account', '[data-testid=account-name]'], ['/certifications', 'main h1']]) {
    await visit(t, '/coverage');
    t.reset();
    let start = Date.now();
    await Promise.all([
      t.page.waitForURL(u => new URL(u).pathname === href),
      t.page.click(`nav.main-nav a[href="${href}"]`),
    ]);
    await t.page.waitForSelector(ready);
    const tap = { ms: Date.now() - start, bytes: t.bytes() };
    t.reset();
    start = Date.now();
    await t.page.goto(BASE + href, { waitUntil: 'commit' });
    await t.page.waitForSelector(ready);
    const full = { ms: Date.now() - start, bytes: t.bytes() };
    moves.push({ href, tap, full });
  }
  await context.close();
}
await browser.close();
server.stop();

const kb = n => `${(n / 1024).toFixed(1)} KB`;
const ms = n => Number.isNaN(n) ? 'n/a' : `${(n / 1000).toFixed(2)} s`;
console.log('page        cold bytes   cold LCP   warm bytes   warm LCP');
for (const { path, cold, warm } of rows) {
  console.log(`${path.padEnd(11)} ${kb(cold.bytes).padStart(10)} ${ms(cold.lcp).padStart(10)} ${kb(warm.bytes).padStart(12)} ${ms(warm.lcp).padStart(10)}`);
}
console.log('\nfrom /coverage   tap (loader)          full load');
for (const { href, tap, full } of moves) {
  console.log(`${href.padEnd(16)} ${kb(tap.bytes).padStart(9)} ${String(tap.ms).padStart(6)} ms ${kb(full.bytes).padStart(10)} ${String(full.ms).padStart(6)} ms`);
}
