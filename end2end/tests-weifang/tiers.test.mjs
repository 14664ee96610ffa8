// Two contribution tiers (Weifang 2021) with the demo date 2020-12-01, inside its concentrated
// period: the enrolment form re-quotes in the browser when the tier changes (no server round
// trip), the server enrols at the tier chosen, and without JavaScript the form starts on the
// tier its preview shows.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BACKEND, open, hydrated, shot, submit, registerResident } from '../lib.mjs';

const PEOPLE = {
  js: { phone: '13900000021', adult: ['孙立华', '370702198503150045'] },
  nojs: { phone: '13900000022', adult: ['孙晓东', '37070219900708002X'] },
};

for (const js of [true, false]) {
  const mode = js ? 'js' : 'nojs';
  const who = PEOPLE[mode];
  describe(`two tiers, JavaScript ${js ? 'enabled' : 'disabled'} (${BACKEND})`, () => {
    test('the enrolment form quotes the tier chosen and the server enrols at it', async () => {
      const { context, page, problems } = await open(js);
      await registerResident(page, js, { phone: who.phone, person: who.adult, village: '370702001001', ready: '[data-testid=enrol-member]' });

      const due = async () => (await page.textContent('[data-testid=preview-due]')).trim();
      const pickHospital = async () => {
        const h = page.locator('[data-testid=hospital]');
        await h.selectOption(await h.locator('option').nth(1).getAttribute('value'));
      };
      if (js) {
        // 二、: 高档每人每年390元, 低档260元; the form starts on the high tier.
        assert.equal(await due(), '¥390.00');
        assert.equal(await page.inputValue('[data-testid=tier]'), await page.locator('[data-testid=tier] option').first().getAttribute('value'));
        // The change is quoted by the engine in the browser: no request leaves the page.
        const requests = [];
        page.on('request', r => requests.push(r.url()));
        const low = await page.locator('[data-testid=tier] option').nth(1).getAttribute('value');
        await page.selectOption('[data-testid=tier]', low);
        await page.waitForFunction(() => document.querySelector('[data-testid=preview-due]').textContent.includes('260.00'));
        assert.match(await page.textContent('[data-testid=preview-explanation]'), /低档个人缴费标准为每人260/);
        assert.deepEqual(requests, []);
        await shot(page, 'tiers-1-low-js');
        await pickHospital();
        await Promise.all([page.waitForSelector('[data-testid=unpaid-total]'), page.click('[data-testid=enrol-submit]')]);
        await hydrated(page, js);
        assert.equal((await page.textContent('[data-testid=unpaid-total]')).trim(), '¥260.00');
      } else {
        // The server's preview is the tier the form starts on, so submitting it as it
        // stands enrols at the amount shown.
        assert.equal(await due(), '¥390.00');
        await pickHospital();
        await submit(page, js, '[data-testid=enrol-submit]', /\/coverage/);
        await page.waitForSelector('[data-testid=unpaid-total]');
        assert.equal((await page.textContent('[data-testid=unpaid-total]')).trim(), '¥390.00');
      }
      await shot(page, `tiers-2-unpaid-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}

// 四、(一)"学生、儿童统一按低档缴费,享受高档待遇。": a child in the household pays the low tier and
// is asked for no tier; with and without JavaScript the server enrols the child at 260.
const FAMILIES = {
  js: { phone: '13900000023', adult: ['孙秀梅', '370702198804120026'], child: ['孙小雨', '370702201506010026'] },
  nojs: { phone: '13900000024', adult: ['孙建华', '370702197909100035'], child: ['孙小明', '370702201402030014'] },
};

for (const js of [true, false]) {
  const mode = js ? 'js' : 'nojs';
  const who = FAMILIES[mode];
  describe(`a child needs no tier, JavaScript ${js ? 'enabled' : 'disabled'} (${BACKEND})`, () => {
    test('the child is quoted and enrolled at the low tier without choosing one', async () => {
      const { context, page, problems } = await open(js);
      await registerResident(page, js, { phone: who.phone, person: who.adult, village: '370702001001', ready: '[data-testid=member]' });
      await page.fill('#m-name', who.child[0]);
      await page.fill('#m-id', who.child[1]);
      await page.selectOption('#m-rel', 'child');
      await page.click('[data-testid=add-member]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=enrol-member]').length === 2);
      await hydrated(page, js);

      const child = page.locator('[data-testid=enrol-member]', { hasText: who.child[0] });
      assert.equal((await child.locator('[data-testid=preview-due]').textContent()).trim(), '¥260.00');
      assert.equal(await child.locator('[data-testid=tier]').count(), 0, 'no tier to choose');
      const why = await child.locator('[data-testid=preview-explanation]').textContent();
      assert.match(why, /学生和儿童按低档缴费，享受高档待遇/);
      assert.doesNotMatch(why, /不适用/);
      // Only the child is enrolled now: the adult is unticked.
      await page.locator('[data-testid=enrol-member]', { hasText: who.adult[0] }).locator('[data-testid=enrol-this]').uncheck();
      const h = child.locator('[data-testid=hospital]');
      await h.selectOption(await h.locator('option').nth(1).getAttribute('value'));
      await Promise.all([page.waitForSelector('[data-testid=unpaid-total]'), page.click('[data-testid=enrol-submit]')]);
      await hydrated(page, js);
      assert.equal((await page.textContent('[data-testid=unpaid-total]')).trim(), '¥260.00');
      await shot(page, `tiers-3-child-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
