// 房东中心 and the owner's calendar link (API.md "Landlords"): a landlord with
// two houses and accepted stays opens 房东中心 from 我的 at 360 px and on a
// desktop, reads the year's totals, the twelve bars of the SVG chart and the
// per-house table, switches the year; on the house page the owner (and only
// the owner) sees the secret iCal URL, copies it and resets it.
//
// Stays in the past cannot be booked (start_date not in the past), so the
// past-dated paid stays are written straight into the stack's SQLite
// file (IHOME_DB, from stack.env) with the sqlite3 tool, as an operator's
// script would; one future stay is booked, accepted and paid through the API.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  api, assertEventually, dateIn, idCard, newMobile, newVisitor, payOrder, register, screenshot,
} from '../lib.mjs';

const DB = process.env.IHOME_DB;
const LAST_YEAR = new Date().getFullYear() - 1;

function sql(statement) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', DB, statement], { encoding: 'utf8' }).trim();
}

// A stay that was paid for keeps its amount as the landlord's earnings
// (orders.earned, what the summary counts: sql/010_payments.sql).
function insertStay(guest, house, start, end, fen, status) {
  const nights = Math.round((Date.parse(end) - Date.parse(start)) / 86400000);
  const earned = ['PAID', 'WAIT_COMMENT', 'COMPLETE'].includes(status) ? nights * fen : 0;
  sql(`INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount, status, earned)
       VALUES (${guest}, ${house}, '${start}', '${end}', ${nights}, ${fen}, ${nights * fen}, '${status}', ${earned})`);
}

async function newHouse(context, title, price) {
  const r = await api(context, 'POST', '/api/house/newhouse', {
    title, price, district: 3, address: '朝阳区建国路88号', room_count: 2, acreage: 60,
    house_capacity: 3, min_days: 1, max_days: 0, facility: [1, 3],
  });
  assert.equal(r.errno, 0, JSON.stringify(r));
  return r.house_id;
}

async function noHorizontalScroll(page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `the page scrolls sideways: ${scroll} > ${width}`);
}

export const steps = [
  {
    name: 'setup: a verified landlord with two houses, a guest, accepted stays this year and last',
    async run(s) {
      assert.ok(DB, 'IHOME_DB is not set (tests/e2e/run-suite exports stack.env)');
      s.owner = await newVisitor(s.browser);
      s.visitors.push(s.owner);
      await register(s.owner.page, newMobile());
      let r = await api(s.owner.context, 'POST', '/api/profile/auth', { real_name: '李房东', id_card: idCard('11010519491231002') });
      assert.equal(r.errno, 0, JSON.stringify(r));
      s.houseA = await newHouse(s.owner.context, '国贸CBD·阳光两居', '388');
      s.houseB = await newHouse(s.owner.context, '三里屯·安静一居', '268');
      s.guest = await newVisitor(s.browser);
      s.visitors.push(s.guest);
      await register(s.guest.page, newMobile());
      r = await api(s.guest.context, 'GET', '/api/check_login');
      s.guestId = r.data.user_id;
      // Through the API: a stay next month, accepted and paid (sandbox provider).
      r = await api(s.guest.context, 'POST', '/api/order', { house_id: s.houseA, start_date: dateIn(20), end_date: dateIn(23) });
      assert.equal(r.errno, 0, JSON.stringify(r));
      const booked = r.order_id;
      r = await api(s.owner.context, 'POST', '/api/order/accept', { order_id: booked });
      assert.equal(r.errno, 0, JSON.stringify(r));
      await payOrder(s.guest.context, booked);
      // Written into SQLite: earlier stays of this year and last year.
      const y = new Date().getFullYear();
      insertStay(s.guestId, s.houseA, `${y}-01-10`, `${y}-01-15`, 38800, 'COMPLETE');
      insertStay(s.guestId, s.houseA, `${y}-03-01`, `${y}-03-08`, 38800, 'COMPLETE');
      insertStay(s.guestId, s.houseB, `${y}-01-30`, `${y}-02-02`, 26800, 'COMPLETE');
      insertStay(s.guestId, s.houseB, `${y}-05-01`, `${y}-05-11`, 26800, 'WAIT_COMMENT');
      insertStay(s.guestId, s.houseB, `${y}-06-01`, `${y}-06-04`, 26800, 'REJECTED');
      insertStay(s.guestId, s.houseA, `${LAST_YEAR}-12-20`, `${LAST_YEAR}-12-27`, 35000, 'COMPLETE');
      s.expected = await api(s.owner.context, 'GET', `/api/landlord/summary?year=${y}`);
      assert.equal(s.expected.errno, 0);
    },
  },
  {
    name: '360 px: 我的 → 房东中心 shows the totals, twelve bars and the houses with occupancy',
    async run(s) {
      const page = s.owner.page;
      await page.setViewportSize({ width: 360, height: 780 });
      await page.goto('/my.html');
      await page.click('#link-landlord');
      await page.waitForURL((u) => u.pathname === '/landlord.html');
      await page.waitForSelector('#month-chart');
      const d = s.expected.data;
      assert.equal(await page.textContent('#total-orders'), String(d.total.orders));
      assert.equal(await page.textContent('#total-nights'), String(d.total.nights));
      assert.match(await page.textContent('#total-amount'), new RegExp(`^¥${Number(d.total.amount)}`));
      assert.equal(await page.locator('#month-chart rect.bar').count(), 12);
      // The tallest bar is the month that earned most.
      const heights = await page.$$eval('#month-chart rect.bar', (bars) => bars.map((b) => Number(b.getAttribute('height'))));
      const amounts = d.months.map((m) => Number(m.amount));
      assert.equal(heights.indexOf(Math.max(...heights)), amounts.indexOf(Math.max(...amounts)));
      heights.forEach((h, i) => assert.equal(h === 0, amounts[i] === 0, `bar ${i + 1}`));
      const rows = page.locator('#house-table tbody tr');
      assert.equal(await rows.count(), 2);
      for (const h of d.houses) {
        const row = page.locator(`#house-table tr[data-house-id="${h.house_id}"]`);
        assert.match(await row.textContent(), new RegExp(h.title));
        assert.match(await row.locator('.occ-text').textContent(), new RegExp(`^${(h.occupancy * 100).toFixed(1)}%$`));
      }
      await noHorizontalScroll(page);
      await screenshot(page, 'landlord-mobile');
    },
  },
  {
    name: 'the year picker shows last year (the stay across new year counts its own nights)',
    async run(s) {
      const page = s.owner.page;
      await page.selectOption('#year', String(LAST_YEAR));
      await page.waitForURL((u) => u.searchParams.get('year') === String(LAST_YEAR));
      await assertEventually(async () => (await page.textContent('#total-nights').catch(() => '')) === '7',
        'last year shows 7 nights');
      assert.equal(await page.textContent('#total-orders'), '1');
      const titles = await page.$$eval('#month-chart rect.bar title', (t) => t.map((x) => x.textContent));
      assert.match(titles[11], /12月：收入 2450(\.00)? 元，7 晚/);
      await page.click('#year-next');
      await assertEventually(async () => (await page.textContent('#total-nights').catch(() => '')) === String(s.expected.data.total.nights),
        'back to this year');
    },
  },
  {
    name: 'desktop: the same page, wide',
    async run(s) {
      const v = await newVisitor(s.browser, { desktop: true });
      s.visitors.push(v);
      await v.context.addCookies(await s.owner.context.cookies());
      await v.page.goto('/landlord.html');
      await v.page.waitForSelector('#house-table');
      assert.equal(await v.page.locator('#month-chart rect.bar').count(), 12);
      await screenshot(v.page, 'landlord');
      assert.deepEqual(v.errors, []);
    },
  },
  {
    name: 'house page: the owner makes, copies and resets the calendar URL; the old one stops working',
    async run(s) {
      const page = s.owner.page;
      await page.setViewportSize({ width: 360, height: 780 });
      await page.goto(`/house.html?id=${s.houseA}`);
      await page.waitForSelector('#ical-card');
      // No token yet: looking made none, a 生成 button makes the first.
      await page.waitForSelector('#ical-create', { state: 'visible' });
      assert.equal(await page.inputValue('#ical-url'), '');
      assert.equal(await page.isVisible('#ical-reset'), false);
      await page.click('#ical-create');
      await assertEventually(async () => /\/api\/house\/ical\?house_id=\d+&token=[A-Za-z0-9_-]{32}$/.test(await page.inputValue('#ical-url')),
        'the calendar URL shows');
      assert.equal(await page.isVisible('#ical-create'), false);
      assert.match(await page.textContent('#ical-msg'), /已生成/);
      const first = await page.inputValue('#ical-url');
      assert.ok(first.startsWith('http://127.0.0.1:'), first);
      let res = await s.guest.context.request.get(first);
      assert.equal(res.status(), 200);
      assert.match(res.headers()['content-type'], /^text\/calendar/);
      const body = await res.text();
      assert.match(body, /BEGIN:VCALENDAR\r\n/);
      assert.match(body, new RegExp(`DTSTART;VALUE=DATE:${dateIn(20).replaceAll('-', '')}`));
      await page.click('#ical-copy');
      await assertEventually(async () => /复制/.test(await page.textContent('#ical-msg')), 'a copy message');
      await screenshot(page, 'house-ical', { maxHeight: 2400 });
      await page.click('#ical-reset');   // the confirm() dialog is accepted by the visitor's watcher
      await assertEventually(async () => (await page.inputValue('#ical-url')) !== first, 'a new URL after reset');
      assert.match(await page.textContent('#ical-msg'), /已重置/);
      res = await s.guest.context.request.get(first);
      assert.equal(res.status(), 404);
      assert.equal((await res.json()).errno, 4002);
      res = await s.guest.context.request.get(await page.inputValue('#ical-url'));
      assert.equal(res.status(), 200);
      await noHorizontalScroll(page);
    },
  },
  {
    name: 'a guest on the same house sees no calendar link; no script errors anywhere',
    independent: true,
    async run(s) {
      const page = s.guest.page;
      await page.goto(`/house.html?id=${s.houseA}`);
      await page.waitForSelector('.detail-layout');
      assert.equal(await page.locator('#ical-card').count(), 0);
      for (const v of s.visitors) assert.deepEqual(v.errors, []);
    },
  },
];
