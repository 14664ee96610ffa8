// Beijing 2020 (京医保发〔2020〕23号) with the demo date 2019-10-10, inside its (assumed)
// concentrated period. The notice sets no contribution standard: a resident outside the
// 免缴人员 is told so in plain words, is offered nothing to choose or pay, and nothing is
// enrolled; the quote page gives no figure either, and says which dates are assumed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, BACKEND, open, hydrated, shot } from '../lib.mjs';

const PEOPLE = {
  js: { phone: '13900000031', adult: ['王北平', '110101198505050032'] },
  nojs: { phone: '13900000032', adult: ['王京生', '110101198008080011'] },
};

async function submit(page, js, selector, urlPattern) {
  await Promise.all([page.waitForURL(urlPattern), page.click(selector)]);
  await hydrated(page, js);
}

for (const js of [true, false]) {
  const mode = js ? 'js' : 'nojs';
  const who = PEOPLE[mode];
  describe(`an unpriced notice, JavaScript ${js ? 'enabled' : 'disabled'} (${BACKEND})`, () => {
    test('a Beijing resident gets a clear message and no enrolment', async () => {
      const { context, page, problems } = await open(js);
      await page.goto(BASE + '/login/resident');
      await hydrated(page, js);
      await page.fill('#phone', who.phone);
      await submit(page, js, 'main button[type=submit]', /\/login\/resident\/verify/);
      await page.fill('#code', (await page.textContent('[data-testid=demo-code]')).trim());
      await submit(page, js, 'main form button[type=submit]', /\/coverage$/);
      await page.waitForSelector('#id_number');
      await page.fill('#name', who.adult[0]);
      await page.fill('#id_number', who.adult[1]);
      await page.selectOption('#area_code', '110101001001');
      await Promise.all([page.waitForSelector('[data-testid=enrol-member]'), page.click('main form button[type=submit]')]);
      await hydrated(page, js);

      assert.match(await page.textContent('[data-testid=preview-unpriced]'), /通知未规定/);
      assert.equal(await page.locator('[data-testid=preview-due]').count(), 0, 'no figure');
      assert.equal(await page.locator('[data-testid=hospital]').first().isVisible(), false, 'nothing to choose');
      const why = await page.textContent('[data-testid=preview-explanation]');
      assert.match(why, /未规定北京市2020年度城乡居民医保个人缴费标准/);
      assert.doesNotMatch(why, /280/);
      // The period's dates are not the notice's: the explanation says they are assumed.
      assert.match(why, /通知未明确缴费期的起止日期及是否按时缴费的认定，此处按假设计算/);
      // Nothing enrolled, nothing to pay.
      assert.equal(await page.locator('[data-testid=status]').count(), 0);
      assert.equal(await page.locator('[data-testid=unpaid-total]').count(), 0);
      await shot(page, `beijing-unpriced-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
