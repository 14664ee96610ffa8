// Identity certification end to end on a phone, JavaScript on and off (demo date
// 2022-10-08): a cadre requests 低保/特困 for a resident of their community and uploads a
// document; the township accepts; civil affairs confirms from its queue in bulk after a
// confirmation page; the bureau flags it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, BACKEND, PASSWORD, open, hydrated, shot, wasmModules } from '../lib.mjs';

// 张秀英 (the demo resident, 东关社区; no other browser test prices her); each mode asks
// for another category.
const PERSON = ['张秀英', '141102195603120021'];
const CATEGORY = { js: 'minimum_living', nojs: 'extreme_poverty' };
// A 1×1 PNG.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000'
  + '1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082', 'hex');

async function submit(page, js, selector, urlPattern) {
  await Promise.all([page.waitForURL(urlPattern), page.click(selector)]);
  await hydrated(page, js);
}

async function signIn(js, username) {
  const opened = await open(js);
  const { page } = opened;
  await page.goto(BASE + '/login/staff');
  await hydrated(page, js);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await submit(page, js, 'main form button[type=submit]', /\/work$/);
  return opened;
}

for (const js of [true, false]) {
  const mode = js ? 'js' : 'nojs';
  describe(`certification, JavaScript ${js ? 'enabled' : 'disabled'} (${BACKEND})`, () => {
    test('request, document, accept, bulk confirm, flag', async () => {
      // The cadre's request and a supporting document.
      let { context, page, problems } = await signIn(js, 'cadre_dongguan');
      await page.goto(BASE + '/certifications/new');
      await hydrated(page, js);
      await page.fill('#c-id', PERSON[1]);
      await page.selectOption('#c-category', CATEGORY[mode]);
      await page.fill('#c-comment', '村委会已入户核实');
      await submit(page, js, 'main form button[type=submit]', /\/certifications\/\d+$/);
      const url = page.url();
      const id = url.match(/\/certifications\/(\d+)/)[1];
      assert.equal((await page.textContent('[data-testid=cert-status]')).trim(), '已提交');
      await page.setInputFiles('#file', { name: '低保证.png', mimeType: 'image/png', buffer: PNG });
      await Promise.all([page.waitForURL(/uploaded=1/), page.click('form.upload button')]);
      await hydrated(page, js);
      assert.equal(await page.locator('[data-testid=documents] li').count(), 1);
      await shot(page, `cert-1-requested-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();

      // The township office accepts it from the request's page.
      ({ context, page, problems } = await signIn(js, 'township_binhe'));
      await page.goto(BASE + '/certifications');
      await hydrated(page, js);
      assert.ok((await page.locator('[data-testid=cert-row]').allTextContents()).some(t => t.includes(PERSON[0])));
      await page.goto(BASE + `/certifications/${id}`);
      await hydrated(page, js);
      // Islands: a staff page has nothing to hydrate, so it fetches no WASM at all.
      if (js) assert.deepEqual(await wasmModules(page), []);
      await page.fill('#s-comment', '材料齐全');
      await Promise.all([
        page.waitForFunction(() => document.querySelector('[data-testid=cert-status]')?.textContent.includes('乡镇已受理')),
        page.click('[data-testid=step-accept]'),
      ]);
      await hydrated(page, js);
      await context.close();

      // Civil affairs confirms in bulk after seeing whom it concerns.
      ({ context, page, problems } = await signIn(js, 'civil_lishi'));
      await page.goto(BASE + '/certifications');
      await hydrated(page, js);
      await page.check(`#sel-${id}`);
      await page.selectOption('#bulk-action', 'confirm');
      await submit(page, js, 'form.bulk button[type=submit]', /\/certifications\/bulk\?/);
      assert.match(await page.textContent('[data-testid=bulk-people]'), new RegExp(PERSON[0]));
      await shot(page, `cert-2-bulk-confirm-${mode}`);
      await submit(page, js, 'main form button[type=submit]', /\/certifications\?done=1/);
      assert.match(await page.textContent('[data-testid=bulk-done]'), /1/);
      assert.deepEqual(problems, []);
      await context.close();

      // The bureau flags it: the subsidy applies from today.
      ({ context, page, problems } = await signIn(js, 'bureau_lishi'));
      await page.goto(BASE + `/certifications/${id}`);
      await hydrated(page, js);
      assert.equal((await page.textContent('[data-testid=cert-status]')).trim(), '部门已认定');
      await Promise.all([
        page.waitForFunction(() => document.querySelector('[data-testid=cert-status]')?.textContent.includes('医保已标识')),
        page.click('[data-testid=step-flag]'),
      ]);
      await hydrated(page, js);
      assert.equal((await page.textContent('[data-testid=cert-effective]')).trim(), '2022-10-08');
      assert.equal(await page.locator('[data-testid=history] li').count(), 4);
      await shot(page, `cert-3-flagged-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('a cadre records a follow-up visit on the unenrolled ledger', async () => {
      const { context, page, problems } = await signIn(js, 'cadre_dongguan');
      const who = js ? '张秀英' : '王德顺';
      await page.goto(BASE + '/ledger');
      await hydrated(page, js);
      const row = () => page.locator('[data-testid=ledger-row]', { hasText: who });
      assert.equal((await row().locator('[data-testid=ledger-reason]').textContent()).trim(), '未联系');
      // The visit form folds away under each row (a <details>, so it opens without JS too).
      await row().locator('[data-testid=open-visit]').click();
      await row().locator('select[name=outcome]').selectOption('lost_contact');
      await row().locator('input[name=note]').fill('电话停机，邻居称外出务工');
      await Promise.all([
        page.waitForFunction(name => [...document.querySelectorAll('[data-testid=ledger-row]')]
          .some(r => r.textContent.includes(name)
            && r.querySelector('[data-testid=ledger-reason]').textContent.includes('失联')), who),
        row().locator('[data-testid=record-visit]').click(),
      ]);
      await hydrated(page, js);
      assert.match(await row().textContent(), /2022-10-08/);
      // The re-rendered list keeps no one's half-filled form.
      assert.equal(await page.locator('details.visit[open]').count(), 0);
      assert.equal(await page.locator('input[name=note]').evaluateAll(els => els.filter(e => e.value).length), 0);
      assert.match(await page.textContent('[data-testid=ledger-month]'), /原因变更 [12]/);
      await shot(page, `ledger-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
