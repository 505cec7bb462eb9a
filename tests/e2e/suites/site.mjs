// The website as a whole: nginx's headers and caching, no inline script or
// HTML built from data (XSS), every errno of API.md worded in Chinese, and
// every page usable at 360 px.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT, URL_BASE, api, endStay, idCard, newMobile, newVisitor, payOrder, register,
} from '../lib.mjs';

const WWW = path.join(ROOT, 'nginx', 'www');
const PAGES = fs.readdirSync(WWW).filter((f) => f.endsWith('.html')).sort();
const XSS = '<img src=x onerror="window.__xss=1">"><script>window.__xss=2</script>';

export const steps = [
  {
    name: 'pages: CSP without inline script, nosniff, Referrer-Policy, frame-ancestors, a fresh _xsrf, revalidated',
    independent: true,
    async run() {
      for (const page of ['/', ...PAGES.map((p) => `/${p}`)]) {
        const res = await fetch(new URL(page, URL_BASE), { redirect: 'manual' });
        assert.equal(res.status, 200, `${page}: ${res.status}`);
        assert.match(res.headers.get('content-type'), /^text\/html/);
        const csp = res.headers.get('content-security-policy') || '';
        assert.match(csp, /script-src 'self'/, `${page}: CSP ${csp}`);
        assert.match(csp, /frame-ancestors 'none'/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(res.headers.get('referrer-policy'), 'same-origin');
        assert.match(res.headers.get('cache-control') || '', /no-cache/);
        assert.match(res.headers.get('set-cookie') || '', /^_xsrf=[A-Za-z0-9_-]{16,}; Path=\/; SameSite=Lax/);
        await res.arrayBuffer();
      }
      const home = await fetch(new URL('/', URL_BASE), { headers: { Cookie: '_xsrf=abcdefghijklmnop0123' } });
      assert.equal(home.headers.get('set-cookie'), null, 'a visitor with an _xsrf keeps it');
      assert.match(await home.text(), /<title>爱家租房/, '/ serves index.html');
    },
  },
  {
    name: 'assets: right types, cached with revalidation (ETag → 304), and /api/ still answers',
    independent: true,
    async run() {
      const types = { css: /^text\/css/, js: /javascript/, img: /^image\/svg\+xml/ };
      for (const dir of Object.keys(types)) {
        for (const file of fs.readdirSync(path.join(WWW, dir))) {
          const url = new URL(`/${dir}/${file}`, URL_BASE);
          const res = await fetch(url);
          assert.equal(res.status, 200, `${url}`);
          await res.arrayBuffer();
          assert.match(res.headers.get('content-type'), types[dir], `${url}: ${res.headers.get('content-type')}`);
          assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
          assert.match(res.headers.get('cache-control') || '', /no-cache/);
          const etag = res.headers.get('etag');
          assert.ok(etag, `${url} has no ETag`);
          const again = await fetch(url, { headers: { 'If-None-Match': etag } });
          assert.equal(again.status, 304, `${url} is not revalidated`);
        }
      }
      const health = await (await fetch(new URL('/api/health', URL_BASE))).json();
      assert.equal(health.errno, 0);
    },
  },
  {
    name: 'no inline script, inline handler, inline style or innerHTML anywhere in the website',
    independent: true,
    async run() {
      for (const page of PAGES) {
        const html = fs.readFileSync(path.join(WWW, page), 'utf8');
        assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, `${page}: inline <script>`);
        assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${page}: inline event handler`);
        assert.doesNotMatch(html, /\sstyle\s*=/i, `${page}: inline style`);
        assert.match(html, /<meta name="viewport" content="width=device-width/);
      }
      for (const file of fs.readdirSync(path.join(WWW, 'js'))) {
        const js = fs.readFileSync(path.join(WWW, 'js', file), 'utf8');
        assert.doesNotMatch(js, /\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function/, `js/${file}`);
      }
    },
  },
  {
    name: 'every errno of API.md has a clear Chinese message',
    independent: true,
    async run(s) {
      const apiMd = [path.join(ROOT, '..', 'shared', 'API.md'), path.join(ROOT, 'API.md')].find((p) => fs.existsSync(p));
      let numbers = [4001, 4002, 4003, 4004, 4101, 4102, 4103, 4104, 4105, 4106, 4201, 4202, 4301, 4302, 4500, 4501];
      if (apiMd) {
        numbers = [...fs.readFileSync(apiMd, 'utf8').matchAll(/^\| (4\d{3}) \|/gm)].map((m) => Number(m[1]));
        assert.ok(numbers.length >= 16, `only ${numbers.length} errno rows found in ${apiMd}`);
      }
      const v = await newVisitor(s.browser);
      s.visitors.push(v);
      await v.page.goto('/');
      const texts = await v.page.evaluate(async (list) => {
        const { describe } = await import('/js/api.js');
        const contexts = ['', 'smscode', 'register', 'login', 'avatar', 'name', 'auth', 'newhouse', 'houseImage',
          'houseInfo', 'search', 'book', 'orderAction'];
        return list.flatMap((errno) => contexts.map((c) => [errno, c, describe({ status: 200, errno, body: {} }, c)]));
      }, numbers);
      for (const [errno, context, text] of texts) {
        assert.match(text, /[\u4e00-\u9fff]/, `errno ${errno} (${context}): ${text}`);
        assert.doesNotMatch(text, /错误码/, `errno ${errno} (${context}) has no own message: ${text}`);
      }
      const http = await v.page.evaluate(async () => {
        const { describe } = await import('/js/api.js');
        return [403, 413, 429, 503].map((status) => describe({ status, errno: 4201, body: {} }, 'login'))
          .concat([describe({ network: true }), describe({ timeout: true })]);
      });
      assert.deepEqual(http.slice(0, 4), ['页面已过期，请刷新页面后重试', '提交的内容过大', '操作过于频繁，请稍后再试', '服务暂时不可用，请稍后再试']);
      for (const t of http) assert.match(t, /[\u4e00-\u9fff]/);
    },
  },
  {
    name: 'XSS: markup in a title, address, name and comment is shown as text and never runs',
    async run(s) {
      const host = await newVisitor(s.browser);
      const guest = await newVisitor(s.browser);
      s.visitors.push(host, guest);
      await register(host.page, newMobile());
      assert.equal((await api(host.context, 'POST', '/api/profile/name', { name: '<b>房东</b>' })).errno, 0);
      const card = idCard(`1101051985061${String(Date.now() % 9000 + 1000)}`);
      assert.equal((await api(host.context, 'POST', '/api/profile/auth', { real_name: '测试', id_card: card })).errno, 0);
      const r = await api(host.context, 'POST', '/api/house/newhouse', {
        title: XSS.slice(0, 64), price: '99', area_id: 16, address: `延庆区 ${XSS}`, room_count: 1, acreage: 20,
        house_capacity: 1, facility: [],
      });
      assert.equal(r.errno, 0, JSON.stringify(r));
      s.xssHouse = r.house_id;

      await register(guest.page, newMobile());
      assert.equal((await api(guest.context, 'POST', '/api/profile/name', { name: '<img src=x onerror=alert(1)>' })).errno, 0);
      const from = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
      const to = new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10);
      const order = await api(guest.context, 'POST', '/api/order', { house_id: r.house_id, start_date: from, end_date: to });
      if (order.errno === 0) {
        await api(host.context, 'POST', '/api/order/accept', { order_id: order.order_id });
        await payOrder(guest.context, order.order_id);
        endStay(order.order_id);   // a review is possible only from the check-out day
        const c = await api(guest.context, 'POST', '/api/order/comment', { order_id: order.order_id, comment: XSS });
        assert.equal(c.errno, 0, JSON.stringify(c));
      }

      const pages = [
        [guest.page, '/search.html?aid=16', '#results .house-card h3'],
        [guest.page, `/house.html?id=${r.house_id}`, '.detail-head h1'],
        [guest.page, '/orders.html', '#orders .order-card h3'],
        [host.page, '/myhouse.html', '#my-houses h3'],
        [host.page, '/lorders.html', '#orders .order-card h3'],
      ];
      for (const [page, url, selector] of pages) {
        await page.goto(url);
        await page.waitForSelector(selector);
        assert.equal((await page.textContent(selector)).trim(), XSS.slice(0, 64), `${url} shows the title as text`);
        await page.waitForTimeout(150);
        assert.equal(await page.evaluate(() => window.__xss), undefined, `${url} ran injected script`);
        assert.equal(await page.locator('img[src="x"], script:not([src])').count(), 0, `${url} built markup from data`);
      }
      await guest.page.goto(`/house.html?id=${r.house_id}`);
      await guest.page.waitForSelector('.detail-head h1');
      if (order.errno === 0) assert.equal(await guest.page.textContent('#comments li p'), XSS);
      assert.equal(await guest.page.textContent('.account-name'), '<img src=x onerror=alert(1)>');
      await host.page.goto(`/house.html?id=${r.house_id}`);
      await host.page.waitForSelector('.host strong');
      assert.equal(await host.page.textContent('.host strong'), '<b>房东</b>');
      assert.match(await host.page.textContent('.bookbar'), /这是您的房源/, 'the owner is not offered to book');
    },
  },
  {
    name: 'every page fits a 360 px screen without sideways scrolling',
    async run(s) {
      const v = await newVisitor(s.browser);
      s.visitors.push(v);
      await v.page.setViewportSize({ width: 360, height: 740 });
      await register(v.page, newMobile());
      for (const page of PAGES) {
        const url = page === 'house.html' || page === 'booking.html' ? `/${page}?id=${s.xssHouse}&house_id=${s.xssHouse}` : `/${page}`;
        await v.page.goto(url);
        await v.page.waitForLoadState('networkidle');
        const width = await v.page.evaluate(() => document.documentElement.scrollWidth);
        const wide = width <= 360 ? [] : await v.page.evaluate(() => [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > 361)
          .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)} px)`));
        assert.ok(width <= 360, `${url} is ${width} px wide at 360 px: ${wide.join(', ')}`);
      }
    },
  },
  {
    name: 'no script errors or CSP violations on these pages',
    independent: true,
    async run(s) {
      assert.deepEqual(s.visitors.flatMap((v) => v.errors), []);
    },
  },
];
