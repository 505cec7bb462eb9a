// Trust between strangers (issue 20), as its users meet it at 360 px and on a
// desktop: a guest asks the landlord a question from the house page (联系房东)
// with text that looks like markup and sees it back as text; the landlord
// sees the unread badge in the header, answers on the 消息 page and the badge
// goes; after the stay the guest rates it with the star picker, the house page
// and the cards show the stars; the landlord replies on 客户订单 and the reply
// shows under the comment; the guest turns SMS notifications off under 账号与安全.
// Orders reach WAIT_COMMENT by writing the database (IHOME_DB from stack.env)
// with the sqlite3 tool, as an ended stay would, whatever the life cycle.
// Screenshots: messages-question, messages-desktop, review-stars, house-rating,
// lorders-reply, account-notify.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  api, assertEventually, dateIn, drawPhoto, idCard, newMobile, newVisitor, register, screenshot,
} from '../lib.mjs';

const PHONE = { width: 360, height: 780 };
const DB = process.env.IHOME_DB;
const HOSTILE = '<img src=x onerror=alert(1)>请问有车位吗？';

function sql(statement) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', DB, statement], { encoding: 'utf8' }).trim();
}

export const steps = [
  {
    name: 'setup: a verified landlord with a house and photo, a guest with a stay that ended',
    async run(s) {
      assert.ok(DB, 'IHOME_DB is not set (tests/e2e/run-suite exports stack.env)');
      s.host = await newVisitor(s.browser, { desktop: true });
      s.guest = await newVisitor(s.browser);
      s.visitors.push(s.host, s.guest);
      await s.guest.page.setViewportSize(PHONE);
      await register(s.host.page, newMobile());
      await register(s.guest.page, newMobile());
      let r = await api(s.host.context, 'POST', '/api/profile/auth',
        { real_name: '王房东', id_card: idCard(`11010519800101${100 + (Date.now() % 900)}`) });
      assert.equal(r.errno, 0, JSON.stringify(r));
      r = await api(s.host.context, 'POST', '/api/house/newhouse', {
        title: '后海 · 湖景两居（评价测试）', price: '420', area_id: 2, address: '西城区后海北沿 8 号',
        room_count: 2, acreage: 70, house_capacity: 4, facility: [1, 20],
      });
      assert.equal(r.errno, 0, JSON.stringify(r));
      s.house = r.house_id;
      const buffer = await drawPhoto(s.host.page, 5, 'outside');
      const up = await api(s.host.context, 'POST', '/api/house/image', undefined,
        { house_id: String(s.house), house_image: { name: 'p.jpg', mimeType: 'image/jpeg', buffer } });
      assert.equal(up.errno, 0, JSON.stringify(up));
      r = await api(s.guest.context, 'POST', '/api/order', { house_id: s.house, start_date: dateIn(3), end_date: dateIn(5) });
      assert.equal(r.errno, 0, JSON.stringify(r));
      s.order = r.order_id;
      sql(`UPDATE orders SET status = 'WAIT_COMMENT', start_date = date('now', '-5 days'),
           end_date = date('now', '-3 days') WHERE id = ${s.order}`);
    },
  },
  {
    name: '360 px: 联系房东 on the house page opens a question; markup comes back as text',
    async run(s) {
      const { page } = s.guest;
      await page.goto(`/house.html?id=${s.house}`);
      await page.waitForSelector('#house-rating');
      assert.match(await page.textContent('#house-rating'), /暂无评分/);
      await page.click('#contact-host');
      await page.waitForURL(/\/messages\.html\?house_id=/);
      await page.fill('#text', HOSTILE);
      await page.click('#composer [type="submit"]');
      await page.waitForURL(/\/messages\.html\?c=\d+/);
      await page.waitForSelector('#thread .bubble.mine');
      assert.equal(await page.textContent('#thread .bubble.mine .bubble-text'), HOSTILE);
      assert.equal(await page.locator('#thread img').count(), 0, 'no element made from the text');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `no sideways scroll at 360 px (${width})`);
      await screenshot(page, 'messages-question');
    },
  },
  {
    name: 'desktop: the landlord sees the unread badge, answers on 消息, and the badge goes',
    async run(s) {
      const { page } = s.host;
      await page.goto('/');
      await page.waitForSelector('#unread-badge:not([hidden])');
      assert.equal(await page.textContent('#unread-badge'), '1');
      await page.click('#messages-link');
      await page.waitForSelector('.conv-item a');
      await page.click('.conv-item a');
      await page.waitForSelector('#thread .bubble');
      assert.equal(await page.textContent('#thread .bubble .bubble-text'), HOSTILE);
      await assertEventually(() => page.locator('#unread-badge').isHidden(), 'the badge goes once read');
      await page.fill('#text', '有的，地下车库免费停车。');
      await page.click('#composer [type="submit"]');
      await page.waitForSelector('#thread .bubble.mine');
      await screenshot(page, 'messages-desktop');
      const g = await api(s.guest.context, 'GET', '/api/messages/unread');
      assert.equal(g.data.unread, 1);
    },
  },
  {
    name: '360 px: the guest rates the stay with the star picker; the house page shows the stars',
    async run(s) {
      const { page } = s.guest;
      await page.goto('/orders.html');
      const card = page.locator(`.order-card[data-order-id="${s.order}"]`);
      await card.locator('.star-picker button[data-stars="4"]').click();
      assert.equal(await card.locator('.star-picker button[aria-pressed="true"]').count(), 4);
      await card.locator('textarea[name="comment"]').fill('湖景很美，房东回复很快。');
      await screenshot(page, 'review-stars');
      await card.locator('[type="submit"]').click();
      await assertEventually(async () => {
        const o = await api(s.guest.context, 'GET', '/api/order/my');
        return o.data.orders[0].rating === 4;
      }, 'the comment carries 4 stars');
      await page.goto(`/house.html?id=${s.house}`);
      await page.waitForSelector('#house-rating .rating strong');
      assert.equal(await page.textContent('#house-rating .rating strong'), '4.0');
      assert.equal(await page.locator('#comments li .stars').count(), 1);
      await page.goto('/search.html?sk=rating&aid=2');
      await page.waitForSelector('#results .house-card');
      assert.match(await page.locator('#results .house-card').first().textContent(), /4\.0/);
    },
  },
  {
    name: 'desktop: the landlord replies on 客户订单; the reply shows under the comment',
    async run(s) {
      const { page } = s.host;
      await page.goto('/lorders.html');
      const card = page.locator(`.order-card[data-order-id="${s.order}"]`);
      await card.locator('textarea[name="reply"]').fill('谢谢您的好评，欢迎再来！');
      await card.locator('[type="submit"]').click();
      await card.locator('.reply').waitFor();
      await screenshot(page, 'lorders-reply');
      await page.goto(`/house.html?id=${s.house}`);
      await page.waitForSelector('#comments .reply');
      assert.match(await page.textContent('#comments .reply'), /谢谢您的好评/);
      await screenshot(page, 'house-rating');
    },
  },
  {
    name: '360 px: 通知设置 under 账号与安全 turns SMS off and on',
    async run(s) {
      const { page } = s.guest;
      await page.goto('/account.html');
      await page.waitForSelector('#notify-sms:not([disabled])');
      assert.equal(await page.isChecked('#notify-sms'), true);
      await page.click('#notify-sms');
      await page.waitForSelector('#notify-msg:has-text("已关闭")');
      let p = await api(s.guest.context, 'GET', '/api/profile');
      assert.equal(p.notify_sms, false);
      await screenshot(page, 'account-notify');
      await page.click('#notify-sms');
      await page.waitForSelector('#notify-msg:has-text("已开启")');
      p = await api(s.guest.context, 'GET', '/api/profile');
      assert.equal(p.notify_sms, true);
    },
  },
];
