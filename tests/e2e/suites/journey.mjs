// The whole story through the website, as two people would live it: a
// newcomer registers, verifies their real name, publishes a house with a
// photo; a second person finds it by area and dates, books it; the landlord
// accepts; the guest pays (sandbox provider); the stay ends (dates moved into
// the past in SQLite); the guest comments; the comment shows on the house page.  Each
// page it passes is photographed into build/screenshots/ (or $SCREENSHOTS_DIR).

import assert from 'node:assert/strict';
import {
  PREFIX, api, assertEventually, captchaId, dateIn, drawPhoto, endStay, idCard, mcGet, mcWait, newMobile,
  newVisitor, register, screenshot,
} from '../lib.mjs';

const HOUSE = {
  title: '朝阳公园旁 · 阳光两居室',
  price: '298.50',
  area: '3',           // 朝阳区
  address: '朝阳区朝阳公园南路 8 号院 3 号楼 1201',
  room_count: '2',
  acreage: '86',
  house_unit: '两室一厅',
  house_capacity: '4',
  beds: '1.8 米双人床 2 张',
  deposit: '500',
  min_days: '1',
  max_days: '30',
  facilities: ['无线网络', '热水淋浴', '空调', '洗衣机', '允许做饭'],
};
const COMMENT = '房东很热情，房间干净明亮，阳台看得到公园，下次还来！';

// Neighbours for the home page and the search: published through the API by the same landlord.
const MORE_HOUSES = [
  { title: '三里屯 · 设计师 loft 公寓', price: '468', area_id: 3, address: '朝阳区工体北路 21 号', room_count: 1, acreage: 55, house_unit: '一室一厅', house_capacity: 2, beds: '大床 1 张', facility: [1, 3, 22] },
  { title: '后海胡同 · 四合院整套', price: '880', area_id: 2, address: '西城区后海北沿 36 号', room_count: 3, acreage: 120, house_unit: '三室两厅', house_capacity: 6, beds: '双人床 3 张', facility: [1, 2, 3, 4, 16] },
  { title: '五道口 · 温馨小窝近地铁', price: '199', area_id: 4, address: '海淀区成府路 28 号', room_count: 1, acreage: 38, house_unit: '一室', house_capacity: 2, beds: '双人床 1 张', facility: [1, 2, 13] },
  { title: '国贸 CBD · 高层景观大床房', price: '560', area_id: 3, address: '朝阳区建国门外大街 1 号', room_count: 1, acreage: 48, house_unit: '一室一厅', house_capacity: 2, beds: '2 米大床 1 张', facility: [1, 3, 15, 19, 22] },
  { title: '古北水镇旁 · 山景小院', price: '720', area_id: 15, address: '密云区古北口镇司马台村', room_count: 4, acreage: 200, house_unit: '四室两厅', house_capacity: 8, beds: '双人床 4 张', facility: [1, 2, 4, 16, 17, 20] },
];

const sd = dateIn(3);
const ed = dateIn(5);

export const steps = [
  {
    name: 'a newcomer registers: captcha refreshes on click with pcodeid, SMS button counts down',
    async run(s) {
      s.host = await newVisitor(s.browser);
      s.visitors.push(s.host);
      const page = s.host.page;
      s.hostMobile = newMobile();
      await page.goto('/register.html');
      // The captcha loads /api/imagecode?codeid=…; a click gets a new one and drops the old.
      const first = await captchaId(page);
      await mcWait(`${PREFIX}imagecode:${first}`);
      await page.click('#captcha-btn');
      await page.waitForFunction((id) => !document.getElementById('captcha-img').src.includes(`codeid=${id}&`), first);
      const src = new URL(await page.getAttribute('#captcha-img', 'src'), 'http://x');
      assert.equal(src.pathname, '/api/imagecode');
      assert.equal(src.searchParams.get('pcodeid'), first, 'the refreshed captcha sends the previous id as pcodeid');
      await assertEventually(async () => (await mcGet(`${PREFIX}imagecode:${first}`)) === null,
        'the previous captcha is still stored after a refresh');

      await register(page, s.hostMobile, { shot: 'register' });
      assert.equal(new URL(page.url()).pathname, '/my.html');
      await page.waitForSelector('#my-name');
      assert.equal(await page.textContent('#my-name'), s.hostMobile, 'a new account is named after its mobile');
      assert.match(await page.textContent('.flash'), /注册成功/);
    },
  },
  {
    name: 'the SMS button shows a 60 s countdown after sending',
    independent: true,
    async run(s) {
      const v = await newVisitor(s.browser);
      s.visitors.push(v);
      const page = v.page;
      await page.goto('/register.html');
      const codeid = await captchaId(page);
      const mobile = newMobile();
      await page.fill('#register-form [name="mobile"]', mobile);
      await page.fill('#register-form [name="image_code_text"]', await mcWait(`${PREFIX}imagecode:${codeid}`));
      await page.click('#sms-btn');
      await page.waitForFunction(() => /秒后重发/.test(document.getElementById('sms-btn').textContent));
      const text = await page.textContent('#sms-btn');
      const left = Number(/(\d+)/.exec(text)[1]);
      assert.ok(left >= 58 && left <= 60, `countdown starts at 60, shows ${text}`);
      assert.equal(await page.isDisabled('#sms-btn'), true, 'the button is disabled while counting down');
      assert.match(await page.textContent('#register-form .form-msg'), /已发送/);
      assert.match(await mcGet(`${PREFIX}smscode:${mobile}`), /^\d{6}$/);
      await v.context.close();
    },
  },
  {
    name: 'my houses asks to verify first; publishing is refused until verified',
    async run(s) {
      const page = s.host.page;
      await page.goto('/myhouse.html');
      await page.waitForSelector('#verify-first', { state: 'visible' });
      assert.equal(await page.isVisible('#publish-link'), false, 'no publish button before verification');
      await page.goto('/newhouse.html');
      await page.waitForSelector('#verify-first', { state: 'visible' });
      await assertEventually(() => page.isDisabled('#house-form [type="submit"]'), 'publish is not disabled');
    },
  },
  {
    name: 'real-name verification: errors by the field, then shown masked once done',
    async run(s) {
      const page = s.host.page;
      await page.goto('/auth.html');
      await page.waitForSelector('#auth-form', { state: 'visible' });
      await page.fill('[name="real_name"]', '王小明');
      await page.fill('[name="id_card"]', '110101199003071234');
      await page.click('#auth-form [type="submit"]');
      const err = page.locator('#auth-form .field-msg');
      await err.first().waitFor();
      assert.match(await err.first().textContent(), /校验位/);
      const card = idCard(`1101011990030${String(Date.now() % 9000 + 1000)}`);
      await page.fill('[name="id_card"]', card);
      await page.click('#auth-form [type="submit"]');
      await page.waitForSelector('#auth-done', { state: 'visible' });
      assert.equal(await page.textContent('#done-name'), '王小明');
      const masked = await page.textContent('#done-card');
      assert.equal(masked, `${card.slice(0, 3)}***********${card.slice(14)}`);
      assert.ok(!masked.includes(card.slice(3, 14)), 'the id card is masked');
      await screenshot(page, 'auth');
    },
  },
  {
    name: 'profile: avatar preview then upload, and a new name',
    async run(s) {
      const page = s.host.page;
      await page.goto('/profile.html');
      await page.waitForFunction(() => document.querySelector('[name="name"]').value !== '');
      const photo = await drawPhoto(page, 1, 'inside');
      await page.setInputFiles('[name="avatar"]', { name: 'me.jpg', mimeType: 'image/jpeg', buffer: photo });
      assert.match(await page.getAttribute('#avatar-preview', 'src'), /^blob:/, 'the chosen picture is previewed');
      await page.click('#avatar-form [type="submit"]');
      await page.waitForFunction(() => /^\/media\/.+\.jpg$/.test(new URL(document.getElementById('avatar-preview').src).pathname));
      assert.match(await page.textContent('#avatar-form .form-msg'), /头像已更新/);
      await page.fill('[name="name"]', '王房东');
      await page.click('#name-form [type="submit"]');
      await page.waitForFunction(() => /已保存/.test(document.querySelector('#name-form .form-msg').textContent));
      await screenshot(page, 'profile');
      await page.goto('/my.html');
      await page.waitForSelector('#my-name');
      assert.equal(await page.textContent('#my-name'), '王房东');
      assert.match(await page.getAttribute('#my-avatar', 'src'), /^\/media\//);
      await screenshot(page, 'my');
    },
  },
  {
    name: 'publish a house: every field, facility checkboxes, then a photo',
    async run(s) {
      const page = s.host.page;
      await page.goto('/myhouse.html');
      await page.waitForSelector('#publish-link', { state: 'visible' });
      await Promise.all([page.waitForURL('**/newhouse.html'), page.click('#publish-link')]);
      await page.waitForSelector('#facilities input[name="facility"]');
      const f = '#house-form';
      // A bad price is caught next to its field.
      await page.fill(`${f} [name="title"]`, HOUSE.title);
      await page.fill(`${f} [name="price"]`, '12.345');
      await page.click(`${f} [type="submit"]`);
      await page.waitForSelector(`${f} [name="price"][aria-invalid="true"]`);
      assert.match(await page.locator(`${f} .field-msg`).first().textContent(), /两位小数/);

      await page.fill(`${f} [name="price"]`, HOUSE.price);
      await page.fill(`${f} [name="deposit"]`, HOUSE.deposit);
      await page.selectOption(`${f} [name="area_id"]`, HOUSE.area);
      await page.fill(`${f} [name="address"]`, HOUSE.address);
      await page.fill(`${f} [name="room_count"]`, HOUSE.room_count);
      await page.fill(`${f} [name="acreage"]`, HOUSE.acreage);
      await page.fill(`${f} [name="house_unit"]`, HOUSE.house_unit);
      await page.fill(`${f} [name="house_capacity"]`, HOUSE.house_capacity);
      await page.fill(`${f} [name="beds"]`, HOUSE.beds);
      await page.fill(`${f} [name="min_days"]`, HOUSE.min_days);
      await page.fill(`${f} [name="max_days"]`, HOUSE.max_days);
      for (const name of HOUSE.facilities) await page.getByLabel(name, { exact: true }).check();
      await screenshot(page, 'newhouse');
      await page.click(`${f} [type="submit"]`);
      await page.waitForSelector('#image-step', { state: 'visible' });
      s.houseId = Number(await page.inputValue('#house_id'));
      assert.ok(s.houseId > 0);

      const photos = [await drawPhoto(page, 0, 'outside'), await drawPhoto(page, 0, 'inside')];
      await page.setInputFiles('[name="house_image"]', photos.map((buffer, i) => ({ name: `house${i}.jpg`, mimeType: 'image/jpeg', buffer })));
      await page.click('#image-form [type="submit"]');
      await page.waitForFunction(() => document.querySelectorAll('#thumbs img').length === 2);
      assert.match(await page.textContent('#image-form .form-msg'), /已上传 2 张/);
      await screenshot(page, 'newhouse-images', { full: false });
      await Promise.all([page.waitForURL(/\/house\.html\?id=/), page.click('#done-link')]);
      await page.waitForSelector('.detail-head h1');
      assert.equal(await page.textContent('.detail-head h1'), HOUSE.title);

      // A few neighbours so the home page and the search look like a real site.
      for (const [i, h] of MORE_HOUSES.entries()) {
        const r = await api(s.host.context, 'POST', '/api/house/newhouse', h);
        assert.equal(r.errno, 0, JSON.stringify(r));
        const buffer = await drawPhoto(page, i + 1, ['tower', 'outside', 'inside', 'tower', 'outside'][i]);
        const up = await api(s.host.context, 'POST', '/api/house/image', undefined,
          { house_id: String(r.house_id), house_image: { name: 'p.jpg', mimeType: 'image/jpeg', buffer } });
        assert.equal(up.errno, 0, JSON.stringify(up));
      }
      await page.goto('/myhouse.html');
      await page.waitForSelector('#my-houses .row-card');
      assert.equal(await page.locator('#my-houses .row-card').count(), 1 + MORE_HOUSES.length);
      await screenshot(page, 'myhouse');
    },
  },
  {
    name: 'a second person registers, finds the house by area and dates on the home page',
    async run(s) {
      s.guest = await newVisitor(s.browser);
      s.visitors.push(s.guest);
      const page = s.guest.page;
      s.guestMobile = newMobile();
      await register(page, s.guestMobile);
      await page.goto('/');
      await page.waitForSelector('#top-houses .slide');
      await page.waitForSelector('#new-houses .house-card');
      await screenshot(page, 'home');
      await page.selectOption('#search-form [name="aid"]', HOUSE.area);
      await page.fill('#search-form [name="sd"]', sd);
      await page.fill('#search-form [name="ed"]', ed);
      await Promise.all([page.waitForURL(/\/search\.html\?/), page.click('#search-form [type="submit"]')]);
      const q = new URL(page.url()).searchParams;
      assert.equal(q.get('aid'), HOUSE.area);
      assert.equal(q.get('sd'), sd);
      assert.equal(q.get('ed'), ed);
      await page.waitForSelector('#results .house-card');
      const titles = await page.locator('#results .house-card h3').allTextContents();
      assert.ok(titles.includes(HOUSE.title), `the house is found by area and dates: ${titles}`);
      assert.ok(!titles.includes(MORE_HOUSES[1].title), 'houses of other areas are left out');
      await page.selectOption('#filter-form [name="sk"]', 'price-inc');
      await page.waitForURL(/sk=price-inc/);
      await page.waitForSelector('#results .house-card');
      const sorted = await page.locator('#results .house-card h3').allTextContents();
      assert.deepEqual(sorted, [HOUSE.title, MORE_HOUSES[0].title, MORE_HOUSES[3].title], 'cheapest first');
      await screenshot(page, 'search');
    },
  },
  {
    name: 'the house page shows the gallery, facilities and landlord; booking computes nights and total live',
    async run(s) {
      const page = s.guest.page;
      await Promise.all([page.waitForURL(/\/house\.html/),
        page.locator('#results .house-card', { hasText: HOUSE.title }).click()]);
      await page.waitForSelector('.gallery-track img');
      assert.equal(await page.locator('.gallery-track img').count(), 2);
      assert.equal(await page.textContent('.gallery-count'), '1 / 2');
      const facilities = await page.locator('.facility-list li').allTextContents();
      assert.deepEqual(facilities.sort(), [...HOUSE.facilities].sort());
      assert.equal(await page.textContent('.host strong'), '王房东');
      assert.match(await page.textContent('.detail-head'), /¥298\.5/);
      await screenshot(page, 'house', { maxHeight: 2400 });

      await Promise.all([page.waitForURL(/\/booking\.html/), page.click('#book-btn')]);
      await page.waitForFunction(() => document.getElementById('unit-price').textContent.includes('¥'));
      assert.equal(await page.inputValue('[name="start_date"]'), sd, 'the searched dates are carried to the booking');
      assert.equal(await page.inputValue('[name="end_date"]'), ed);
      // The total is the stay's quote (API.md "Pricing"), asked of /api/house/quote as the dates change.
      const totalIs = (t) => page.waitForFunction((x) => document.getElementById('total').textContent === x, t, { timeout: 5000 });
      assert.equal(await page.textContent('#nights'), '2 晚');
      await totalIs('¥597');
      await page.fill('[name="end_date"]', dateIn(6));
      assert.equal(await page.textContent('#nights'), '3 晚');
      await totalIs('¥895.5');
      await page.fill('[name="end_date"]', ed);
      await totalIs('¥597');
      await screenshot(page, 'booking');
      await Promise.all([page.waitForURL(/\/orders\.html/), page.click('#booking-form [type="submit"]')]);
      await page.waitForSelector('#orders .order-card');
      assert.match(await page.textContent('.flash'), /预订成功/);
      const card = page.locator('#orders .order-card').first();
      assert.equal(await card.getAttribute('data-status'), 'WAIT_ACCEPT');
      assert.match(await card.textContent(), /待接单/);
      assert.match(await card.textContent(), /¥597/);
      s.orderId = Number(await card.getAttribute('data-order-id'));
    },
  },
  {
    name: 'the booked dates are taken: the same search no longer lists the house, a second booking is refused',
    async run(s) {
      const page = s.guest.page;
      await page.goto(`/search.html?aid=${HOUSE.area}&sd=${sd}&ed=${ed}`);
      await page.waitForSelector('#results .house-card, #results .empty');
      const titles = await page.locator('#results .house-card h3').allTextContents();
      assert.ok(!titles.includes(HOUSE.title), 'a booked house is left out of a search of its dates');
      await page.goto(`/booking.html?house_id=${s.houseId}&sd=${sd}&ed=${dateIn(4)}`);
      await page.waitForFunction(() => document.getElementById('total').textContent.includes('¥'));
      await page.click('#booking-form [type="submit"]');
      await page.waitForSelector('#booking-form [name="start_date"][aria-invalid="true"]');
      assert.match(await page.locator('#booking-form .field-msg').first().textContent(), /已被预订/);
    },
  },
  {
    name: 'a guest cancels a booking waiting for the landlord',
    async run(s) {
      const page = s.guest.page;
      const r = await api(s.guest.context, 'POST', '/api/order', { house_id: s.houseId, start_date: dateIn(10), end_date: dateIn(12) });
      assert.equal(r.errno, 0, JSON.stringify(r));
      await page.goto('/orders.html');
      const card = page.locator(`#orders .order-card[data-order-id="${r.order_id}"]`);
      await card.getByRole('button', { name: '取消订单' }).click();
      await page.waitForSelector(`#orders .order-card[data-order-id="${r.order_id}"][data-status="CANCELED"]`);
      assert.match(await page.locator(`#orders .order-card[data-order-id="${r.order_id}"]`).textContent(), /已取消/);
      s.rejectMe = (await api(s.guest.context, 'POST', '/api/order',
        { house_id: s.houseId, start_date: dateIn(20), end_date: dateIn(21) })).order_id;
    },
  },
  {
    name: "the landlord's orders: accept one, reject another with a reason",
    async run(s) {
      const page = s.host.page;
      await page.goto('/lorders.html');
      const card = page.locator(`#orders .order-card[data-order-id="${s.orderId}"]`);
      await card.waitFor();
      assert.match(await card.textContent(), /待接单/);
      await screenshot(page, 'lorders');

      const other = page.locator(`#orders .order-card[data-order-id="${s.rejectMe}"]`);
      await other.getByRole('button', { name: '拒单' }).click();
      await other.getByRole('button', { name: '确认拒单' }).click();
      assert.match(await other.locator('.field-msg').textContent(), /请填写拒单原因/);
      await other.locator('[name="reject_reason"]').fill('这几天房东家里有事，抱歉');
      await other.getByRole('button', { name: '确认拒单' }).click();
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.rejectMe}"][data-status="REJECTED"]`);
      assert.match(await page.locator(`#orders .order-card[data-order-id="${s.rejectMe}"]`).textContent(), /这几天房东家里有事/);

      await page.locator(`#orders .order-card[data-order-id="${s.orderId}"]`).getByRole('button', { name: '接单' }).click();
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.orderId}"][data-status="WAIT_PAYMENT"]`);
    },
  },
  {
    name: 'the guest pays on the sandbox cashier; once the stay has ended, the guest comments, and the comment shows on the house page',
    async run(s) {
      const page = s.guest.page;
      await page.goto('/orders.html');
      const unpaid = page.locator(`#orders .order-card[data-order-id="${s.orderId}"][data-status="WAIT_PAYMENT"]`);
      assert.equal(await unpaid.locator('[name="comment"]').count(), 0, 'no review before the stay');
      await Promise.all([page.waitForURL(/\/pay\.html\?payment=/), unpaid.getByRole('button', { name: /去支付/ }).click()]);
      await Promise.all([page.waitForURL(/\/orders\.html\?paid=/), page.click('#pay-confirm')]);
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.orderId}"][data-status="PAID"]`);
      endStay(s.orderId);   // time passes: the stay ends today
      await page.goto('/orders.html');
      const rejected = page.locator(`#orders .order-card[data-order-id="${s.rejectMe}"]`);
      await rejected.waitFor();
      assert.match(await rejected.textContent(), /已拒单[\s\S]*这几天房东家里有事/);
      const card = page.locator(`#orders .order-card[data-order-id="${s.orderId}"]`);
      assert.match(await card.textContent(), /待评价/);
      await card.locator('.star-picker button[data-stars="5"]').click();  // the star picker (issue 20)
      await card.locator('[name="comment"]').fill(COMMENT);
      await screenshot(page, 'orders');
      await card.getByRole('button', { name: '发表评价' }).click();
      await page.waitForSelector(`#orders .order-card[data-order-id="${s.orderId}"][data-status="COMPLETE"]`);
      assert.match(await page.locator(`#orders .order-card[data-order-id="${s.orderId}"]`).textContent(), /已完成[\s\S]*下次还来/);

      await page.goto(`/house.html?id=${s.houseId}`);
      await page.waitForSelector('#comments li');
      const li = page.locator('#comments li').first();
      assert.equal(await li.locator('p').textContent(), COMMENT);
      assert.equal(await li.locator('strong').textContent(), `${s.guestMobile.slice(0, 3)}****${s.guestMobile.slice(7)}`);  // never the mobile
      assert.match(await page.textContent('.facts'), /已入住1 次/);
    },
  },
  {
    name: 'a desktop visitor sees the home page with the top houses',
    async run(s) {
      const v = await newVisitor(s.browser, { desktop: true });
      s.visitors.push(v);
      await v.page.goto('/');
      await v.page.waitForSelector('#top-houses .slide');
      await v.page.waitForSelector('#new-houses .house-card');
      assert.equal(await v.page.isVisible('.tabbar'), false, 'no phone tab bar on a desktop');
      assert.equal(await v.page.isVisible('.topnav'), true);
      await screenshot(v.page, 'home-desktop', { maxHeight: 1500 });
    },
  },
  {
    name: 'every POST carried X-XSRFToken equal to the _xsrf cookie; no script errors',
    independent: true,
    async run(s) {
      const all = s.visitors.flatMap((v) => v.posts);
      assert.ok(all.length >= 10, `only ${all.length} POSTs seen`);
      // (The tests' own API shortcuts go through context.request, not a page: not counted.)
      for (const p of all) {
        assert.ok(p.header && p.header === p.cookie, `POST ${p.url} had X-XSRFToken ${p.header} and _xsrf ${p.cookie}`);
      }
      assert.deepEqual(s.visitors.flatMap((v) => v.errors), []);
    },
  },
];
