// Staff pages on a 390 px phone: nothing wider than the screen, the bureau's navigation on
// two lines with the rest under 更多, reports scrolling sideways with the area column fixed,
// records as cards, the audit log and the workbench in words.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, BACKEND, PASSWORD, open, hydrated, shot } from '../lib.mjs';

async function staff(page, username) {
  await page.goto(BASE + '/login/staff');
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(u => !u.pathname.startsWith('/login')), page.click('main form button[type=submit]')]);
  await hydrated(page, true);
}

const width = page => page.evaluate(() => document.documentElement.scrollWidth);

describe(`staff pages on a phone (${BACKEND})`, () => {
  test('the bureau officer reads every page without sideways scrolling', async () => {
    const { context, page, problems } = await open(true);
    await staff(page, 'bureau_lishi');

    // Navigation: the daily destinations in the bar, the rest under 更多 (a <details>).
    const nav = await page.locator('nav.main-nav').boundingBox();
    assert.ok(nav.height < 130, `the bar is at most two lines (${nav.height}px)`);
    assert.equal(await page.isVisible('nav.main-nav a[href="/targets"]'), false);
    await page.click('nav.main-nav .nav-more summary');
    assert.equal(await page.isVisible('nav.main-nav a[href="/targets"]'), true);

    for (const path of ['/work', '/reports', '/reports/dashboard', '/reports/statistics', '/targets', '/audit',
      '/reconcile', '/payment-exceptions', '/lists']) {
      await page.goto(BASE + path);
      await hydrated(page, true);
      assert.ok(await width(page) <= 390, `${path} fits the screen (${await width(page)}px)`);
    }

    // The workbench counts what waits, each a link to where it is done.
    await page.goto(BASE + '/work');
    const kinds = await page.locator('[data-testid=todo] li').evaluateAll(els => els.map(e => e.dataset.kind));
    assert.deepEqual(kinds.sort(), ['adjustments', 'certifications', 'ledger_not_contacted', 'ledger_unpaid', 'list_review',
      'payment_exceptions', 'policy_drafts']);
    await shot(page, 'staff-phone-work');

    // The weekly report scrolls sideways with the township column in place.
    await page.goto(BASE + '/reports');
    const wrap = page.locator('.table-wrap').first();
    await wrap.evaluate(el => { el.scrollLeft = 300; });
    const [wrapLeft, cellLeft] = await wrap.evaluate(el => [
      el.getBoundingClientRect().left, el.querySelector('tbody th').getBoundingClientRect().left]);
    assert.ok(Math.abs(wrapLeft - cellLeft) < 2, `the first column stays (${wrapLeft} vs ${cellLeft})`);
    await shot(page, 'staff-phone-weekly');

    // Targets: one card per area, the source readable (not one character a line).
    await page.goto(BASE + '/targets');
    const source = await page.locator('[data-testid=targets-table] td.source').first().boundingBox();
    assert.ok(source.width > 200, `the source is readable (${source.width}px wide)`);
    await shot(page, 'staff-phone-targets');

    // The audit log in words: no raw action codes.
    await page.goto(BASE + '/audit');
    const actions = await page.locator('[data-testid=audit] td[data-label]:nth-child(3)').allTextContents();
    assert.ok(actions.length > 0);
    for (const a of actions) assert.doesNotMatch(a, /^[a-z_]+$/, `"${a}" is a code`);
    await shot(page, 'staff-phone-audit');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
