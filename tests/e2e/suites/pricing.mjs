// Prices like a landlord sets them (API.md "Pricing"): the landlord sets a
// weekend price, a cleaning fee and discounts in the house editor and a date
// price on the month calendar; the guest sees the night-by-night breakdown,
// the fee, the discount and the total as the booking's dates are picked (the
// amount the order then carries); the search shows each house's stay total
// with dates and filters by a price range — at 360 px and on a desktop.

import assert from 'node:assert/strict';
import {
  NARROW, api, assertEventually, dateIn, fieldError, person, randomIdCard, screenshot,
} from '../lib.mjs';

/** The first Monday at least `days` days from today, as an offset. */
function mondayFrom(days) {
  for (let n = days; ; n += 1) {
    const d = new Date();
    d.setDate(d.getDate() + n);
    if (d.getDay() === 1) return n;
  }
}

async function houseInfo(v, id) {
  return (await api(v.context, 'GET', `/api/house/info?house_id=${id}`)).data.house;
}

async function editPricing(s, v, shot) {
  const page = v.page;
  await page.goto(`/newhouse.html?edit=${s.house}`);
  await page.waitForFunction(() => document.querySelector('#house-form [name="title"]').value !== '');
  // newhouse's rules and messages: a bad weekend price is refused here, before sending
  await page.fill('#house-form [name="weekly_discount"]', '60');
  await page.click('#house-form [type="submit"]');
  assert.match(await fieldError(page, '#house-form', 'weekly_discount'), /0–50/);
  await page.fill('#house-form [name="weekend_price"]', '300');
  await page.fill('#house-form [name="cleaning_fee"]', '60');
  await page.fill('#house-form [name="weekly_discount"]', '10');
  await page.fill('#house-form [name="monthly_discount"]', '20');
  await page.click('#house-form [type="submit"]');
  await assertEventually(async () => (await houseInfo(v, s.house)).weekend_price === '300.00', 'pricing not saved');
  const h = await houseInfo(v, s.house);
  assert.deepEqual([h.cleaning_fee, h.weekly_discount, h.monthly_discount], ['60.00', 10, 20]);
  if (shot) await screenshot(page, shot);
}

async function datePrice(s, v, from, last, price, shot) {
  const page = v.page;
  await page.goto(`/newhouse.html?edit=${s.house}`);
  await page.waitForSelector('#price-calendar .price-day');
  // walk to the month of the first night and pick the two nights on the calendar
  for (let i = 0; i < 24 && !(await page.locator(`#price-calendar [data-date="${from}"]`).count()); i += 1) {
    await page.click('#price-calendar .cal-next');
    await page.waitForTimeout(100);
  }
  await page.click(`#price-calendar [data-date="${from}"]`);
  for (let i = 0; i < 3 && !(await page.locator(`#price-calendar [data-date="${last}"]`).count()); i += 1) {
    await page.click('#price-calendar .cal-next');
    await page.waitForTimeout(100);
  }
  await page.click(`#price-calendar [data-date="${last}"]`);
  assert.equal(await page.inputValue('#price-form [name="price_from"]'), from);
  assert.equal(await page.inputValue('#price-form [name="price_last"]'), last);
  await page.fill('#price-form [name="date_price"]', price);
  await page.click('#set-prices');
  await page.waitForFunction(({ d, p }) => {
    const day = document.querySelector(`#price-calendar [data-date="${d}"] .day-price`);
    return day && day.textContent === `¥${p}`;
  }, { d: from, p: price });
  if (shot) await screenshot(page, shot);
}

async function bookWithQuote(s, v, sd, ed, shot) {
  const page = v.page;
  await page.goto(`/booking.html?house_id=${s.house}`);
  await page.waitForSelector('#booking-calendar .cal-day');
  await page.fill('#booking-form [name="start_date"]', sd);
  await page.fill('#booking-form [name="end_date"]', ed);
  await page.dispatchEvent('#booking-form [name="end_date"]', 'change');
  const quote = (await api(v.context, 'GET', `/api/house/quote?house_id=${s.house}&sd=${sd}&ed=${ed}`)).data;
  const yuan = (x) => `¥${Number.isInteger(Number(x)) ? Number(x) : Number(x).toFixed(2).replace(/0$/, '')}`;
  await page.waitForFunction((t) => document.getElementById('total').textContent === t, yuan(quote.total));
  assert.equal(await page.textContent('#nights-total'), yuan(quote.nights_total));
  assert.equal(await page.textContent('#cleaning-fee'), yuan(quote.cleaning_fee));
  if (Number(quote.discount) > 0) assert.equal(await page.textContent('#discount'), `−${yuan(quote.discount)}`);
  assert.equal(await page.locator('#quote-nights li').count(), quote.nights.length);
  if (shot) {
    await page.click('#quote-details summary');
    await screenshot(page, shot);
  }
  await Promise.all([page.waitForURL((u) => u.pathname === '/orders.html'), page.click('#booking-form [type="submit"]')]);
  const orders = (await api(v.context, 'GET', '/api/order/my?role=custom')).data.orders;
  assert.equal(orders[0].amount, quote.total);
}

async function searchWithPrices(s, v, sd, ed, shot) {
  const page = v.page;
  await page.goto(`/search.html?aid=${s.area}&sd=${sd}&ed=${ed}&sk=price-inc`);
  await page.waitForSelector(`.card-wrap[data-house-id="${s.house}"] .stay-total`);
  const list = (await api(v.context, 'GET', `/api/house/list?aid=${s.area}&sd=${sd}&ed=${ed}&sk=price-inc`)).data.houses;
  const mine = list.find((h) => h.house_id === s.house);
  assert.ok(mine && mine.stay_total, JSON.stringify(list));
  assert.match(await page.textContent(`.card-wrap[data-house-id="${s.house}"] .stay-total`), new RegExp(`¥${Number(mine.stay_total)}`));
  // a price range that leaves the house out (its average is over 100 a night), then one that keeps it
  await page.fill('#filter-form [name="max_price"]', '100');
  await page.click('#filter-form [type="submit"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('max_price') === '100');
  await page.waitForFunction((id) => !document.querySelector(`.card-wrap[data-house-id="${id}"]`) &&
    !document.querySelector('.skeleton'), s.house);
  await page.fill('#filter-form [name="max_price"]', '');
  await page.fill('#filter-form [name="min_price"]', '100');
  await page.click('#filter-form [type="submit"]');
  await page.waitForSelector(`.card-wrap[data-house-id="${s.house}"] .stay-total`);
  // a range the wrong way round is refused on the page
  await page.fill('#filter-form [name="max_price"]', '50');
  await page.click('#filter-form [type="submit"]');
  assert.match(await fieldError(page, '#filter-form', 'max_price'), /最高价格/);
  if (shot) await screenshot(page, shot);
}

export const steps = [
  {
    name: 'setup: a verified landlord with a house, and a guest',
    async run(s) {
      s.area = 14;
      s.landlord = await person(s, { desktop: true });
      let r = await api(s.landlord.context, 'POST', '/api/profile/auth', { real_name: '钱七', id_card: randomIdCard() });
      assert.equal(r.errno, 0, JSON.stringify(r));
      r = await api(s.landlord.context, 'POST', '/api/house/newhouse', {
        title: '平谷桃花坞小院', price: '200', district: s.area, address: '平谷区桃花坞1号', room_count: 2, acreage: 80,
        house_capacity: 4, facility: [1, 2],
      });
      assert.equal(r.errno, 0, JSON.stringify(r));
      s.house = r.house_id;
      s.guest = await person(s);
      s.monday = mondayFrom(20);
    },
  },
  {
    name: 'house editor at 360 px: weekend price, cleaning fee and discounts with newhouse\'s messages',
    async run(s) {
      await s.landlord.page.setViewportSize(NARROW);
      await editPricing(s, s.landlord, 'pricing-editor');
    },
  },
  {
    name: 'date prices on the month calendar on a desktop: pick a range, set a price, then clear part of it',
    async run(s) {
      await s.landlord.page.setViewportSize({ width: 1280, height: 800 });
      const from = dateIn(s.monday + 1);
      const last = dateIn(s.monday + 2);
      await datePrice(s, s.landlord, from, last, '450', 'pricing-calendar');
      const cal = (await api(s.landlord.context, 'GET', `/api/house/calendar?house_id=${s.house}&from=${from}&days=2`)).data;
      assert.deepEqual(Object.values(cal.prices), ['450.00', '450.00']);
      // clear the second night with the clear button
      const page = s.landlord.page;
      await page.click(`#price-calendar [data-date="${last}"]`);
      await page.click(`#price-calendar [data-date="${last}"]`);
      await page.click('#clear-prices');
      await page.waitForFunction((d) => document.querySelector(`#price-calendar [data-date="${d}"] .day-price`).textContent === '¥200', last);
    },
  },
  {
    name: 'date prices at 360 px',
    async run(s) {
      await s.landlord.page.setViewportSize(NARROW);
      await datePrice(s, s.landlord, dateIn(s.monday + 40), dateIn(s.monday + 41), '520');
    },
  },
  {
    name: 'booking at 360 px: the night-by-night quote, the fee, the discount and the total; the order carries it',
    async run(s) {
      await bookWithQuote(s, s.guest, dateIn(s.monday), dateIn(s.monday + 8), 'pricing-booking');
    },
  },
  {
    name: 'booking on a desktop',
    async run(s) {
      s.guest2 = await person(s, { desktop: true });
      await bookWithQuote(s, s.guest2, dateIn(s.monday + 20), dateIn(s.monday + 23));
    },
  },
  {
    name: 'search at 360 px: stay totals with dates and a price range filter',
    async run(s) {
      await searchWithPrices(s, s.guest, dateIn(s.monday + 30), dateIn(s.monday + 33), 'pricing-search');
    },
  },
  {
    name: 'search on a desktop',
    async run(s) {
      await searchWithPrices(s, s.guest2, dateIn(s.monday + 30), dateIn(s.monday + 33));
    },
  },
];
