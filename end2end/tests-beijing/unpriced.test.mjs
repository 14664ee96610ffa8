// Beijing 2020 (京医保发〔2020〕23号) with the demo date 2019-10-10, inside its (assumed)
// concentrated period. The notice sets no contribution standard: a resident outside the
// 免缴人员 is told so in plain words, is offered nothing to choose or pay, and nothing is
// enrolled; the quote page gives no figure either, and says which dates are assumed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BACKEND, open, hydrated, shot, registerResident } from '../lib.mjs';

const PEOPLE = {
  js: { phone: '13900000031', adult: ['王北平', '110101198505050032'] },
  nojs: { phone: '13900000032', adult: ['王京生', '110101198008080011'] },
};

for (const js of [true, false]) {
  const mode = js ? 'js' : 'nojs';
  const who = PEOPLE[mode];
  describe(`an unpriced notice, JavaScript ${js ? 'enabled' : 'disabled'} (${BACKEND})`, () => {
    test('a Beijing resident gets a clear message and no enrolment', async () => {
      const { context, page, problems } = await open(js);
      await registerResident(page, js, { phone: who.phone, person: who.adult, village: '110101001001', ready: '[data-testid=enrol-member]' });

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
