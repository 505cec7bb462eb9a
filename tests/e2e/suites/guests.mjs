// What a guest does before booking (issue 13): searches by keyword from the
// home page and the search page (the keyword stays in the URL, the back
// button returns to the previous search), saves houses with the heart
// (asked to log in first), sees them on the 收藏 page with paging, checks
// the house page's next 60 days, and picks dates on the booking page's month
// calendar where booked nights cannot be picked — at 360 px and on a desktop.
// Screenshots: search-keyword, favorites, house-availability,
// booking-calendar, booking-calendar-desktop, favorites-desktop.

import assert from 'node:assert/strict';
import {
  api, assertEventually, dateIn, drawPhoto, idCard, login, newMobile, newVisitor, register, screenshot,
} from '../lib.mjs';

const PHONE = { width: 360, height: 780 };
const SANLITUN = { title: '琉璃厂 · 近地铁设计师 loft', price: '300', area_id: 3, address: '朝阳区酒仙桥路 4 号', room_count: 1, acreage: 55, house_capacity: 2, facility: [1, 3] };
const HUTONG = { title: '南锣鼓巷 · 四合院整套', price: '880', area_id: 1, address: '东城区南锣鼓巷 36 号', room_count: 3, acreage: 120, house_capacity: 6, facility: [1, 2] };
const FILLERS = 11;   // with 琉璃厂: 12 favourites, two pages of 10

// Nights the other guest takes on 琉璃厂 (a stay occupies start … end−1).
const BOOKED = [dateIn(4), dateIn(5), dateIn(9)];

async function phone(browser) {
  const v = await newVisitor(browser);
  await v.page.setViewportSize(PHONE);
  return v;
}

async function titles(page, selector = '#results .house-card h3') {
  return page.locator(selector).allTextContents();
}

/** Clicks "next month" until the day button of `date` is on the calendar. */
async function showDay(page, date) {
  for (let i = 0; i < 14; i += 1) {
    if (await page.locator(`.cal-day[data-date="${date}"]`).count()) return;
    await page.click('.cal-next');
  }
  throw new Error(`${date} never showed on the calendar`);
}

export const steps = [
  {
    name: 'a landlord publishes houses; another guest books three nights of one',
    async run(s) {
      s.host = await newVisitor(s.browser);
      s.visitors.push(s.host);
      await register(s.host.page, newMobile());
      const auth = await api(s.host.context, 'POST', '/api/profile/auth', { real_name: '李房东', id_card: idCard(`11010519850315${100 + (Date.now() % 900)}`) });
      assert.equal(auth.errno, 0, JSON.stringify(auth));
      s.houses = {};
      for (const [i, h] of [SANLITUN, HUTONG].entries()) {
        const r = await api(s.host.context, 'POST', '/api/house/newhouse', h);
        assert.equal(r.errno, 0, JSON.stringify(r));
        s.houses[h.title] = r.house_id;
        const buffer = await drawPhoto(s.host.page, i + 2, i ? 'outside' : 'inside');
        const up = await api(s.host.context, 'POST', '/api/house/image', undefined,
          { house_id: String(r.house_id), house_image: { name: 'p.jpg', mimeType: 'image/jpeg', buffer } });
        assert.equal(up.errno, 0, JSON.stringify(up));
      }
      s.fillers = [];
      for (let i = 0; i < FILLERS; i += 1) {
        const r = await api(s.host.context, 'POST', '/api/house/newhouse',
          { ...HUTONG, title: `收藏夹测试房 ${i + 1} 号`, price: String(200 + i * 10), area_id: 4 + (i % 3), address: `海淀区测试路 ${i + 1} 号` });
        assert.equal(r.errno, 0, JSON.stringify(r));
        s.fillers.push(r.house_id);
      }
      s.sanlitun = s.houses[SANLITUN.title];
      const booker = await newVisitor(s.browser);
      s.visitors.push(booker);
      await register(booker.page, newMobile());
      for (const [start, end] of [[dateIn(4), dateIn(6)], [dateIn(9), dateIn(10)]]) {
        const r = await api(booker.context, 'POST', '/api/order', { house_id: s.sanlitun, start_date: start, end_date: end });
        assert.equal(r.errno, 0, JSON.stringify(r));
      }
    },
  },
  {
    name: 'keyword search from the home page (360 px): q in the URL, the back button returns to the last keyword',
    async run(s) {
      s.guest = await phone(s.browser);
      s.visitors.push(s.guest);
      const page = s.guest.page;
      await page.goto('/');
      await page.fill('#search-form [name="q"]', '琉璃厂');
      await Promise.all([page.waitForURL(/\/search\.html\?/), page.click('#search-form [type="submit"]')]);
      assert.equal(new URL(page.url()).searchParams.get('q'), '琉璃厂');
      await page.waitForSelector('#results .house-card');
      assert.deepEqual(await titles(page), [SANLITUN.title]);
      assert.equal(await page.inputValue('#filter-form [name="q"]'), '琉璃厂');
      assert.match(await page.textContent('#result-count'), /“琉璃厂”/);
      await screenshot(page, 'search-keyword');

      await page.fill('#filter-form [name="q"]', '南锣鼓巷');
      await page.click('#filter-form [type="submit"]');
      await page.waitForURL((u) => u.searchParams.get('q') === '南锣鼓巷');
      await assertEventually(async () => (await titles(page)).join() === HUTONG.title, 'the 南锣鼓巷 search shows the 南锣鼓巷 house');
      await page.goBack();
      await page.waitForURL((u) => u.searchParams.get('q') === '琉璃厂');
      await assertEventually(async () => (await titles(page)).join() === SANLITUN.title, 'back shows the 琉璃厂 results again');
      assert.equal(await page.inputValue('#filter-form [name="q"]'), '琉璃厂');

      // A keyword of 1-2 characters, and hostile text that only matches literally.
      await page.goto(`/search.html?q=${encodeURIComponent('鼓巷')}`);
      await assertEventually(async () => (await titles(page)).join() === HUTONG.title, 'a 2-character keyword finds the house');
      await page.goto(`/search.html?q=${encodeURIComponent('100%_"*NEAR(')}`);
      await page.waitForSelector('#results .empty');
      assert.match(await page.textContent('#results .empty'), /没有找到/);
    },
  },
  {
    name: 'a heart clicked without logging in asks to log in first',
    async run(s) {
      const page = s.guest.page;
      await page.goto('/search.html?q=琉璃厂');
      const heart = page.locator(`.card-wrap[data-house-id="${s.sanlitun}"] .heart`);
      await heart.waitFor();
      assert.equal(await heart.getAttribute('aria-pressed'), 'false');
      await Promise.all([page.waitForURL(/\/login\.html\?next=/), heart.click()]);
      const next = new URL(new URL(page.url()).searchParams.get('next'), page.url());
      assert.equal(next.pathname, '/search.html', 'login comes back to the search');
      assert.equal(next.searchParams.get('q'), '琉璃厂');
    },
  },
  {
    name: 'the guest saves houses with hearts; the house page counts them; 收藏 lists them 10 a page',
    async run(s) {
      const page = s.guest.page;
      s.guestMobile = newMobile();
      await register(page, s.guestMobile);
      await page.goto('/search.html?q=琉璃厂');
      const heart = page.locator(`.card-wrap[data-house-id="${s.sanlitun}"] .heart`);
      await heart.click();
      await assertEventually(async () => (await heart.getAttribute('aria-pressed')) === 'true', 'the heart fills');
      await assertEventually(async () => (await api(s.guest.context, 'GET', '/api/user/favorites/ids')).data.house_ids.includes(s.sanlitun),
        'the server has the favourite');

      await page.goto(`/house.html?id=${s.sanlitun}`);
      const big = page.locator('#house-heart');
      await assertEventually(async () => (await big.getAttribute('aria-pressed')) === 'true', 'the house page heart is filled');
      assert.equal(await page.textContent('#favorite-count'), '1 人收藏');
      await big.click();
      await assertEventually(async () => (await page.textContent('#favorite-count')) === '还没有人收藏', 'count drops on unsave');
      assert.equal(await big.getAttribute('aria-pressed'), 'false');
      await big.click();
      await assertEventually(async () => (await page.textContent('#favorite-count')) === '1 人收藏', 'count back to 1');

      for (const id of s.fillers) {
        const r = await api(s.guest.context, 'POST', '/api/user/favorites', { house_id: id });
        assert.equal(r.errno, 0, JSON.stringify(r));
      }
      await page.goto('/my.html');
      await Promise.all([page.waitForURL(/\/favorites\.html/), page.click('#link-favorites')]);
      await page.waitForSelector('#favorites .house-card');
      assert.equal(await page.locator('#favorites .house-card').count(), 10);
      const first = await titles(page, '#favorites .house-card h3');
      assert.equal(first[0], `收藏夹测试房 ${FILLERS} 号`, 'most recently saved first');
      assert.equal(await page.locator('#favorites .heart[aria-pressed="true"]').count(), 10);
      await screenshot(page, 'favorites');
      await page.click('#pager a:has-text("下一页")');
      await page.waitForURL(/favorites\.html\?p=2/);
      await assertEventually(async () => (await page.locator('#favorites .house-card').count()) === 2, 'page 2 has two');
      assert.ok((await titles(page, '#favorites .house-card h3')).includes(SANLITUN.title));
      await page.goBack();
      await page.waitForURL((u) => u.pathname === '/favorites.html' && !u.search);
      await assertEventually(async () => (await page.locator('#favorites .house-card').count()) === 10, 'back to page 1');
    },
  },
  {
    name: "the house page shows the next 60 days' availability at a glance",
    async run(s) {
      const page = s.guest.page;
      await page.goto(`/house.html?id=${s.sanlitun}`);
      await page.waitForSelector('#availability .strip-day');
      assert.equal(await page.locator('#availability .strip-day').count(), 60);
      const booked = await page.locator('#availability .strip-day.booked').evaluateAll((els) => els.map((e) => e.dataset.date));
      assert.deepEqual(booked, BOOKED);
      assert.equal(await page.getAttribute('#availability .strip-day >> nth=0', 'data-date'), dateIn(0));
      assert.match(await page.textContent('.strip-summary'), /未来 60 天中有 57 晚可订/);
      await page.locator('#availability-card').scrollIntoViewIfNeeded();
      await screenshot(page, 'house-availability', { full: false });
    },
  },
  {
    name: 'booking calendar (360 px): booked nights greyed and unpickable, picks update nights and total, a stay over a booked night is refused before it is sent',
    async run(s) {
      const page = s.guest.page;
      await page.goto(`/booking.html?house_id=${s.sanlitun}`);
      await page.waitForSelector('.cal-day');
      assert.equal(await page.locator('.cal-month').count(), 1, 'one month on a phone');
      await showDay(page, BOOKED[0]);
      const night = page.locator(`.cal-day[data-date="${BOOKED[0]}"]`);
      assert.ok(await night.isDisabled(), 'a booked night cannot be picked');
      assert.match(await night.getAttribute('class'), /\bbooked\b/);
      assert.ok(await page.locator(`.cal-day[data-date="${dateIn(-1)}"]`).count() === 0 ||
        await page.locator(`.cal-day[data-date="${dateIn(-1)}"]`).isDisabled(), 'yesterday cannot be picked');

      // Check-in two days before the booked night: it may be the check-out day, the day after not.
      await showDay(page, dateIn(2));
      await page.click(`.cal-day[data-date="${dateIn(2)}"]`);
      assert.equal(await page.inputValue('[name="start_date"]'), dateIn(2));
      await showDay(page, dateIn(4));
      assert.ok(await page.locator(`.cal-day[data-date="${dateIn(4)}"]`).isEnabled(), 'a booked night may be the check-out day');
      await showDay(page, dateIn(5));
      assert.ok(await page.locator(`.cal-day[data-date="${dateIn(5)}"]`).isDisabled(), 'a check-out past a booked night cannot be picked');
      await page.click(`.cal-day[data-date="${dateIn(4)}"]`);
      assert.equal(await page.inputValue('[name="end_date"]'), dateIn(4));
      assert.equal(await page.textContent('#nights'), '2 晚');
      await page.waitForFunction((x) => document.getElementById('total').textContent === x, '¥600', { timeout: 5000 });  // the stay's quote

      // Typed dates over booked nights: refused on the page, nothing is sent.
      const before = s.guest.posts.filter((p) => p.url.endsWith('/api/order')).length;
      await page.fill('[name="start_date"]', dateIn(3));
      await page.fill('[name="end_date"]', dateIn(7));
      await assertEventually(async () => /已被预订/.test(await page.textContent('#stay-clash')), 'the clash shows while typing');
      await page.click('#booking-form [type="submit"]');
      await page.waitForSelector('#booking-form [name="start_date"][aria-invalid="true"]');
      assert.match(await page.locator('#booking-form .field').first().locator('.field-msg').textContent(), /已被预订/);
      assert.equal(s.guest.posts.filter((p) => p.url.endsWith('/api/order')).length, before, 'no order was sent');

      // A free stay picked on the calendar, its check-out on the next booked night.
      await showDay(page, dateIn(6));
      await page.click(`.cal-day[data-date="${dateIn(6)}"]`);
      await showDay(page, dateIn(9));
      await page.click(`.cal-day[data-date="${dateIn(9)}"]`);
      assert.equal(await page.textContent('#nights'), '3 晚');
      await page.waitForFunction((x) => document.getElementById('total').textContent === x, '¥900', { timeout: 5000 });  // the stay's quote
      assert.equal(await page.locator('.cal-day.in-range').count() >= 1, true);
      await screenshot(page, 'booking-calendar');
      await Promise.all([page.waitForURL(/\/orders\.html/), page.click('#booking-form [type="submit"]')]);
      await page.waitForSelector('#orders .order-card');
      assert.match(await page.textContent('#orders .order-card'), /¥900/);
    },
  },
  {
    name: 'desktop: two months side by side, the new stay greyed; favourites on a wide screen',
    async run(s) {
      const v = await newVisitor(s.browser, { desktop: true });
      s.visitors.push(v);
      const page = v.page;
      await login(page, s.guestMobile);
      await page.goto(`/booking.html?house_id=${s.sanlitun}&sd=${dateIn(12)}&ed=${dateIn(14)}`);
      await page.waitForSelector('.cal-day');
      assert.equal(await page.locator('.cal-month').count(), 2, 'two months on a desktop');
      for (const d of [dateIn(6), dateIn(7), dateIn(8)]) {
        await showDay(page, d);
        assert.ok(await page.locator(`.cal-day[data-date="${d}"]`).isDisabled(), `${d} is taken by the stay just booked`);
      }
      await showDay(page, dateIn(12));
      assert.equal(await page.textContent('#nights'), '2 晚');
      assert.equal(await page.locator('.cal-day.selected').count(), 2);
      await screenshot(page, 'booking-calendar-desktop', { maxHeight: 1300 });
      await page.goto('/favorites.html');
      await page.waitForSelector('#favorites .house-card');
      await screenshot(page, 'favorites-desktop', { maxHeight: 1500 });
    },
  },
  {
    name: 'an old booking link of a house its landlord took offline says so and sends nothing (360 px)',
    async run(s) {
      const hid = s.fillers[0];
      const off = await api(s.host.context, 'POST', '/api/house/status', { house_id: hid, status: 'offline' });
      assert.equal(off.errno, 0, JSON.stringify(off));
      const page = s.guest.page;
      await page.goto(`/booking.html?house_id=${hid}&sd=${dateIn(20)}&ed=${dateIn(22)}`);
      await page.waitForSelector('#booking-form .form-msg.form-level:not(:empty)');
      assert.match(await page.textContent('#booking-form .form-msg.form-level'), /已下线/);
      assert.ok(await page.locator('#booking-form [type="submit"]').isDisabled(), 'nothing to submit');
      const on = await api(s.host.context, 'POST', '/api/house/status', { house_id: hid, status: 'online' });
      assert.equal(on.errno, 0, JSON.stringify(on));
    },
  },
  {
    name: 'no script errors on any page; every POST carried X-XSRFToken equal to the _xsrf cookie',
    independent: true,
    async run(s) {
      for (const p of s.visitors.flatMap((v) => v.posts)) {
        assert.ok(p.header && p.header === p.cookie, `POST ${p.url} had X-XSRFToken ${p.header} and _xsrf ${p.cookie}`);
      }
      assert.deepEqual(s.visitors.flatMap((v) => v.errors), []);
    },
  },
];
