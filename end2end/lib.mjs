// Shared by the browser test files: the browser, a phone-sized context per test, helpers.
import { before, after } from 'node:test';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

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
  // The WASM must load and hydrate the page's islands (the live forms).
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => performance.getEntriesByType('resource').some(e => e.name.endsWith('.wasm')));
  // Islands hydrate when the browser is idle; each marks itself `data-live` once it has.
  await page.waitForFunction(() => document.querySelectorAll('leptos-island').length
    === document.querySelectorAll('leptos-island [data-live]').length);
}

export const shot = (page, name) => page.screenshot({ path: `${SHOTS}${BACKEND}-${name}.png`, fullPage: true });

// The WASM modules this page fetched (islands: one module, holding only the interactive parts).
export async function wasmModules(page) {
  return page.evaluate(() => performance.getEntriesByType('resource')
    .map(e => e.name.split('/').pop())
    .filter(n => n.endsWith('.wasm')));
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
