// Next year's pack without a developer (issue 26), on the demo date 2022-10-08: 王敏
// (bureau_lishi) drafts lishi-2024 from lishi-2023 at 380 yuan with a new collection period,
// tries a 低保 member (70 → 100 side by side) and submits; 李华 (bureau_lishi2) approves and
// publishes. Today the quote page does not offer it yet; a server whose clock is on
// 2023-09-15 (the same database) offers it, quotes 380, and prices an enrolment at 380.
// Without JavaScript: a draft for 2025 is edited, a bad amount refused beside its field.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, BACKEND, PASSWORD, open, hydrated, shot, laterServer, staffSignIn } from '../lib.mjs';

async function save(page, js) {
  await Promise.all([page.waitForURL(/\?(done|error)=/), page.click('[data-testid=draft-save]')]);
  await hydrated(page, js);
}

describe(`policy packs drafted, reviewed and published by the bureau (${BACKEND})`, () => {
  test('draft lishi-2024, try it, submit; another officer approves and publishes; offered on its date', async () => {
    const js = true;
    const { context, page, problems } = await open(js);
    await staffSignIn(page, js, 'bureau_lishi');
    await page.goto(BASE + '/policies/drafts');
    await hydrated(page, js);
    await page.selectOption('[data-testid=draft-from]', 'lishi-2023');
    await Promise.all([page.waitForURL(/\/policies\/drafts\/\d+$/), page.click('[data-testid=draft-create]')]);
    await hydrated(page, js);
    const draftUrl = page.url();
    assert.match(await page.textContent('[data-testid=draft-title]'), /lishi-2024/);
    assert.match(await page.textContent('[data-testid=draft-status]'), /草稿/);

    // The notice's new figures: 380 yuan, 低保 subsidised 280 (so they pay 100), and the new period.
    await page.fill('#f-tiers-0-personal-value', '380');
    await page.selectOption('#f-categories-3-mode', 'fixed');
    await page.fill('#f-categories-3-amount', '280');
    await page.fill('#f-periods-0-start', '2023-09-01');
    await page.fill('#f-periods-0-end', '2023-12-31');
    await save(page, js);
    assert.match(await page.textContent('[data-testid=draft-done]'), /已保存/);
    const change = page.locator('[data-testid=changes] tr[data-path="tiers[0].personal.value"]');
    assert.match(await change.textContent(), /350\.00.*380\.00/);
    const dibao = page.locator('[data-testid=sample][data-category=minimum_living]');
    assert.equal((await dibao.locator('[data-testid=sample-before]').textContent()).trim(), '¥70.00');
    assert.equal((await dibao.locator('[data-testid=sample-after]').textContent()).trim(), '¥100.00');
    await shot(page, 'policy-draft');

    await Promise.all([page.waitForURL(/done=submitted/), page.click('[data-testid=draft-submit]')]);
    assert.match(await page.textContent('[data-testid=draft-status]'), /待审核/);
    // The author cannot approve their own draft: no such button, and the page says why.
    assert.equal(await page.locator('[data-testid=draft-approve]').count(), 0);
    assert.equal(await page.locator('[data-testid=awaiting-review]').count(), 1);
    assert.deepEqual(problems, []);
    await context.close();

    const second = await open(js);
    await staffSignIn(second.page, js, 'bureau_lishi2');
    await second.page.goto(draftUrl);
    await hydrated(second.page, js);
    await Promise.all([second.page.waitForURL(/done=approved/), second.page.click('[data-testid=draft-approve]')]);
    assert.equal(await second.page.inputValue('#offered-from'), '2023-09-01');
    await Promise.all([second.page.waitForURL(/done=published/), second.page.click('[data-testid=draft-publish]')]);
    assert.match(await second.page.textContent('[data-testid=draft-status]'), /已发布 v1/);
    // Today (2022-10-08) residents are not offered it yet.
    await second.page.goto(BASE + '/quote');
    await hydrated(second.page, js);
    assert.equal(await second.page.locator('#policy option[value=lishi-2024]').count(), 0);
    assert.deepEqual(second.problems, []);
    await second.context.close();

    // On its date: a server over the same database whose clock says 2023-09-15.
    const later = await laterServer('2023-09-15');
    try {
      const third = await open(js);
      await third.page.goto(later.base + '/quote?policy=lishi-2024');
      await hydrated(third.page, js);
      assert.equal(await third.page.locator('#policy option[value=lishi-2024]').count(), 1);
      assert.match(await third.page.textContent('[data-testid=quote-due]'), /380\.00/);
      await shot(third.page, 'policy-quote-2024');
      await third.context.close();

      // An enrolment for 2024 is priced at 380 (the demo cadre enrols a new household).
      const session = await fetch(later.base + '/api/v1/sessions', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'cadre_dongguan', password: PASSWORD }),
      }).then(r => r.json());
      const res = await fetch(later.base + '/api/v1/enrollments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
        body: JSON.stringify({ area_code: '141102001001',
          members: [{ id_number: '141102199002026011', name: '测试丙', hospitals: ['H141102001'] }] }),
      });
      const sub = await res.json();
      assert.equal(res.status, 201, JSON.stringify(sub));
      assert.equal(sub.policy, 'lishi-2024');
      assert.equal(sub.enrollments[0].personal_due, '380.00');
    } finally {
      await later.stop();
    }
  });

  test('without JavaScript: a bad amount is refused beside its field, a good one saved', async () => {
    const js = false;
    const { context, page, problems } = await open(js, [422]);
    await staffSignIn(page, js, 'bureau_lishi');
    await page.goto(BASE + '/policies/drafts');
    await page.selectOption('[data-testid=draft-from]', 'lishi-2023');
    await page.fill('#draft-year', '2025');
    await Promise.all([page.waitForURL(/\/policies\/drafts\/\d+$/), page.click('[data-testid=draft-create]')]);
    assert.match(await page.textContent('[data-testid=draft-title]'), /lishi-2025/);
    await page.fill('#f-tiers-0-personal-value', '三百九十');
    await save(page, js);
    assert.match(await page.textContent('[data-testid=draft-error]'), /不是金额/);
    assert.equal(await page.getAttribute('#f-tiers-0-personal-value', 'aria-invalid'), 'true');
    // Nothing was written: the field shows the stored figure again.
    assert.equal(await page.inputValue('#f-tiers-0-personal-value'), '350.00');
    await page.fill('#f-tiers-0-personal-value', '390');
    await save(page, js);
    assert.match(await page.textContent('[data-testid=draft-done]'), /已保存/);
    assert.equal(await page.inputValue('#f-tiers-0-personal-value'), '390.00');
    // A period that ends before it starts is saved, shown as a problem beside its field,
    // and keeps the draft from being submitted.
    await page.fill('#f-periods-0-end', '2024-08-01');
    await save(page, js);
    assert.match(await page.textContent('[data-testid=problems]'), /开始日期/);
    assert.equal(await page.getAttribute('#f-periods-0-end', 'aria-invalid'), 'true');
    assert.equal(await page.isDisabled('[data-testid=draft-submit]'), true);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
