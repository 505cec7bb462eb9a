// What people manage themselves (API.md "purpose", "password/reset",
// "profile/password", "profile/delete", "house/edit", "house/status",
// "house/image/delete", "house/image/cover"): the forgotten password from the
// login page, changing the password and closing the account on the account
// pages, and on 我的房源 the edit form, the online/offline switch and the
// photos — each at 360 px and on a desktop.

import assert from 'node:assert/strict';
import {
  DESKTOP, NARROW, PREFIX, api, assertEventually, captchaId, dateIn, drawPhoto, fieldError, forgetSession,
  formMessage, login, mcDelete, mcWait, person, randomIdCard, register, screenshot, visitor,
} from '../lib.mjs';

async function checkLogin(v) {
  return (await api(v.context, 'GET', '/api/check_login')).errno;
}

async function houseInfo(v, id) {
  return (await api(v.context, 'GET', `/api/house/info?house_id=${id}`)).data.house;
}

// ---------------------------------------------------------------------------

async function forgotPassword(v, newPassword, shot) {
  const page = v.page;
  await forgetSession(v);
  await page.goto('/login.html');
  await Promise.all([page.waitForURL((u) => u.pathname === '/forgot.html'), page.click('#to-forgot')]);
  // Registering just used up this mobile's one-SMS-a-minute; an operator's reset of it:
  await mcDelete(`${PREFIX}gap:sms_mobile:${v.mobile}`);
  const f = '#reset-form';
  await page.fill(`${f} [name="mobile"]`, v.mobile);
  await page.fill(`${f} [name="image_code_text"]`, await mcWait(`${PREFIX}imagecode:${await captchaId(page)}`));
  await page.click('#sms-btn');
  await page.waitForFunction(() => /秒后重发/.test(document.getElementById('sms-btn').textContent));
  assert.match(await formMessage(page, f), new RegExp(`如果 ${v.mobile} 已注册`));
  const code = await mcWait(`${PREFIX}smscode:reset:${v.mobile}`);
  await page.fill(`${f} [name="password"]`, newPassword);
  await page.fill(`${f} [name="password2"]`, newPassword);
  await page.fill(`${f} [name="phonecode"]`, code === '000000' ? '111111' : '000000');
  await page.click(`${f} [type="submit"]`);
  await assertEventually(async () => (await fieldError(page, f, 'phonecode')) === '短信验证码错误',
    'no message for a wrong reset code');
  await page.fill(`${f} [name="phonecode"]`, code);
  await page.fill(`${f} [name="password"]`, newPassword);
  await page.fill(`${f} [name="password2"]`, newPassword);
  if (shot) await screenshot(page, shot);
  await Promise.all([page.waitForURL((u) => u.pathname === '/login.html'), page.click(`${f} [type="submit"]`)]);
  assert.match(await page.textContent('.flash'), /密码已重设/);
  assert.equal(await checkLogin(v), 4101, 'a reset does not log in');
  await login(page, v.mobile, newPassword);
  assert.equal(await checkLogin(v), 0);
  v.password = newPassword;
}

async function changePassword(s, v, newPassword, shot) {
  const other = await visitor(s, { desktop: true });
  await login(other.page, v.mobile, v.password);
  const page = v.page;
  await page.goto('/my.html');
  await Promise.all([page.waitForURL((u) => u.pathname === '/account.html'), page.click('#link-account')]);
  const f = '#password-form';
  await page.fill(`${f} [name="old_password"]`, 'not-my-password');
  await page.fill(`${f} [name="password"]`, newPassword);
  await page.fill(`${f} [name="password2"]`, newPassword);
  await page.click(`${f} [type="submit"]`);
  await assertEventually(async () => (await fieldError(page, f, 'old_password')) === '原密码错误',
    'no message for a wrong old password');
  await page.fill(`${f} [name="old_password"]`, v.password);
  await page.fill(`${f} [name="password2"]`, `${newPassword}x`);
  await page.click(`${f} [type="submit"]`);
  assert.equal(await fieldError(page, f, 'password2'), '两次输入的密码不一致');
  await page.fill(`${f} [name="password2"]`, newPassword);
  if (shot) await screenshot(page, shot);
  await page.click(`${f} [type="submit"]`);
  await assertEventually(async () => /密码已修改/.test(await page.textContent(`${f} .form-msg`)),
    'no message after changing the password');
  assert.equal(await checkLogin(v), 0, 'this browser stays logged in');
  assert.equal(await checkLogin(other), 4101, 'the other browser is logged out');
  v.password = newPassword;
}

async function closeAccount(v, shot) {
  const page = v.page;
  await page.goto('/account.html');
  const f = '#close-form';
  await page.waitForSelector('#close-warning');
  assert.match(await page.textContent('#close-warning'), /无法恢复/);
  await page.fill(`${f} [name="password"]`, v.password);
  await page.click(`${f} [type="submit"]`);
  await assertEventually(async () => /请勾选确认/.test(await page.textContent(f)), 'the checkbox is required');
  await page.check('#close-confirm');
  await page.fill(`${f} [name="password"]`, 'wrong-password');
  await page.click(`${f} [type="submit"]`);
  await assertEventually(async () => (await fieldError(page, f, 'password')) === '密码错误', 'no message for a wrong password');
  await page.fill(`${f} [name="password"]`, v.password);
  if (shot) await screenshot(page, shot);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click(`${f} [type="submit"]`)]);
  assert.match(await page.textContent('.flash'), /账号已注销/);
  assert.equal(await checkLogin(v), 4101);
}

async function photoUrls(page) {
  return page.$$eval('#thumbs li[data-url]', (lis) => lis.map((li) => li.dataset.url));
}

// ---------------------------------------------------------------------------

export const steps = [
  {
    name: 'setup: a verified landlord with a house of three photos, and a guest',
    async run(s) {
      s.landlord = await person(s, { desktop: true });
      let r = await api(s.landlord.context, 'POST', '/api/profile/auth', { real_name: '赵六', id_card: randomIdCard() });
      assert.equal(r.errno, 0, JSON.stringify(r));
      r = await api(s.landlord.context, 'POST', '/api/house/newhouse', {
        title: '后海边的小院', price: '380', district: 2, address: '西城区后海北沿18号', room_count: 2, acreage: 70,
        house_unit: '两室一厅', house_capacity: 4, beds: '双人床2张', deposit: '200', min_days: 1, max_days: 0,
        facility: [1, 2, 3],
      });
      assert.equal(r.errno, 0, JSON.stringify(r));
      s.house = r.house_id;
      s.photos = [];
      for (const [theme, kind] of [[0, 'outside'], [1, 'inside'], [2, 'tower']]) {
        const buffer = await drawPhoto(s.landlord.page, theme, kind);
        r = await api(s.landlord.context, 'POST', '/api/house/image', undefined, {
          house_id: String(s.house), house_image: { name: `${kind}.jpg`, mimeType: 'image/jpeg', buffer },
        });
        assert.equal(r.errno, 0, JSON.stringify(r));
        s.photos.push(r.url);
      }
      s.guest = await person(s);
    },
  },
  {
    name: 'forgotten password at 360 px: captcha, SMS code, new password, then log in',
    async run(s) {
      await forgotPassword(s.guest, 'guest-New-pass1', 'forgot');
    },
  },
  {
    name: 'forgotten password on a desktop',
    async run(s) {
      s.other = await person(s, { desktop: true });
      await forgotPassword(s.other, 'other-New-pass1');
    },
  },
  {
    name: 'change password at 360 px: this browser stays in, the other one is out',
    async run(s) {
      await changePassword(s, s.guest, 'guest-Changed-2', 'account');
    },
  },
  {
    name: 'change password on a desktop',
    async run(s) {
      await changePassword(s, s.other, 'other-Changed-2');
    },
  },
  {
    name: 'edit form at 360 px: prefilled, the same messages as publishing, saved at once',
    async run(s) {
      const page = s.landlord.page;
      await page.setViewportSize(NARROW);
      // The message publishing shows for an empty title and a zero price …
      await page.goto('/newhouse.html');
      await page.waitForSelector('#facilities input');
      await page.click('#house-form [type="submit"]');
      const titleMsg = await fieldError(page, '#house-form', 'title');
      await page.fill('#house-form [name="title"]', '标题');
      await page.fill('#house-form [name="price"]', '0');
      await page.click('#house-form [type="submit"]');
      const priceMsg = await fieldError(page, '#house-form', 'price');

      await page.goto('/myhouse.html');
      const row = page.locator(`.row-card[data-house="${s.house}"]`);
      await Promise.all([page.waitForURL(/\/newhouse\.html\?edit=/), row.locator('.house-edit').click()]);
      await page.waitForFunction(() => document.querySelector('#house-form [name="title"]').value !== '');
      assert.equal(await page.textContent('#page-title'), '编辑房源');
      assert.equal(await page.inputValue('#house-form [name="title"]'), '后海边的小院');
      assert.equal(await page.inputValue('#house-form [name="price"]'), '380');
      assert.equal(await page.inputValue('#house-form [name="area_id"]'), '2');
      assert.equal(await page.inputValue('#house-form [name="house_unit"]'), '两室一厅');
      assert.deepEqual(await page.$$eval('#facilities input:checked', (xs) => xs.map((x) => Number(x.value))), [1, 2, 3]);

      // … is what editing shows too.
      await page.fill('#house-form [name="title"]', '');
      await page.click('#house-form [type="submit"]');
      assert.equal(await fieldError(page, '#house-form', 'title'), titleMsg);
      await page.fill('#house-form [name="title"]', '后海边的小院·整修一新');
      await page.fill('#house-form [name="price"]', '0');
      await page.click('#house-form [type="submit"]');
      assert.equal(await fieldError(page, '#house-form', 'price'), priceMsg);
      await page.fill('#house-form [name="price"]', '420');
      await screenshot(page, 'edithouse');
      await page.click('#house-form [type="submit"]');
      await assertEventually(async () => /修改已保存/.test(await page.textContent('#house-form .form-msg')), 'not saved');
      const h = await houseInfo(s.landlord, s.house);
      assert.equal(h.title, '后海边的小院·整修一新');
      assert.equal(h.price, '420.00');
    },
  },
  {
    name: 'edit form on a desktop: days that disagree are refused, a fix is saved',
    async run(s) {
      const page = s.landlord.page;
      await page.setViewportSize(DESKTOP);
      await page.goto(`/newhouse.html?edit=${s.house}`);
      await page.waitForFunction(() => document.querySelector('#house-form [name="title"]').value !== '');
      await page.fill('#house-form [name="min_days"]', '3');
      await page.fill('#house-form [name="max_days"]', '2');
      await page.click('#house-form [type="submit"]');
      assert.match(await fieldError(page, '#house-form', 'max_days'), /最多入住天数不能少于最少入住天数/);
      await page.fill('#house-form [name="max_days"]', '14');
      await page.click('#house-form [type="submit"]');
      await assertEventually(async () => /修改已保存/.test(await page.textContent('#house-form .form-msg')), 'not saved');
      const h = await houseInfo(s.landlord, s.house);
      assert.deepEqual([h.min_days, h.max_days], [3, 14]);
    },
  },
  {
    name: 'photos at 360 px: previews, set a cover, delete one',
    async run(s) {
      const page = s.landlord.page;
      await page.setViewportSize(NARROW);
      await page.goto('/myhouse.html');
      const row = page.locator(`.row-card[data-house="${s.house}"]`);
      await Promise.all([page.waitForURL(/\/newhouse\.html\?edit=.*#image-step/), row.locator('.house-photos').click()]);
      await page.waitForSelector('#thumbs li[data-url]');
      assert.deepEqual(await photoUrls(page), s.photos);
      assert.equal(await page.locator('#thumbs li').first().locator('.cover').count(), 1);

      const third = s.photos[2];
      await page.locator(`#thumbs li[data-url="${third}"] .photo-cover`).click();
      await assertEventually(async () => (await photoUrls(page))[0] === third, 'the new cover is not first');
      assert.equal((await houseInfo(s.landlord, s.house)).images[0], third);

      const second = s.photos[1];
      await page.locator(`#thumbs li[data-url="${second}"] .photo-delete`).click();   // the dialog is accepted
      await assertEventually(async () => (await photoUrls(page)).length === 2, 'the photo is still shown');
      assert.deepEqual(await photoUrls(page), [third, s.photos[0]]);
      assert.deepEqual((await houseInfo(s.landlord, s.house)).images, [third, s.photos[0]]);
      await page.evaluate(() => document.getElementById('image-step').scrollIntoView());
      await screenshot(page, 'edithouse-photos', { full: false });
      const img = await (await page.request.get(second)).status();
      assert.equal(img, 404, 'the deleted photo is gone from /media/');
    },
  },
  {
    name: 'photos on a desktop: deleting the cover makes the oldest remaining one the cover',
    async run(s) {
      const page = s.landlord.page;
      await page.setViewportSize(DESKTOP);
      await page.goto(`/newhouse.html?edit=${s.house}#image-step`);
      await page.waitForSelector('#thumbs li[data-url]');
      const [cover, rest] = await photoUrls(page);
      await page.locator(`#thumbs li[data-url="${cover}"] .photo-delete`).click();
      await assertEventually(async () => (await photoUrls(page)).length === 1, 'the cover is still shown');
      assert.deepEqual(await photoUrls(page), [rest]);
      assert.equal(await page.locator('#thumbs li').first().locator('.cover').count(), 1);
      const mine = await api(s.landlord.context, 'GET', '/api/house/my');
      assert.equal(mine.data.houses.find((h) => h.house_id === s.house).img_url, rest);
    },
  },
  {
    name: 'online/offline switch at 360 px: offline leaves search and cannot be booked',
    async run(s) {
      const page = s.landlord.page;
      await page.setViewportSize(NARROW);
      await page.goto('/myhouse.html');
      const row = page.locator(`.row-card[data-house="${s.house}"]`);
      assert.equal((await row.locator('.house-status').textContent()).trim(), '已上线');
      await row.locator('.status-toggle').uncheck();
      await assertEventually(async () => (await row.locator('.house-status').textContent()).trim() === '已下线',
        'the badge does not say offline');
      assert.match(await page.textContent('#page-msg'), /已下线/);
      await screenshot(page, 'myhouse-manage');
      const list = await api(s.guest.context, 'GET', '/api/house/list?aid=2');
      assert.ok(!list.data.houses.some((h) => h.house_id === s.house), 'an offline house is still in the search');
      const booked = await api(s.guest.context, 'POST', '/api/order', {
        house_id: s.house, start_date: dateIn(5), end_date: dateIn(6) });
      assert.equal(booked.errno, 4004);
      // The guest's old link explains itself.
      await s.guest.page.goto(`/house.html?id=${s.house}`);
      await s.guest.page.waitForSelector('#book-btn');
      assert.match(await s.guest.page.textContent('#book-btn'), /已下线/);
    },
  },
  {
    name: 'online/offline switch on a desktop: back online, bookable again',
    async run(s) {
      const page = s.landlord.page;
      await page.setViewportSize(DESKTOP);
      await page.goto('/myhouse.html');
      const row = page.locator(`.row-card[data-house="${s.house}"]`);
      await row.locator('.status-toggle').check();
      await assertEventually(async () => (await row.locator('.house-status').textContent()).trim() === '已上线',
        'the badge does not say online');
      await screenshot(page, 'myhouse-manage-desktop');
      const booked = await api(s.guest.context, 'POST', '/api/order', {
        house_id: s.house, start_date: dateIn(5), end_date: dateIn(8) });   // min_days is 3 now
      assert.equal(booked.errno, 0, JSON.stringify(booked));
      s.openOrder = booked.order_id;
    },
  },
  {
    name: 'closing the account at 360 px: refused while an order is open, otherwise gone',
    async run(s) {
      const page = s.guest.page;
      await page.goto('/account.html');
      await page.check('#close-confirm');
      await page.fill('#close-form [name="password"]', s.guest.password);
      await page.click('#close-form [type="submit"]');
      assert.match(await formMessage(page, '#close-form'), /进行中的订单/);
      assert.equal(await checkLogin(s.guest), 0);
      const r = await api(s.guest.context, 'POST', '/api/order/cancel', { order_id: s.openOrder });
      assert.equal(r.errno, 0, JSON.stringify(r));
      await closeAccount(s.guest, 'account-close');
      // The mobile registers again as a new person.
      await forgetSession(s.guest);
      await mcDelete(`${PREFIX}gap:sms_mobile:${s.guest.mobile}`);
      await register(s.guest.page, s.guest.mobile);
      assert.equal(await checkLogin(s.guest), 0);
    },
  },
  {
    name: 'closing the account on a desktop',
    async run(s) {
      await closeAccount(s.other);
      const again = await (await s.other.page.request.post('/api/login', {
        data: { mobile: s.other.mobile, password: s.other.password },
        headers: { 'X-XSRFToken': ((await s.other.context.cookies()).find((c) => c.name === '_xsrf') || {}).value || '' },
      })).json();
      assert.equal(again.errno, 4106);
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
