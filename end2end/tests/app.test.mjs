// Phone-sized (390x844) headless Chromium, every test with JavaScript on and off.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, BACKEND, PASSWORD, open, hydrated, shot } from '../lib.mjs';

for (const js of [true, false]) {
  const mode = js ? 'js' : 'nojs';
  describe(`JavaScript ${js ? 'enabled' : 'disabled'} (${BACKEND})`, () => {
    test('home page is server-rendered in Chinese and fits a phone', async () => {
      const { context, page, problems } = await open(js);
      const res = await page.goto(BASE + '/');
      assert.equal(res.status(), 200);
      await hydrated(page, js);
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assert.match(await page.textContent('h1'), /城乡居民医保/);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal scroll (${width}px)`);
      await shot(page, `home-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('a demo resident signs in with phone and one-time code', async () => {
      const { context, page, problems } = await open(js);
      // Each mode uses its own phone: codes for one phone are limited to one a minute.
      const phone = js ? '13800000001' : '13900000002';
      await page.goto(BASE + '/login/resident');
      await hydrated(page, js);
      await page.fill('#phone', phone);
      await Promise.all([page.waitForURL(/\/login\/resident\/verify$/), page.click('main button[type=submit]')]);
      // The phone number never goes into a URL (history, logs, Referer).
      assert.ok(!page.url().includes(phone.slice(3)), page.url());
      await hydrated(page, js);
      const code = (await page.textContent('[data-testid=demo-code]')).trim();
      assert.match(code, /^\d{6}$/);
      assert.match(await page.textContent('main'), js ? /138\*\*\*\*0001/ : /139\*\*\*\*0002/);
      await page.fill('#code', code);
      await Promise.all([page.waitForURL(/\/coverage$/), page.click('main form button[type=submit]')]);
      await page.goto(BASE + '/account');
      await hydrated(page, js);
      await page.waitForSelector('[data-testid=account-name]');
      const name = await page.textContent('[data-testid=account-name]');
      assert.equal(name.trim(), js ? '张秀英' : '居民 139****0002');
      assert.equal((await page.textContent('[data-testid=account-role]')).trim(), '居民');
      await shot(page, `resident-account-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('a wrong password is explained in Chinese next to the field, then staff sign in', async () => {
      const { context, page, problems } = await open(js, [401]);
      const user = js ? 'township_binhe' : 'cadre_dongguan';
      await page.goto(BASE + '/login/staff');
      await hydrated(page, js);
      await page.fill('#username', user);
      await page.fill('#password', 'not-the-password');
      await page.click('main form button[type=submit]');
      const err = await page.waitForSelector('#password-error');
      assert.match(await err.textContent(), /用户名或密码错误，还可以再试4次/);
      await shot(page, `staff-error-${mode}`);
      await page.fill('#username', user);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL(/\/work$/), page.click('main form button[type=submit]')]);
      await page.waitForSelector('[data-testid=work-user]');
      assert.match(await page.textContent('[data-testid=work-user]'), js ? /滨河街道社保所/ : /东关社区协办员/);
      // Role-aware navigation: staff see the workbench link.
      assert.ok(await page.isVisible('nav a[href="/work"]'));
      await shot(page, `staff-work-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('English switch and 长辈模式 are remembered and rendered by the server', async () => {
      const { context, page, problems } = await open(js);
      await page.goto(BASE + '/login/staff');
      await hydrated(page, js);
      await Promise.all([page.waitForLoadState('load'), page.click('button.switch[lang=en]')]);
      await page.waitForSelector('html[lang=en]');
      assert.match(await page.textContent('h1'), /Staff sign-in/);
      await page.click('button.switch[aria-pressed=false]');
      await page.waitForSelector('body.elder');
      // The new page's stylesheet may still be loading when its body appears: measure after load.
      await page.waitForLoadState('load');
      await hydrated(page, js);
      const size = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
      assert.ok(size >= 18, `elder body text ${size}px`);
      for (const sel of ['main form .button', 'button.switch', '#username']) {
        const box = await page.locator(sel).first().boundingBox();
        assert.ok(box.height >= 60, `${sel} is ${box.height}px tall`);
      }
      const switchBox = await page.locator('button.switch').first().boundingBox();
      assert.ok(switchBox.width >= 60, `switch is ${switchBox.width}px wide`);
      await shot(page, `elder-en-${mode}`);
      // Back to Chinese, still in elder mode, after a fresh load.
      await page.click('button.switch[lang=zh-CN]');
      await page.waitForSelector('html[lang=zh-CN]');
      await page.reload();
      assert.ok(await page.isVisible('body.elder'));
      await shot(page, `elder-zh-${mode}`);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('算一算 prices a 低保 resident in Lishi and says when cover starts', async () => {
      const { context, page, problems } = await open(js);
      await page.goto(BASE + '/quote?policy=lishi-2023&paid_on=2022-10-08');
      await hydrated(page, js);
      assert.match(await page.textContent('[data-testid=quote-due]'), /350\.00/);
      await page.check('input[name=categories][value=minimum_living]');
      if (js) {
        // Computed in the browser: no navigation, the answer changes in place.
        await page.waitForFunction(() => document.querySelector('[data-testid=quote-due]')?.textContent.includes('70.00'));
        assert.ok(!page.url().includes('categories='), 'no round trip');
      } else {
        await Promise.all([page.waitForURL(/categories=minimum_living/), page.click('main form button[type=submit]')]);
      }
      assert.match(await page.textContent('[data-testid=quote-due]'), /70\.00/);
      assert.match(await page.textContent('[data-testid=quote-subsidy]'), /280\.00/);
      assert.equal((await page.textContent('[data-testid=quote-start]')).trim(), '2023-01-01');
      assert.match(await page.textContent('.citations'), /离政办发〔2022〕34号/);
      // The amount stays in view at the top while the form is being filled in.
      await page.evaluate(() => window.scrollTo(0, document.querySelector('#months_resident').getBoundingClientRect().top + window.scrollY - 300));
      const sticky = await page.locator('[data-testid=quote-sticky]').boundingBox();
      assert.ok(sticky && sticky.y >= 0 && sticky.y < 100, `sticky summary at ${sticky?.y}`);
      assert.match(await page.textContent('[data-testid=quote-sticky]'), /70\.00/);
      // A late payment moves the start date and says why.
      await page.fill('#paid_on', '2023-02-15');
      if (!js) await Promise.all([page.waitForURL(/paid_on=2023-02-15/), page.click('main form button[type=submit]')]);
      await page.waitForFunction(() => document.querySelector('[data-testid=quote-start]')?.textContent.trim() !== '2023-01-01');
      assert.match(await page.textContent('.explanation'), /等待期/);
      await shot(page, `quote-${mode}`);
      // Another pack, no date chosen: the payment date follows the pack's window, so a price shows.
      await page.goto(BASE + '/quote?policy=weifang-2021');
      await hydrated(page, js);
      assert.match(await page.textContent('[data-testid=quote-due]'), /390\.00/);
      assert.equal(await page.inputValue('#paid_on'), '2020-11-26');
      if (js) {
        // Choosing another pack loads its page (a page holds one pack); a date nobody picked
        // follows the new pack.
        await page.goto(BASE + '/quote');
        await hydrated(page, js);
        await Promise.all([page.waitForURL(/policy=weifang-2021/), page.selectOption('#policy', 'weifang-2021')]);
        await hydrated(page, js);
        assert.equal(await page.inputValue('#policy'), 'weifang-2021');
        assert.equal(await page.inputValue('#paid_on'), '2020-11-26');
        assert.match(await page.textContent('[data-testid=quote-due]'), /390\.00/);
      }
      // In English: the form is an island, which reads the language from the cookie as the
      // server did, so the answer it recomputes in the browser is English too.
      await page.goto(BASE + '/quote?policy=lishi-2023&paid_on=2022-10-08');
      await hydrated(page, js);
      await Promise.all([page.waitForLoadState('load'), page.click('button.switch[lang=en]')]);
      await page.waitForSelector('html[lang=en]');
      await hydrated(page, js);
      await page.check('input[name=categories][value=minimum_living]');
      if (!js) await Promise.all([page.waitForURL(/categories=minimum_living/), page.click('main form button[type=submit]')]);
      await page.waitForFunction(() => document.querySelector('[data-testid=quote-due]')?.textContent.includes('70.00'));
      assert.match(await page.textContent('.quote-result .verdict'), /You pay/);
      if (js) {
        // Typing an ID number clears the example birth date (the number carries its own).
        await page.goto(BASE + '/quote?policy=lishi-2023&paid_on=2022-10-08');
        await hydrated(page, js);
        assert.notEqual(await page.inputValue('#birth_date'), '');
        await page.fill('#id_number', '14110219900101123X');
        await page.waitForFunction(() => document.querySelector('#birth_date').value === '');
        await page.waitForFunction(() => document.querySelector('[data-testid=quote-due]')?.textContent.includes('350.00'));
      }
      assert.deepEqual(problems, []);
      await context.close();
    });

    if (js) test('算一算 goes on from what was typed and ticked before the page went live', async () => {
      const { context, page, problems } = await open(js);
      // Hold the WASM back, as a slow phone would, until the resident has typed and ticked.
      let release;
      const held = new Promise(r => { release = r; });
      await page.route('**/*.wasm', async route => { await held; await route.continue(); });
      await page.goto(BASE + '/quote?policy=lishi-2023&paid_on=2022-10-08', { waitUntil: 'domcontentloaded' });
      await page.fill('#id_number', '14110219900101123X');
      await page.check('input[name=categories][value=minimum_living]');
      assert.equal(await page.getAttribute('form.quote-form', 'data-live'), null, 'not live yet');
      release();
      await hydrated(page, js);
      // The number stays, the example birth date goes, and the ticked 低保 counts.
      assert.equal(await page.inputValue('#id_number'), '14110219900101123X');
      assert.equal(await page.inputValue('#birth_date'), '');
      assert.ok(await page.isChecked('input[name=categories][value=minimum_living]'));
      await page.waitForFunction(() => document.querySelector('[data-testid=quote-due]')?.textContent.includes('70.00'));
      assert.match(await page.textContent('[data-testid=quote-subsidy]'), /280\.00/);
      // And the box works forwards afterwards: unticked, the full 350.00.
      await page.uncheck('input[name=categories][value=minimum_living]');
      await page.waitForFunction(() => document.querySelector('[data-testid=quote-due]')?.textContent.includes('350.00'));
      assert.match((await page.textContent('[data-testid=quote-subsidy]')).trim(), /^0\.00/);
      assert.deepEqual(problems, []);
      await context.close();
    });

    if (js) test('a page without an island fetches no WASM; 算一算 fetches it once, under a name kept a year', async () => {
      const { context, page, problems } = await open(js);
      const fetched = [];
      page.on('response', r => fetched.push({ path: new URL(r.url()).pathname, cache: r.headers()['cache-control'] }));
      await page.goto(BASE + '/');
      await hydrated(page, js);
      // Only the page loader (a few KB, kept a year): no islands' code, no WASM.
      assert.deepEqual(fetched.filter(f => /\.(wasm|js)$/.test(f.path)).map(f => [f.path.replace(/[0-9a-f]{16}/, 'HASH'), f.cache]),
        [['/nav.HASH.js', 'public, max-age=31536000, immutable']], 'the home page has no island');
      assert.ok(fetched.some(f => /^\/pkg\/canbao\.[0-9a-f]{16}\.css$/.test(f.path)), 'the stylesheet by its hashed name');
      await page.goto(BASE + '/quote?policy=lishi-2023&paid_on=2022-10-08');
      await hydrated(page, js);
      const wasm = fetched.filter(f => /^\/pkg\/canbao\.[0-9a-f]{16}\.wasm$/.test(f.path));
      assert.equal(wasm.length, 1, JSON.stringify(fetched));
      assert.equal(wasm[0].cache, 'public, max-age=31536000, immutable');
      // Back again: the code comes from the phone's cache, nothing over the network.
      await page.goto(BASE + '/quote?policy=lishi-2023&paid_on=2022-10-08');
      await hydrated(page, js);
      const sent = await page.evaluate(() => performance.getEntriesByType('resource')
        .filter(e => /\.(wasm|js)$/.test(new URL(e.name).pathname))
        .map(e => e.transferSize));
      assert.ok(sent.length >= 2 && sent.every(n => n === 0), `transferred again: ${sent}`);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('unknown pages show the styled 404 page', async () => {
      const { context, page, problems } = await open(js, [404]);
      const res = await page.goto(BASE + '/no/such/page');
      assert.equal(res.status(), 404);
      assert.match(await page.textContent('h1'), /页面不存在/);
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(243, 246, 250)', 'stylesheet applied');
      assert.deepEqual(problems.filter(p => !p.includes('/no/such/page')), []);
      await context.close();
    });
  });
}
