// Shared by the browser test files: the browser, a phone-sized context per test, helpers.
import { before, after } from 'node:test';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export const BASE = process.env.BASE_URL;
export const BACKEND = process.env.E2E_BACKEND || 'sqlite';
const SHOTS = new URL('./screenshots/', import.meta.url).pathname;
export const PASSWORD = 'Canbao@2022';
mkdirSync(SHOTS, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic', '--no-first-run'],
  });
});
after(async () => { await browser?.close(); });

// A phone-sized context (390x844, Chinese locale) with extra options, for a test that
// drives its own pages.
export function browserContext(options = {}) {
  return browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: 'zh-CN', ...options,
  });
}

// A fresh context per test: its own cookies, the phone viewport, JS on or off.
// Records console errors, page errors and failed asset requests, which must stay empty.
export async function open(js, expectedStatuses = []) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    javaScriptEnabled: js, locale: 'zh-CN',
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', m => {
    if (m.type() !== 'error') return;
    // A server function answering 4xx on purpose (wrong password) is logged by Chromium as a failed load.
    if (expectedStatuses.some(s => m.text().includes(`status of ${s}`))) return;
    problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', e => problems.push(`pageerror: ${e.message}`));
  page.on('response', r => {
    if (r.status() >= 400 && !expectedStatuses.includes(r.status())) problems.push(`${r.status()} ${r.url()}`);
  });
  return { context, page, problems };
}

export async function hydrated(page, js) {
  if (!js) return;
  // The WASM must load and hydrate the page's islands (the live forms); a page without an
  // island never fetches it.
  await page.waitForLoadState('networkidle');
  if (!(await page.$('leptos-island'))) return;
  await page.waitForFunction(() => performance.getEntriesByType('resource').some(e => e.name.endsWith('.wasm')));
  // Islands hydrate when the browser is idle; each marks itself `data-live` once it has.
  await page.waitForFunction(() => document.querySelectorAll('leptos-island').length
    === document.querySelectorAll('leptos-island [data-live]').length);
}

export const shot = (page, name) => page.screenshot({ path: `${SHOTS}${BACKEND}-${name}.png`, fullPage: true });

// The WASM modules this page fetched (islands: one module, holding only the interactive
// parts), with the content hash taken out of the name (canbao.<hash>.wasm → canbao.wasm).
export async function wasmModules(page) {
  return page.evaluate(() => performance.getEntriesByType('resource')
    .map(e => e.name.split('/').pop())
    .filter(n => n.endsWith('.wasm'))
    .map(n => n.replace(/\.[0-9a-f]{16}\.wasm$/, '.wasm')));
}

// Clicks `selector` and waits for the page it leads to (and, with JS, for its islands).
export async function submit(page, js, selector, urlPattern) {
  await Promise.all([page.waitForURL(urlPattern), page.click(selector)]);
  await hydrated(page, js);
}

// A new resident: phone sign-in with the demo code, then registration of `name` and `id`
// in `village`; returns once the household page shows `ready`.
export async function registerResident(page, js, { phone, person: [name, id], village, ready }) {
  await page.goto(BASE + '/login/resident');
  await hydrated(page, js);
  await page.fill('#phone', phone);
  await submit(page, js, 'main button[type=submit]', /\/login\/resident\/verify/);
  await page.fill('#code', (await page.textContent('[data-testid=demo-code]')).trim());
  await submit(page, js, 'main form button[type=submit]', /\/coverage$/);
  await page.waitForSelector('#id_number');
  await page.fill('#name', name);
  await page.fill('#id_number', id);
  await page.selectOption('#area_code', village);
  await Promise.all([page.waitForSelector(ready), page.click('main form button[type=submit]')]);
  await hydrated(page, js);
}

// Everything under 18 px and every control smaller than 60x60 on the page as shown.
export async function measureElder(page) {
  return page.evaluate(() => {
    const problems = [];
    const shown = el => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !el.closest('[hidden], .visually-hidden');
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || el.closest('script, style, noscript, svg') || !shown(el)) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 17.95) problems.push(`text ${size}px "${n.textContent.trim().slice(0, 24)}" in ${el.tagName.toLowerCase()}.${el.className}`);
    }
    for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
      if (!shown(el)) continue;
      // A box to tick counts with its label: the whole label is what the finger hits.
      const target = (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) || el;
      const r = target.getBoundingClientRect();
      const row = target.parentElement?.getBoundingClientRect().width ?? 0;
      if (r.height < 59.5 || (r.width < 59.5 && r.width < row * 0.9)) {
        const what = (el.textContent || el.value || el.name || el.getAttribute('aria-label') || '').trim().slice(0, 24);
        problems.push(`control ${Math.round(r.width)}x${Math.round(r.height)} ${el.tagName.toLowerCase()} "${what}"`);
      }
    }
    return problems;
  });
}

// axe-core's violations on the page (the context needs bypassCSP: the page's policy
// allows no injected script).
export async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
}

// A second demo server over the suite's own database, its clock on `today` (what residents
// see on a later day); `stop()` ends it. Started from the same binary and site as the suite's.
export async function laterServer(today) {
  const { spawn } = await import('node:child_process');
  const { createServer } = await import('node:net');
  const port = await new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
  const base = `http://127.0.0.1:${port}`;
  const env = { PATH: process.env.PATH, CANBAO_DEMO: 'on', LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: process.env.E2E_SITE_ROOT, DATABASE_URL: process.env.E2E_DATABASE_URL, CANBAO_TODAY: today };
  const child = spawn(process.env.E2E_SERVER_BIN, [], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`second server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/api/v1/health`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (i > 300) throw new Error('second server did not become healthy in 30 s');
    await new Promise(r => setTimeout(r, 100));
  }
  return {
    base,
    stop: () => new Promise(ok => {
      if (child.exitCode !== null) return ok();
      child.on('exit', ok);
      child.kill('SIGTERM');
    }),
  };
}

// Signs a staff account in on `page` and waits for the workbench.
export async function staffSignIn(page, js, username) {
  await page.goto(BASE + '/login/staff');
  await hydrated(page, js);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/work$/), page.click('main form button[type=submit]')]);
}
