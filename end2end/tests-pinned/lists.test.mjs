// A department's adjustment list on a phone, JavaScript on and off (demo date 2022-10-08):
// civil affairs uploads a form-3 CSV with one good row and one bad one, reads the dry run,
// applies it, finds the bad row in the review queue and settles it with a note.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, BACKEND, PASSWORD, open, hydrated, shot } from '../lib.mjs';

// New people in 凤山底社区 (no other browser test counts them), one per mode.
const NEW_ID = { js: '141102199001016014', nojs: '141102199001016030' };
const BAD_ID = { js: '141102199001016057', nojs: '141102199001016073' };

function csv(mode) {
  return Buffer.from([
    '序号,乡镇街道,村社区,姓名,身份证号码,联系电话,动态调整类型,人员类别,动态调整时间',
    `1,凤山街道,凤山底社区,测试甲,${NEW_ID[mode]},13800000001,新增,低保,2022-09-01`,
    `2,凤山街道,凤山底社区,测试乙,${BAD_ID[mode]},13800000002,新增,富人,2022-09-01`,
    '',
  ].join('\n'));
}

for (const js of [true, false]) {
  const mode = js ? 'js' : 'nojs';
  describe(`adjustment list and review queue, JavaScript ${js ? 'enabled' : 'disabled'} (${BACKEND})`, () => {
    test('upload, dry run, apply, settle the bad row', async () => {
      const { context, page, problems } = await open(js);
      await page.goto(BASE + '/login/staff');
      await hydrated(page, js);
      await page.fill('#username', 'civil_lishi');
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL(/\/work$/), page.click('main form button[type=submit]')]);

      // Upload: the plain form posts the file and lands on the dry run.
      const name = `e2e-${mode}.csv`;
      await page.goto(BASE + '/lists');
      await hydrated(page, js);
      await page.setInputFiles('#list-file', { name, mimeType: 'text/csv', buffer: csv(mode) });
      await Promise.all([page.waitForURL(/\/lists\/\d+$/), page.click('main form[enctype] button[type=submit]')]);
      await hydrated(page, js);
      assert.equal((await page.textContent('[data-testid=list-valid]')).trim(), '1');
      assert.equal(await page.locator('[data-testid=list-problems] tbody tr').count(), 1);
      assert.match(await page.textContent('[data-testid=list-problems]'), /人员类别/);

      // Apply: the button goes once the list is applied.
      await page.click('[data-testid=list-apply]');
      await page.waitForSelector('[data-testid=list-apply]', { state: 'detached' });
      await hydrated(page, js);

      // The bad row waits in the review queue until someone says what was done.
      await page.goto(BASE + '/lists');
      await hydrated(page, js);
      await Promise.all([page.waitForURL(/\/lists\/review$/), page.click('[data-testid=review-link]')]);
      await hydrated(page, js);
      const row = page.locator('[data-testid=review-row]', { hasText: name });
      assert.equal(await row.count(), 1);
      assert.match(await row.textContent(), /无效/);
      await shot(page, `lists-review-${mode}`);
      await row.locator('input[name=resolution]').fill('已联系民政局更正类别后重新报送');
      await row.locator('[data-testid=review-resolve]').click();
      await row.waitFor({ state: 'detached' });
      await page.goto(BASE + '/lists/review?resolved=1');
      await hydrated(page, js);
      const settled = page.locator('[data-testid=review-row]', { hasText: name });
      assert.match(await settled.textContent(), /已联系民政局更正类别后重新报送/);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
