// Accessibility (issue 23): every page of the site (nginx/www/*.html), at
// 360 px and on a desktop, logged out and logged in, has no axe-core
// violation of impact `serious` or `critical` among the WCAG 2.0/2.1 A and AA
// rules (@axe-core/playwright, pinned in package.json); and the booking flow —
// search, the house, the dates, book, pay — works with the keyboard alone (Tab,
// Shift+Tab, Enter, Space, the arrow keys: no click, no fill).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import {
  ROOT, api, dateIn, drawPhoto, idCard, login, newMobile, newVisitor, register,
} from '../lib.mjs';

const PHONE = { width: 360, height: 780 };
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const HOUSE = { title: '无障碍测试 · 西城区整套公寓', price: '420', area_id: 2, address: '西城区金融街 8 号', room_count: 2, acreage: 70, house_capacity: 4, facility: [1, 2, 3] };

// nginx/www/*.html, and the API reference page (/api-docs/, scripts/openapi-html).
const PAGES = [...fs.readdirSync(path.join(ROOT, 'nginx', 'www')).filter((f) => f.endsWith('.html')).sort(), 'api-docs/'];

/** A page's URL, with the query its content needs. */
function pageUrl(s, file) {
  const query = {
    'house.html': `?id=${s.houseId}`,
    'booking.html': `?house_id=${s.houseId}`,
    'newhouse.html': `?edit=${s.houseId}`,
  };
  return `/${file}${query[file] || ''}`;
}

const COMBOS = [
  { key: 'phone-out', label: 'at 360 px, logged out', desktop: false, loggedIn: false },
  { key: 'phone-in', label: 'at 360 px, logged in', desktop: false, loggedIn: true },
  { key: 'desktop-out', label: 'on a desktop, logged out', desktop: true, loggedIn: false },
  { key: 'desktop-in', label: 'on a desktop, logged in', desktop: true, loggedIn: true },
];

async function audit(v, url) {
  await v.page.goto(url);
  await v.page.waitForLoadState('networkidle');
  const result = await new AxeBuilder({ page: v.page }).withTags(TAGS).analyze();
  return result.violations
    .filter((x) => x.impact === 'serious' || x.impact === 'critical')
    .map((x) => `${url} → ${v.page.url().replace(/^https?:\/\/[^/]+/, '')}: [${x.impact}] ${x.id}: ${x.help}; ` +
      x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}

const auditSteps = [];
for (const combo of COMBOS) {
  auditSteps.push({
    name: `a visitor ${combo.label}`,
    independent: true,
    async run(s) {
      const v = await newVisitor(s.browser, { desktop: combo.desktop });
      s.visitors.push(v);
      if (!combo.desktop) await v.page.setViewportSize(PHONE);
      if (combo.loggedIn) await login(v.page, s.hostMobile);
      s[combo.key] = v;
    },
  });
  for (const file of PAGES) {
    auditSteps.push({
      name: `${file} ${combo.label}: no serious or critical axe-core violation`,
      independent: true,
      async run(s) {
        const found = await audit(s[combo.key], pageUrl(s, file));
        assert.deepEqual(found, [], `axe-core: serious or critical violations\n${found.join('\n')}`);
      },
    });
  }
}

/** Presses Tab until the focused element matches `selector` (at most `limit` times). */
async function tabTo(page, selector, limit = 80) {
  for (let i = 0; i < limit; i += 1) {
    if (await page.evaluate((sel) => document.activeElement && document.activeElement.matches(sel), selector)) return;
    await page.keyboard.press('Tab');
  }
  const at = await page.evaluate(() => document.activeElement && document.activeElement.outerHTML.slice(0, 120));
  throw new Error(`Tab never reached ${selector} (focus on ${at})`);
}

export const steps = [
  {
    name: 'a verified landlord with a house and a photo; a guest',
    async run(s) {
      s.host = await newVisitor(s.browser);
      s.visitors.push(s.host);
      s.hostMobile = newMobile();
      await register(s.host.page, s.hostMobile);
      const auth = await api(s.host.context, 'POST', '/api/profile/auth', { real_name: '王无障', id_card: idCard(`11010219800102${100 + (Date.now() % 900)}`) });
      assert.equal(auth.errno, 0, JSON.stringify(auth));
      const r = await api(s.host.context, 'POST', '/api/house/newhouse', HOUSE);
      assert.equal(r.errno, 0, JSON.stringify(r));
      s.houseId = r.house_id;
      const buffer = await drawPhoto(s.host.page, 1, 'outside');
      const up = await api(s.host.context, 'POST', '/api/house/image', undefined,
        { house_id: String(r.house_id), house_image: { name: 'p.jpg', mimeType: 'image/jpeg', buffer } });
      assert.equal(up.errno, 0, JSON.stringify(up));
      s.guest = await newVisitor(s.browser, { desktop: true });
      s.visitors.push(s.guest);
      s.guestMobile = newMobile();
      await register(s.guest.page, s.guestMobile);
    },
  },
  ...auditSteps,
  {
    name: 'keyboard only: search, open the house, pick the dates, book',
    async run(s) {
      const page = s.guest.page;
      const kb = page.keyboard;
      await page.goto('/search.html');
      await page.waitForLoadState('networkidle');
      // The house card's link, reached with Tab from the top of the page.
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      await tabTo(page, `a[href*="house.html?id=${s.houseId}"]`, 200);
      await Promise.all([page.waitForURL(/\/house\.html/), kb.press('Enter')]);
      await page.waitForLoadState('networkidle');
      await tabTo(page, '#book-btn');
      await Promise.all([page.waitForURL(/\/booking\.html/), kb.press('Enter')]);
      await page.waitForLoadState('networkidle');
      // Dates: the first focusable day of the calendar, then three days on.
      const start = dateIn(3);
      const end = dateIn(6);
      for (const day of [start, end]) {
        const sel = `.cal-day[data-date="${day}"]`;
        for (let i = 0; i < 3 && !(await page.locator(sel).count()); i += 1) {
          await tabTo(page, '.cal-next');
          await kb.press('Enter');
        }
        await tabTo(page, sel, 120);
        await kb.press('Enter');
      }
      await tabTo(page, '[type="submit"]', 120);
      // A booking goes on to the orders page (a later step's goto must not race it).
      await Promise.all([page.waitForURL(/\/orders\.html/), kb.press('Enter')]);
      await page.waitForLoadState('networkidle');
      const mine = await api(s.guest.context, 'GET', '/api/order/my?role=custom');
      const order = mine.data.orders.find((o) => o.house_id === s.houseId);
      assert.ok(order, `no order after booking by keyboard: ${JSON.stringify(mine)}`);
      assert.equal(order.start_date, start);
      assert.equal(order.end_date, end);
      s.keyboardOrder = order.order_id;
    },
  },
  {
    name: 'keyboard only: the landlord accepts, the guest pays on the cashier',
    async run(s) {
      const accepted = await api(s.host.context, 'POST', '/api/order/accept', { order_id: s.keyboardOrder });
      assert.equal(accepted.errno, 0, JSON.stringify(accepted));
      const page = s.guest.page;
      await page.goto('/orders.html');
      await page.waitForLoadState('networkidle');
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      await tabTo(page, `.order-card[data-order-id="${s.keyboardOrder}"] .pay-btn`, 200);
      await Promise.all([page.waitForURL(/\/pay\.html\?payment=/), page.keyboard.press('Enter')]);
      await page.waitForSelector('#pay-confirm');
      await tabTo(page, '#pay-confirm');
      await Promise.all([page.waitForURL(/\/orders\.html\?paid=/), page.keyboard.press('Enter')]);
      const mine = await api(s.guest.context, 'GET', '/api/order/my?role=custom');
      const order = mine.data.orders.find((o) => o.order_id === s.keyboardOrder);
      assert.equal(order && order.status, 'PAID', JSON.stringify(order));
    },
  },
];
