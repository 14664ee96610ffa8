// 长辈模式 on every page a resident, a village cadre, a township or a bureau officer meets,
// in Chinese and in English, to
// the MIIT 适老化 sizes: no visible text under 18 px, every control at least 60x60 px (or
// as wide as its row), and axe-core finding nothing (its colour-contrast rule is the 4.5:1
// check). The same pages in the normal view must pass axe-core too.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, BACKEND, PASSWORD, browserContext, shot, measureElder, axe } from '../lib.mjs';

// Residents: the demo's 张秀英 (a household) in Chinese, a new phone (the registration form)
// in English; one code a minute per phone, so never the same phone twice.
async function signIn(page, who, lang) {
  if (who === 'resident') {
    await page.goto(BASE + '/login/resident');
    await page.fill('#phone', lang === 'zh' ? '13800000001' : '13800000003');
    await Promise.all([page.waitForURL(/verify/), page.click('main button[type=submit]')]);
    await page.fill('#code', (await page.textContent('[data-testid=demo-code]')).trim());
    await Promise.all([page.waitForURL(/\/coverage$/), page.click('main form button[type=submit]')]);
  } else {
    await page.goto(BASE + '/login/staff');
    await page.fill('#username', who);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(url => !url.pathname.startsWith('/login')), page.click('main form button[type=submit]')]);
  }
}

const VISITS = [
  { who: null, pages: ['/', '/quote?policy=lishi-2023&paid_on=2022-10-08', '/login/resident', '/login/staff', '/no/such/page'] },
  { who: 'resident', pages: ['/coverage', '/account', '/quote'] },
  { who: 'cadre_dongguan', pages: ['/cadre', '/work', '/account', '/ledger'] },
  { who: 'township_binhe', pages: ['/work', '/certifications', '/reports', '/reports/dashboard', '/audit'] },
  {
    who: 'bureau_lishi',
    pages: ['/reports/statistics', '/reports/fund-request', '/targets', '/lists', '/lists/review',
      '/payment-exceptions', '/reconcile'],
  },
];

for (const lang of ['zh', 'en']) {
  describe(`长辈模式 and accessibility, ${lang} (${BACKEND})`, () => {
    for (const { who, pages } of VISITS) {
      test(`${who ?? 'signed out'}: every page to the MIIT sizes, and axe-core clean in both views`, async () => {
        const context = await browserContext({ bypassCSP: true });
        const page = await context.newPage();
        if (who) await signIn(page, who, lang);
        const failures = [];
        for (const elder of [true, false]) {
          await context.addCookies([
            { name: 'canbao_lang', value: lang, url: BASE },
            { name: 'canbao_elder', value: elder ? '1' : '0', url: BASE },
          ]);
          for (const path of pages) {
            await page.goto(BASE + path);
            await page.waitForLoadState('load');
            const where = `${elder ? 'elder' : 'normal'} ${path}`;
            if (elder) {
              for (const p of await measureElder(page)) failures.push(`${where}: ${p}`);
              await shot(page, `elder-${lang}-${(who ?? 'out')}-${path.replace(/[^a-z]+/g, '-')}`);
            }
            for (const v of await axe(page)) failures.push(`${where}: axe ${v}`);
          }
        }
        await context.close();
        assert.deepEqual(failures, []);
      });
    }
  });
}
