// Enrolment end to end on a phone, JavaScript on and off, with the demo date 2022-10-08
// (inside Lishi's 2023 collection period): a new resident builds a household of three,
// enrols, pays in the sandbox and sees receipts; a cadre enrols and takes cash.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, BACKEND, PASSWORD, open, hydrated, shot, wasmModules, measureElder } from '../lib.mjs';

// Each mode uses its own people (a person belongs to one household only).
const PEOPLE = {
  js: {
    phone: '13900000011',
    adult: ['陈建国', '141102198511200036'],
    baby: ['陈小宝', '141102202203050012'],
    parent: ['李凤英', '141102194905060023'], // demo seed: 低保 since 2022-03-01
    cadreFor: '赵德明', // demo seed: in the cadre's community, not enrolled
  },
  nojs: {
    phone: '13900000012',
    adult: ['刘芳芳', '141102199006120048'],
    baby: ['刘小龙', '141102202208010036'],
    parent: ['王德顺', '141102193807090013'], // demo seed: 低保 since 2022-06-01
    cadreNew: ['周桂芝', '141102196001010022'],
  },
};

async function submit(page, js, selector, urlPattern) {
  await Promise.all([page.waitForURL(urlPattern), page.click(selector)]);
  await hydrated(page, js);
}

async function texts(page, selector) {
  return (await page.locator(selector).allTextContents()).map(s => s.trim());
}

for (const js of [true, false]) {
  const mode = js ? 'js' : 'nojs';
  const who = PEOPLE[mode];
  describe(`enrolment, JavaScript ${js ? 'enabled' : 'disabled'} (${BACKEND})`, () => {
    test('a new resident builds a household of three, enrols, pays and sees receipts', async () => {
      // 422: the mistyped ID number, refused on purpose.
      const { context, page, problems } = await open(js, [422]);
      // Sign in with a one-time code; a first visit lands on the registration form.
      await page.goto(BASE + '/login/resident');
      await hydrated(page, js);
      await page.fill('#phone', who.phone);
      await submit(page, js, 'main button[type=submit]', /\/login\/resident\/verify/);
      const code = (await page.textContent('[data-testid=demo-code]')).trim();
      await page.fill('#code', code);
      await submit(page, js, 'main form button[type=submit]', /\/coverage$/);
      await page.waitForSelector('#id_number');
      // The village list chooses nothing for the resident and says which city each group is in.
      assert.equal(await page.inputValue('#area_code'), '');
      assert.match(await page.getAttribute('#area_code option[value="141102001001"] >> xpath=..', 'label'), /^吕梁市 · 离石区 · /);
      await shot(page, `enrol-1-register-${mode}`);

      // A wrong check character is explained next to the field; nothing is saved.
      await page.fill('#name', who.adult[0]);
      await page.fill('#id_number', who.adult[1].slice(0, 17) + (who.adult[1].endsWith('6') ? '7' : '6'));
      await page.selectOption('#area_code', '141102001001');
      await page.click('main form button[type=submit]');
      await page.waitForSelector('#id_number-error');
      assert.match(await page.textContent('#id_number-error'), /校验码|最后一位/);
      // What was typed is still there, the page opens on the field, and the top says why.
      assert.equal(await page.inputValue('#name'), who.adult[0]);
      assert.equal((await page.inputValue('#id_number')).length, 18);
      assert.equal(await page.inputValue('#area_code'), '141102001001');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'id_number');
      assert.match(await page.textContent('[data-testid=error-summary]'), /提交未成功[\s\S]*(校验码|最后一位)/);
      await page.fill('#name', who.adult[0]);
      await page.fill('#id_number', who.adult[1]);
      await page.selectOption('#area_code', '141102001001');
      await Promise.all([page.waitForSelector('[data-testid=member]'), page.click('main form button[type=submit]')]);
      await hydrated(page, js);

      // Add a newborn and a 低保 parent.
      for (const [[name, id], rel] of [[who.baby, 'child'], [who.parent, 'parent']]) {
        const before = await page.locator('[data-testid=member]').count();
        await page.fill('#m-name', name);
        await page.fill('#m-id', id);
        await page.selectOption('#m-rel', rel);
        await page.click('[data-testid=add-member]');
        await page.waitForFunction(n => document.querySelectorAll('[data-testid=member]').length === n, before + 1);
        await hydrated(page, js);
      }
      assert.equal(await page.locator('[data-testid=member]').count(), 3);
      await shot(page, `enrol-2-household-${mode}`);

      // Three quotes: 350, 350 and 70 (低保, 离政办发〔2022〕34号), each starting 2023-01-01 if paid today.
      assert.deepEqual((await texts(page, '[data-testid=preview-due]')).sort(), ['¥350.00', '¥350.00', '¥70.00']);
      for (const s of await texts(page, '[data-testid=preview-start]')) assert.match(s, /2023-01-01/);
      // Search the designated hospitals: live as one types with JS, a GET form without.
      const firstOptions = () => texts(page, '[data-testid=hospital] >> nth=0 >> option');
      const filterBy = async value => {
        await page.fill('#hq', value);
        if (!js) await submit(page, js, '[data-testid=hospital-filter] button[type=submit]', /[?&]hq=/);
      };
      await filterBy('卫生院');
      await page.waitForFunction(() => document.querySelector('[data-testid=hospital]').options.length === 3);
      assert.deepEqual((await firstOptions()).slice(1), ['吴城镇卫生院（一级）', '信义镇卫生院（一级）']);
      await filterBy('没有这家');
      await page.waitForSelector('[data-testid=hospital-no-match]');
      await filterBy('');
      await page.waitForFunction(() => document.querySelector('[data-testid=hospital]').options.length === 7);
      // While the enrolment form is live the page fetches the one small module.
      if (js) assert.deepEqual(await wasmModules(page), ['canbao.wasm']);
      // Everyone starts ticked for enrolment (its own question, not a hospital option).
      assert.deepEqual(await page.locator('[data-testid=enrol-this]').evaluateAll(els => els.map(e => e.checked)), [true, true, true]);
      // Submitting with nobody's hospital chosen is refused by name; the message stays in the
      // form (an island: the server passes it the error, so hydration keeps it), the boxes as
      // they were, and nothing is saved.
      await Promise.all([page.waitForURL(/__err=/), page.click('[data-testid=enrol-submit]')]);
      await hydrated(page, js);
      assert.match(await page.textContent('[data-testid=enrol-submit] >> xpath=.. >> .form-error'), /请为.+选择定点医疗机构/);
      assert.deepEqual(await page.locator('[data-testid=enrol-this]').evaluateAll(els => els.map(e => e.checked)), [true, true, true]);
      assert.equal(await page.locator('[data-testid=status]').count(), 0);
      const selects = page.locator('[data-testid=hospital]');
      assert.equal(await selects.count(), 3);
      for (let i = 0; i < 3; i++) {
        const options = await selects.nth(i).locator('option').all();
        await selects.nth(i).selectOption(await options[i === 2 ? 2 : 1].getAttribute('value'));
      }
      await Promise.all([
        page.waitForSelector('[data-testid=unpaid-total]'),
        page.click('[data-testid=enrol-submit]'),
      ]);
      await hydrated(page, js);
      assert.deepEqual(await texts(page, '[data-testid=status]'), ['待缴费', '待缴费', '待缴费']);
      assert.equal((await page.textContent('[data-testid=unpaid-total]')).trim(), '¥770.00');
      assert.match(await page.textContent('[data-testid=deadline]'), /2022-12-25.*还剩78天/);
      // The top of the page says what happened and what comes next.
      assert.match(await page.textContent('[data-testid=next-step]'), /已提交3人的参保登记，合计应缴¥770\.00，请在2022-12-25前缴费/);
      assert.equal(await page.locator('[data-testid=next-step-pay]').count(), 1);
      await shot(page, `enrol-3-unpaid-${mode}`);
      // Islands: with everyone enrolled 我的参保 has no live form left; the islands' code came
      // once for the whole visit (the page loader keeps the document between pages).
      if (js) {
        assert.equal(await page.locator('leptos-island').count(), 0);
        assert.deepEqual(await wasmModules(page), ['canbao.wasm']);
      }

      // Pay in the sandbox app and come back.
      // The sandbox payment app is plain HTML (no WASM to wait for).
      await submit(page, false, '[data-testid=pay]', /\/sandbox\/pay\//);
      assert.match(await page.textContent('body'), /¥770\.00/);
      // Cancelled first: the page says so, nothing was charged, and pays from the notice.
      await submit(page, js, '[data-testid=sandbox-cancel]', /result=cancelled/);
      assert.match(await page.textContent('[data-testid=next-step]'), /已取消支付，未扣款。本户还有¥770\.00待缴/);
      await submit(page, false, '[data-testid=next-step-pay]', /\/sandbox\/pay\//);
      const sandboxUrl = page.url();
      await shot(page, `enrol-4-sandbox-${mode}`);
      await Promise.all([page.waitForURL(/\/coverage\?order=.*result=applied/), page.click('[data-testid=sandbox-pay]')]);
      await hydrated(page, js);
      await page.waitForSelector('[data-testid=paid-notice]');
      assert.deepEqual(await texts(page, '[data-testid=status]'), ['等待期', '等待期', '等待期']);
      for (const s of await texts(page, '[data-testid=benefit-start]')) assert.match(s, /^2023-01-01 – 2023-12-31$/);
      await shot(page, `enrol-5-paid-${mode}`);

      // A change of hospital later in the year: once a year (the pack's rule), then no more.
      assert.equal(await page.locator('[data-testid=hospital-change]').count(), 3);
      await page.click('[data-testid=hospital-change] >> nth=0 >> summary');
      await page.selectOption('[data-testid=change-hospital] >> nth=0', 'H141102004');
      await Promise.all([
        page.waitForFunction(() => document.querySelectorAll('[data-testid=hospital-change]').length === 2),
        page.click('[data-testid=change-hospital-submit] >> nth=0'),
      ]);
      await hydrated(page, js);
      assert.equal((await texts(page, '[data-testid=hospitals]'))[0], '城北街道社区卫生服务中心');

      // The receipt, printable.
      await submit(page, js, 'ul.receipts a', /\/receipt\//);
      assert.equal((await page.textContent('[data-testid=receipt-amount]')).trim(), '¥770.00');
      assert.doesNotMatch(await page.textContent('main'), new RegExp(who.adult[1]), 'ID numbers are masked');
      await shot(page, `enrol-6-receipt-${mode}`);
      if (js) {
        // 长辈模式 once: the coverage page in large type.
        await page.goto(BASE + '/coverage');
        await hydrated(page, js);
        await page.click('button.switch[aria-pressed=false]');
        await page.waitForSelector('body.elder');
        // The new page's stylesheet may still be loading when its body appears: measure after load.
        await page.waitForLoadState('load');
        await shot(page, `enrol-7-elder-${mode}`);
        // The payment page follows the mode too (its order is paid now: the closing page).
        await page.goto(sandboxUrl);
        assert.deepEqual(await measureElder(page), []);
        await shot(page, `enrol-8-elder-sandbox-${mode}`);
      }
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('a cadre enrols and takes cash in their community, and cannot open another', async () => {
      // 422: the wrong cash amount, refused on purpose.
      const { context, page, problems } = await open(js, [422]);
      await page.goto(BASE + '/login/staff');
      await hydrated(page, js);
      await page.fill('#username', 'cadre_dongguan');
      await page.fill('#password', PASSWORD);
      await submit(page, js, 'main form button[type=submit]', /\/work$/);
      await page.goto(BASE + '/cadre');
      await hydrated(page, js);
      if (js) {
        await page.fill('#q', who.cadreFor);
        await submit(page, js, 'form.search button', /\/cadre\?q=/);
        await submit(page, js, '[data-testid=hit] a', /\/coverage\?household=/);
      } else {
        await page.selectOption('#area_code', '141102001001');
        await page.fill('#h-name', who.cadreNew[0]);
        await page.fill('#h-id', who.cadreNew[1]);
        await submit(page, js, 'main section:nth-of-type(2) form button[type=submit]', /\/coverage\?household=/);
      }
      await page.waitForSelector('[data-testid=hospital]');
      const options = await page.locator('[data-testid=hospital] option').all();
      await page.selectOption('[data-testid=hospital]', await options[1].getAttribute('value'));
      await Promise.all([page.waitForSelector('[data-testid=unpaid-total]'), page.click('[data-testid=enrol-submit]')]);
      await hydrated(page, js);
      assert.equal((await page.textContent('[data-testid=unpaid-total]')).trim(), '¥350.00');
      // Or the resident pays on their own phone: the submission opened an order, shown to the
      // cadre as the provider's page, a link and a QR code.
      await page.waitForSelector('[data-testid=pay-qr] svg');
      assert.match(await page.getAttribute('[data-testid=pay-link]', 'href'), /^http:\/\/[^/]+\/sandbox\/pay\/\w+/);
      await shot(page, `enrol-8-cadre-qr-${mode}`);
      // Cash must equal the amount due.
      await page.fill('#amount', '300');
      await page.click('[data-testid=cash]');
      await page.waitForSelector('#amount-error');
      assert.match(await page.textContent('#amount-error'), /应缴金额350\.00元/);
      await page.fill('#amount', '350.00');
      await submit(page, js, '[data-testid=cash]', /\/receipt\//);
      assert.equal((await page.textContent('[data-testid=receipt-amount]')).trim(), '¥350.00');
      const receiptNo = (await page.textContent('[data-testid=receipt-no]')).trim();
      assert.match(await page.textContent('main'), /东关社区协办员 张伟/);
      await shot(page, `cadre-receipt-${mode}`);
      // Dated by the app's clock (the demo's 2022-10-08), and back to the cadre's own desk.
      assert.match(await page.textContent('main'), /2022-10-08/);
      assert.match(receiptNo, /^R20221008/);
      assert.equal(await page.getAttribute('[data-testid=receipt-back]', 'href'), '/cadre');
      await submit(page, js, '[data-testid=receipt-back]', /\/cadre$/);
      // Today's hand-over list holds the new receipt.
      assert.match(await page.textContent('main'), new RegExp(receiptNo));
      // 孙玉山 lives in another community: not found, and his household does not open.
      await page.goto(BASE + '/cadre?q=' + encodeURIComponent('孙玉山'));
      await hydrated(page, js);
      await page.waitForSelector('[data-testid=no-hits]');
      await page.goto(BASE + '/coverage?household=3');
      await hydrated(page, js);
      assert.match(await page.textContent('main'), /不在您的管辖范围内/);
      await shot(page, `cadre-out-of-scope-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
