// A paid stay through the website (API.md "Orders", "Payments"; provider
// `sandbox`, the e2e stack's default): a guest at 360 px books, the landlord
// accepts on a desktop, the guest sees 待支付 with 去支付 ¥amount and a live
// countdown to pay_by, pays on the sandbox cashier /pay.html and comes back to
// 已支付; the landlord cancels a paid stay with a reason and the refund shows
// on both sides; the guest cancels paid stays after a confirm saying the
// refund policy (in full 30 days ahead, half 3 days ahead).  The same on a
// desktop: the cashier's 取消 leads back to the unpaid order.  An order whose
// pay_by passes (moved near in SQLite, IHOME_DB) turns 已过期 as the countdown ends.

import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import {
  NARROW, api, assertEventually, dateIn, idCard, login, newMobile, newVisitor, register, screenshot, sql,
} from '../lib.mjs';

const TITLE = '十三陵水库边 · 带院子的两居';

async function noHorizontalScroll(page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `the page scrolls sideways: ${scroll} > ${width}`);
}

const card = (page, id) => page.locator(`#orders .order-card[data-order-id="${id}"]`);

async function book(context, houseId, from, to) {
  const r = await api(context, 'POST', '/api/order', { house_id: houseId, start_date: dateIn(from), end_date: dateIn(to) });
  assert.equal(r.errno, 0, JSON.stringify(r));
  return r.order_id;
}

async function accept(context, orderId) {
  const r = await api(context, 'POST', '/api/order/accept', { order_id: orderId });
  assert.equal(r.errno, 0, JSON.stringify(r));
}

/** Goes from the orders page to the cashier with the card's 去支付 button. */
async function toCashier(page, orderId) {
  const c = card(page, orderId);
  await c.waitFor();
  await Promise.all([
    page.waitForURL(/\/pay\.html\?payment=[A-Za-z0-9_-]+$/),
    c.getByRole('button', { name: /^去支付/ }).click(),
  ]);
  await page.waitForSelector('#pay-confirm');
}

/** Confirm dialogs' texts (the visitor's watcher accepts them). */
function recordDialogs(page) {
  const seen = [];
  page.on('dialog', (d) => seen.push(d.message()));
  return seen;
}

export const steps = [
  {
    name: 'setup: a verified landlord with a house at ¥300 a night, and a guest at 360 px',
    async run(s) {
      s.owner = await newVisitor(s.browser, { desktop: true });
      s.visitors.push(s.owner);
      await register(s.owner.page, newMobile());
      let r = await api(s.owner.context, 'POST', '/api/profile/auth',
        { real_name: '王房东', id_card: idCard(`1101081990010${String(Date.now() % 9000 + 1000)}`) });
      assert.equal(r.errno, 0, JSON.stringify(r));
      r = await api(s.owner.context, 'POST', '/api/house/newhouse', {
        title: TITLE, price: '300', district: 11, address: '昌平区十三陵镇水库路 18 号', room_count: 2, acreage: 60,
        house_capacity: 3, min_days: 1, max_days: 0, facility: [1, 3],
      });
      assert.equal(r.errno, 0, JSON.stringify(r));
      s.house = r.house_id;
      s.guest = await newVisitor(s.browser, { viewport: NARROW });
      s.visitors.push(s.guest);
      s.guestMobile = newMobile();
      await register(s.guest.page, s.guestMobile);
    },
  },
  {
    name: '360 px: the guest books two nights; the landlord accepts on a desktop → 待支付',
    async run(s) {
      const page = s.guest.page;
      await page.goto(`/booking.html?house_id=${s.house}&sd=${dateIn(10)}&ed=${dateIn(12)}`);
      await page.waitForFunction(() => document.getElementById('total').textContent.includes('¥'));
      assert.equal(await page.textContent('#total'), '¥600');
      await Promise.all([page.waitForURL(/\/orders\.html/), page.click('#booking-form [type="submit"]')]);
      await page.waitForSelector('#orders .order-card');
      s.order = Number(await page.locator('#orders .order-card').first().getAttribute('data-order-id'));
      assert.equal(await card(page, s.order).getAttribute('data-status'), 'WAIT_ACCEPT');
      assert.equal(await card(page, s.order).getByRole('button', { name: /去支付/ }).count(), 0, 'nothing to pay before the landlord accepts');

      const lp = s.owner.page;
      await lp.goto('/lorders.html');
      await card(lp, s.order).getByRole('button', { name: '接单' }).click();
      await lp.waitForSelector(`#orders .order-card[data-order-id="${s.order}"][data-status="WAIT_PAYMENT"]`);
      assert.match(await card(lp, s.order).textContent(), /待支付[\s\S]*等待房客在 \d{4}-\d\d-\d\d \d\d:\d\d 前完成支付/);
    },
  },
  {
    name: '360 px: 我的订单 shows 待支付, 去支付 ¥600 and a live countdown to pay_by, no review box',
    async run(s) {
      const page = s.guest.page;
      await page.goto('/orders.html');
      const c = card(page, s.order);
      await c.waitFor();
      assert.equal(await c.getAttribute('data-status'), 'WAIT_PAYMENT');
      assert.match(await c.textContent(), /待支付/);
      assert.equal((await c.getByRole('button', { name: /^去支付/ }).textContent()).trim(), '去支付 ¥600');
      assert.equal(await c.locator('[name="comment"]').count(), 0, 'no review before the stay has ended');
      const due = c.locator('.pay-due');
      assert.match(await due.textContent(), /^请在 \d+:\d\d:\d\d 内完成支付/);
      const left = Number(await due.getAttribute('data-seconds-left'));
      assert.ok(left > 60 && left <= 1440 * 60, `seconds left to pay: ${left}`);
      await assertEventually(async () => Number(await due.getAttribute('data-seconds-left')) < left,
        'the countdown does not tick', 5000);
      await noHorizontalScroll(page);
      await screenshot(page, 'orders-pay');
    },
  },
  {
    name: '360 px: 去支付 → the sandbox cashier (house, dates, amount, countdown) → 确认支付 → 已支付',
    async run(s) {
      const page = s.guest.page;
      await toCashier(page, s.order);
      assert.equal(await page.textContent('#pay-title'), TITLE);
      assert.equal(await page.textContent('#pay-amount'), '¥600');
      assert.equal(await page.textContent('#pay-nights'), '2 晚');
      assert.match(await page.textContent('#pay-confirm'), /确认支付 ¥600/);
      assert.match(await page.textContent('#pay-due'), /^请在 \d+:\d\d:\d\d 内完成支付$/);
      await noHorizontalScroll(page);
      await screenshot(page, 'pay');
      await Promise.all([page.waitForURL(new RegExp(`/orders\\.html\\?paid=${s.order}$`)), page.click('#pay-confirm')]);
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.order}"][data-status="PAID"]`);
      assert.match(await page.textContent('#order-notice'), /支付成功/);
      const text = await card(page, s.order).textContent();
      assert.match(text, /已支付/);
      assert.match(text, /已付 ¥600/);
      assert.equal(await card(page, s.order).getByRole('button', { name: /去支付/ }).count(), 0);
      assert.equal(await card(page, s.order).locator('[name="comment"]').count(), 0, 'no review before the stay has ended');
      // The cashier of a paid payment says so and offers no second payment.
      await page.goBack();
      await page.waitForSelector('#payment .form-msg[data-kind="ok"]');
      assert.equal(await page.isVisible('#pay-confirm'), false);
    },
  },
  {
    name: 'desktop: the landlord cancels the paid stay with a required reason; the full refund shows',
    async run(s) {
      const page = s.owner.page;
      await page.goto('/lorders.html');
      const c = card(page, s.order);
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.order}"][data-status="PAID"]`);
      assert.match(await c.textContent(), /已支付[\s\S]*已付 ¥600/);
      await c.getByRole('button', { name: '取消订单' }).click();
      await c.getByRole('button', { name: '确认取消' }).click();
      assert.match(await c.locator('.field-msg').textContent(), /请填写取消原因/);
      await c.locator('[name="reason"]').fill('水管爆裂，房子需要维修，非常抱歉');
      await c.getByRole('button', { name: '确认取消' }).click();
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.order}"][data-status="CANCELED"]`);
      assert.match(await page.textContent('#order-notice'), /退款 ¥600/);
      const text = await card(page, s.order).textContent();
      assert.match(text, /已取消/);
      assert.match(text, /已退款 ¥600/);
      assert.match(text, /您取消了这个订单：水管爆裂/);
      await screenshot(page, 'lorders-canceled');
    },
  },
  {
    name: '360 px: the guest sees the landlord\'s cancel, its reason and the refund',
    async run(s) {
      const page = s.guest.page;
      await page.goto('/orders.html');
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.order}"][data-status="CANCELED"]`);
      const text = await card(page, s.order).textContent();
      assert.match(text, /已取消/);
      assert.match(text, /已付 ¥600/);
      assert.match(text, /已退款 ¥600/);
      assert.match(text, /房东取消了这个订单：水管爆裂，房子需要维修，非常抱歉/);
      assert.equal(await card(page, s.order).getByRole('button', { name: '取消订单' }).count(), 0);
    },
  },
  {
    name: 'desktop: the cashier\'s 取消 goes back to the unpaid order; paying again uses the same payment',
    async run(s) {
      s.desk = await newVisitor(s.browser, { desktop: true });
      s.visitors.push(s.desk);
      await login(s.desk.page, s.guestMobile);
      s.later = await book(s.desk.context, s.house, 30, 32);
      await accept(s.owner.context, s.later);
      const page = s.desk.page;
      await page.goto('/orders.html');
      await toCashier(page, s.later);
      const first = new URL(page.url()).searchParams.get('payment');
      assert.equal(await page.textContent('#pay-amount'), '¥600');
      await screenshot(page, 'pay-desktop');
      await Promise.all([page.waitForURL((u) => u.pathname === '/orders.html'), page.click('#pay-cancel')]);
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.later}"][data-status="WAIT_PAYMENT"]`);
      await screenshot(page, 'orders-pay-desktop');
      await toCashier(page, s.later);
      assert.equal(new URL(page.url()).searchParams.get('payment'), first, 'the open payment is handed back');
      await Promise.all([page.waitForURL(/\/orders\.html\?paid=/), page.click('#pay-confirm')]);
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.later}"][data-status="PAID"]`);
    },
  },
  {
    name: 'desktop: the guest cancels a paid stay 30 days ahead after the refund policy → full refund',
    async run(s) {
      const page = s.desk.page;
      const dialogs = recordDialogs(page);
      const c = card(page, s.later);
      await c.getByRole('button', { name: '取消订单' }).click();
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.later}"][data-status="CANCELED"]`);
      assert.equal(dialogs.length, 1);
      assert.match(dialogs[0], /退款规则：入住日 7 天前取消全额退款/);
      assert.match(dialogs[0], /现在取消可退 ¥600/);
      assert.match(await page.textContent('#order-notice'), /退款 ¥600/);
      assert.match(await card(page, s.later).textContent(), /已退款 ¥600[\s\S]*您取消了这个订单/);
    },
  },
  {
    name: '360 px: the guest cancels a paid stay 3 days ahead → half refunded',
    async run(s) {
      const soon = await book(s.guest.context, s.house, 3, 4);
      await accept(s.owner.context, soon);
      const page = s.guest.page;
      await page.goto('/orders.html');
      await toCashier(page, soon);
      assert.equal(await page.textContent('#pay-amount'), '¥300');
      await Promise.all([page.waitForURL(/\/orders\.html\?paid=/), page.click('#pay-confirm')]);
      await page.waitForSelector(`#orders .order-card[data-order-id="${soon}"][data-status="PAID"]`);
      const dialogs = recordDialogs(page);
      await card(page, soon).getByRole('button', { name: '取消订单' }).click();
      await page.waitForSelector(`#orders .order-card[data-order-id="${soon}"][data-status="CANCELED"]`);
      assert.match(dialogs[0] || '', /现在取消可退 ¥150（一半）/);
      assert.match(await page.textContent('#order-notice'), /退款 ¥150/);
      const text = await card(page, soon).textContent();
      assert.match(text, /已付 ¥300/);
      assert.match(text, /已退款 ¥150/);
      await noHorizontalScroll(page);
    },
  },
  {
    name: 'the cashier: someone else\'s payment and a bad link are refused; logged out → login',
    async run(s) {
      const stranger = await newVisitor(s.browser, { viewport: NARROW });
      s.visitors.push(stranger);
      await stranger.page.goto('/pay.html?payment=abc');
      await stranger.page.waitForURL(/\/login\.html\?next=/);
      const other = await book(s.desk.context, s.house, 40, 41);
      await accept(s.owner.context, other);
      const pay = await api(s.desk.context, 'POST', '/api/order/pay', { order_id: other });
      assert.equal(pay.errno, 0, JSON.stringify(pay));
      await register(stranger.page, newMobile());
      await stranger.page.goto(`/pay.html?payment=${pay.data.out_trade_no}`);
      await stranger.page.waitForSelector('#payment .empty');
      assert.equal(await stranger.page.locator('#pay-confirm').count(), 0);
      await stranger.page.goto('/pay.html?payment=%3Cb%3E');
      await stranger.page.waitForSelector('#payment .empty');
      assert.match(await stranger.page.textContent('#payment'), /支付链接无效/);
    },
  },
  {
    name: '360 px: the countdown reaching pay_by turns the order into 已过期, with nothing left to pay',
    async run(s) {
      const late = await book(s.guest.context, s.house, 50, 51);
      await accept(s.owner.context, late);
      // Time passes: pay_by is a few seconds away (unix seconds in orders.pay_by).
      sql(`UPDATE orders SET pay_by = CAST(strftime('%s', 'now') AS INTEGER) + 4 WHERE id = ${Number(late)}`);
      const page = s.guest.page;
      await page.goto('/orders.html');
      const due = card(page, late).locator('.pay-due');
      await due.waitFor();
      assert.match(await due.textContent(), /^请在 00:0\d 内完成支付/);
      await page.waitForSelector(`#orders .order-card[data-order-id="${late}"][data-status="EXPIRED"]`, { timeout: 20000 });
      const c = card(page, late);
      assert.match(await c.textContent(), /已过期/);
      assert.equal(await c.getByRole('button', { name: /去支付/ }).count(), 0);
      assert.equal(await c.getByRole('button', { name: '取消订单' }).count(), 0);
      const pay = await api(s.guest.context, 'POST', '/api/order/pay', { order_id: late });
      assert.equal(pay.errno, 4004, JSON.stringify(pay));
    },
  },
  {
    name: 'axe-core: 我的订单 with 去支付 and a live cashier have no serious or critical violation, at 360 px and on a desktop',
    async run(s) {
      const open = await book(s.guest.context, s.house, 60, 61);
      await accept(s.owner.context, open);
      const pay = await api(s.guest.context, 'POST', '/api/order/pay', { order_id: open });
      assert.equal(pay.errno, 0, JSON.stringify(pay));
      const found = [];
      for (const v of [s.guest, s.desk]) {
        for (const url of ['/orders.html', pay.data.pay_url]) {
          await v.page.goto(url);
          await v.page.waitForSelector(url === '/orders.html' ? '.pay-btn' : '#pay-confirm');
          const result = await new AxeBuilder({ page: v.page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
          for (const x of result.violations) {
            if (x.impact === 'serious' || x.impact === 'critical') {
              found.push(`${url}: [${x.impact}] ${x.id}: ${x.help}; ${x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
            }
          }
        }
      }
      assert.deepEqual(found, []);
    },
  },
  {
    name: 'every POST carried X-XSRFToken equal to the _xsrf cookie; no script errors or CSP violations',
    independent: true,
    async run(s) {
      for (const p of s.visitors.flatMap((v) => v.posts)) {
        assert.ok(p.header && p.header === p.cookie, `POST ${p.url} had X-XSRFToken ${p.header} and _xsrf ${p.cookie}`);
      }
      assert.deepEqual(s.visitors.flatMap((v) => v.errors), []);
    },
  },
];
