// Moving between pages without a full reload (public/nav.js): the document stays (a marker
// on `window` survives), islands on the new page come alive, back and forward restore the
// scroll position, and a slow answer shows a progress bar. With JavaScript off the same
// links are plain page loads (every other suite runs without JavaScript too).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BACKEND, open, hydrated, registerResident, shot } from '../lib.mjs';

const navigate = async (page, href) => {
  await Promise.all([
    page.waitForURL(u => new URL(u).pathname === href),
    page.click(`nav.main-nav a[href="${href}"]`),
  ]);
  await hydrated(page, true);
};

describe(`moving between pages (${BACKEND})`, () => {
  test('a marker on window survives the resident pages; islands, scroll and progress work', async () => {
    const { context, page, problems } = await open(true);
    await registerResident(page, true, {
      phone: '13900000031', person: ['周立新', '141102198503151238'], village: '141102001001', ready: '[data-testid=enrol-member]',
    });
    await page.evaluate(() => { window.__canbaoMarker = 'still here'; });
    const loads = () => page.evaluate(() => performance.getEntriesByType('navigation').length);
    assert.equal(await loads(), 1);

    // 算一算 has an island: it arrives with the page and comes alive.
    await navigate(page, '/quote');
    assert.equal(await page.evaluate(() => window.__canbaoMarker), 'still here');
    await page.fill('#id_number', '141102198503151238');
    await page.waitForFunction(() => /350\.00/.test(document.querySelector('[data-testid=quote-due]')?.textContent ?? ''));
    for (const href of ['/certifications', '/account', '/coverage']) {
      await navigate(page, href);
      assert.equal(await page.evaluate(() => window.__canbaoMarker), 'still here', href);
    }
    assert.match(await page.title(), /医保|参保/);
    // The enrolment card on 我的参保 is live again after coming back to it.
    assert.equal(await page.locator('[data-testid=enrol-member]').count(), 1);

    // Back and forward restore where the page was scrolled to.
    await page.evaluate(() => window.scrollTo(0, 400));
    await page.waitForFunction(() => Math.abs(window.scrollY - 400) < 2);
    // Tapped where the page is (Playwright's own click would first scroll the link into view).
    await Promise.all([
      page.waitForURL(/\/quote$/),
      page.$eval('nav.main-nav a[href="/quote"]', a => a.click()),
    ]);
    await hydrated(page, true);
    assert.equal(await page.evaluate(() => window.scrollY), 0, 'a new page starts at its top');
    await Promise.all([page.waitForURL(/\/coverage$/), page.goBack()]);
    await page.waitForFunction(() => Math.abs(window.scrollY - 400) < 2);
    await Promise.all([page.waitForURL(/\/quote$/), page.goForward()]);
    assert.equal(await page.evaluate(() => window.__canbaoMarker), 'still here');

    // A slow answer shows the progress bar until the page is there.
    await page.route('**/account', async route => {
      await new Promise(r => setTimeout(r, 1200));
      await route.continue();
    });
    const clicked = page.click('nav.main-nav a[href="/account"]');
    await page.waitForSelector('html.navigating', { state: 'attached' });
    await shot(page, 'navigation-progress-js');
    await clicked;
    await page.waitForURL(/\/account$/);
    await page.waitForSelector('html:not(.navigating)', { state: 'attached' });
    await page.unroute('**/account');

    // A form posts through the loader too: the language switch answers with the same page
    // in English, and the document is still the first one.
    await Promise.all([
      page.waitForFunction(() => document.documentElement.lang === 'en'),
      page.click('.switches form:first-child button'),
    ]);
    assert.match(await page.textContent('h1'), /My account/);
    assert.equal(await page.evaluate(() => window.__canbaoMarker), 'still here');
    assert.equal(await loads(), 1, 'one document load for the whole visit');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
