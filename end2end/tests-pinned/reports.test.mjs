// Reports on a phone, JavaScript on and off (demo date 2022-10-08): the Lishi bureau
// officer opens the weekly progress report, drills down from the district to 滨河街道 and
// on to 东关社区 (its unenrolled people listed), downloads the XLSX, and sees the
// dashboard's server-rendered charts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, BACKEND, PASSWORD, open, hydrated, shot } from '../lib.mjs';

async function signIn(js, username) {
  const opened = await open(js);
  const { page } = opened;
  await page.goto(BASE + '/login/staff');
  await hydrated(page, js);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/work$/), page.click('main form button[type=submit]')]);
  await hydrated(page, js);
  return opened;
}

for (const js of [true, false]) {
  const mode = js ? 'js' : 'nojs';
  describe(`reports, JavaScript ${js ? 'enabled' : 'disabled'} (${BACKEND})`, () => {
    test('weekly report, drill down, XLSX, dashboard', async () => {
      const { context, page, problems } = await signIn(js, 'bureau_lishi');
      await Promise.all([page.waitForURL(/\/reports$/), page.click('nav.main-nav a[href="/reports"]')]);
      await hydrated(page, js);
      assert.match(await page.textContent('[data-testid=report-title]'), /离石区2023年度城乡居民医保参保缴费工作进度周报表/);
      // Eleven townships and the education system, then the total.
      assert.equal(await page.locator('[data-testid=weekly-table] tbody tr').count(), 12);
      assert.match(await page.textContent('[data-testid=weekly-table] tfoot'), /199200/);
      assert.match(await page.textContent('[data-testid=report-footer]'), /数据截至2022-10-08/);
      await shot(page, `report-1-district-${mode}`);

      await Promise.all([page.waitForURL(/area=141102001&/), page.click('tr[data-area="141102001"] a[data-testid=drill]')]);
      await hydrated(page, js);
      assert.match(await page.textContent('[data-testid=report-title]'), /滨河街道/);
      await Promise.all([page.waitForURL(/area=141102001001&/), page.click('tr[data-area="141102001001"] a[data-testid=drill]')]);
      await hydrated(page, js);
      assert.match(await page.textContent('[data-testid=report-title]'), /东关社区/);
      assert.ok(await page.locator('[data-testid=unenrolled-row]').count() >= 1);
      await shot(page, `report-2-village-${mode}`);

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=report-xlsx]')]);
      assert.equal(download.suggestedFilename(), 'weekly-141102001001-2022-10-08.xlsx');
      const path = await download.path();
      assert.ok(path, 'the workbook was saved');

      await page.goto(BASE + '/reports/dashboard');
      await hydrated(page, js);
      assert.equal(await page.locator('svg.coverage-chart g.bar').count(), 12);
      assert.match(await page.textContent('[data-testid=countdown]'), /78/);
      await shot(page, `report-3-dashboard-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
