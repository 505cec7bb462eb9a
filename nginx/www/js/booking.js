// 爱家租房 — booking (ES module): pick the dates on a month calendar (two
// months on a wide screen) where booked nights cannot be picked, or type
// them; see the stay's quote (API.md "Pricing": night by night, the cleaning
// fee, the long-stay discount and the total, from /api/house/quote — the
// amount booking charges) as they change; a stay over a booked night is
// refused before it is sent; place the order.  Login required.

import { describe, getJSON, paramField, postJSON } from './api.js';
import {
  addMonths, daysInMonth, fetchCalendar, firstBookedNight, legend, monthGrid, monthStart,
} from './calendar.js';
import {
  addDays, byId, clearInvalid, clearOnInput, el, errorState, fail, field, fill, flash, handleExpired,
  isIsoDate, mountChrome, nightsBetween, params, picture, requireLogin, setBusy, shortDate, today, yuan,
} from './ui.js';

mountChrome('search');

const form = byId('booking-form');
const houseBox = byId('booking-house');
const houseId = params().get('house_id') || params().get('id') || '';
let house = null;

let quoted = 0;  // the newest quote asked for: older answers are dropped

function showQuote(q) {
  const set = (id, text) => { byId(id).textContent = text; };
  set('nights-total', q ? yuan(q.nights_total) : '—');
  set('cleaning-fee', q ? yuan(q.cleaning_fee) : '—');
  const discount = q && Number(q.discount) > 0;
  byId('discount-row').hidden = !discount;
  if (discount) {
    set('discount-label', `长住优惠（${q.discount_percent}%）`);
    set('discount', `−${yuan(q.discount)}`);
  }
  set('total', q ? yuan(q.total) : '—');
  byId('quote-details').hidden = !q;
  fill(byId('quote-nights'), q ? q.nights.map((n) => el('li', {},
    el('span', { class: 'night-date', text: shortDate(n.date) }),
    el('span', { class: 'night-price', text: yuan(n.price) }))) : []);
}

/** Recomputes nights and asks for the stay's quote; returns the number of nights (0 when invalid). */
function update() {
  const sd = field(form, 'start_date').value;
  const ed = field(form, 'end_date').value;
  const nights = nightsBetween(sd, ed);
  byId('nights').textContent = nights ? `${nights} 晚` : '—';
  const mine = ++quoted;
  if (!nights || !house) {
    showQuote(null);
    return nights;
  }
  getJSON('/api/house/quote', { house_id: house.hid, sd, ed }).then((r) => {
    if (mine !== quoted) return;
    showQuote(r.ok ? r.body.data : null);
  });
  return nights;
}

// ---------------------------------------------------------------------------
// The month calendar
// ---------------------------------------------------------------------------

const HORIZON_DAYS = 2 * 366;           // how far ahead the server lets a stay start
const wide = matchMedia('(min-width: 720px)');
const calBox = byId('booking-calendar');
const booked = new Set();                // booked nights of the months loaded so far
const loadedMonths = new Set();          // 'YYYY-MM-01'
let view = monthStart(today());          // the first month shown
let drawn = 0;

function monthsShown() {
  return wide.matches ? 2 : 1;
}

/** Loads the booked nights of `count` months from `first`; false when that failed. */
async function loadMonths(first, count) {
  const need = [];
  for (let i = 0; i < count; i += 1) {
    const m = addMonths(first, i);
    if (!loadedMonths.has(m)) need.push(m);
  }
  if (!need.length) return true;
  let days = 0;
  for (let m = need[0]; m <= need[need.length - 1]; m = addMonths(m, 1)) days += daysInMonth(m);
  const cal = await fetchCalendar(house.hid, need[0], Math.min(days, 366));
  if (!cal.ok) return false;
  for (const night of cal.booked) booked.add(night);
  for (const m of need) loadedMonths.add(m);
  return true;
}

/** Loads every month the stay [sd, ed) touches. */
function loadStay(sd, ed) {
  const first = monthStart(sd);
  let count = 1;
  while (addMonths(first, count) <= addDays(ed, -1)) count += 1;
  return loadMonths(first, Math.min(count, 12));
}

function dayState(date) {
  const sd = field(form, 'start_date').value;
  const ed = field(form, 'end_date').value;
  const isBooked = booked.has(date);
  const classes = [];
  if (isBooked) classes.push('booked');
  if (date < today()) classes.push('past');
  if (date === sd) classes.push('selected', 'start');
  if (ed && date === ed && sd) classes.push('selected', 'end');
  if (sd && ed && date > sd && date < ed) classes.push('in-range');
  let disabled = date < today() || date > addDays(today(), HORIZON_DAYS);
  if (!disabled) {
    if (sd && !ed && date > sd) {
      // Choosing the check-out day: every night before it must be free; the
      // day itself may be booked (someone else checks in that day).
      const nights = nightsBetween(sd, date);
      disabled = Boolean(firstBookedNight(sd, date, booked)) || nights < house.min_days ||
        (house.max_days > 0 && nights > house.max_days);
      if (!disabled && isBooked) classes.push('checkout');
    } else {
      disabled = isBooked;
    }
  }
  return { disabled, classes, label: isBooked ? '已订' : disabled ? '不可选' : '可订' };
}

function pick(date) {
  const sd = field(form, 'start_date');
  const ed = field(form, 'end_date');
  if (sd.value && !ed.value && date > sd.value) {
    ed.value = date;
  } else {
    sd.value = date;
    ed.value = '';
  }
  clearInvalid(form);
  update();
  drawCalendar();
}

async function drawCalendar() {
  const mine = ++drawn;
  const count = monthsShown();
  const ok = await loadMonths(view, count);
  if (mine !== drawn) return;
  const sd = field(form, 'start_date').value;
  const ed = field(form, 'end_date').value;
  const first = monthStart(today());
  const last = monthStart(addDays(today(), HORIZON_DAYS));
  const step = (n) => () => { view = addMonths(view, n); drawCalendar(); };
  const months = [];
  for (let i = 0; i < count; i += 1) months.push(monthGrid(addMonths(view, i), dayState, pick));
  fill(calBox,
    el('div', { class: 'cal-nav' },
      el('button', { type: 'button', class: 'cal-prev', 'aria-label': '上个月', text: '‹', disabled: view <= first, on: { click: step(-1) } }),
      el('span', { class: 'cal-hint', 'aria-live': 'polite', text: sd && !ed ? '请选择离开日期' : '请选择入住日期' }),
      el('button', { type: 'button', class: 'cal-next', 'aria-label': '下个月', text: '›', disabled: addMonths(view, count - 1) >= last, on: { click: step(1) } })),
    el('div', { class: 'cal-months' }, months),
    legend(),
    ok ? null : el('p', { class: 'form-msg', dataset: { kind: 'error' }, text: '可订日期加载失败，仍可直接填写日期' }));
  markStay();
}

/** Typed dates: show their month and mark a stay over a booked night at once. */
function markStay() {
  const sd = field(form, 'start_date').value;
  const ed = field(form, 'end_date').value;
  const night = isIsoDate(sd) && isIsoDate(ed) && sd < ed ? firstBookedNight(sd, ed, booked) : '';
  byId('stay-clash').textContent = night ? `${shortDate(night)} 已被预订，请换个日期` : '';
}

function followInputs() {
  const sd = field(form, 'start_date').value;
  if (isIsoDate(sd)) {
    const m = monthStart(sd);
    if (m < view || m > addMonths(view, monthsShown() - 1)) view = m < monthStart(today()) ? monthStart(today()) : m;
  }
  drawCalendar();
  const ed = field(form, 'end_date').value;
  if (isIsoDate(sd) && isIsoDate(ed) && sd < ed) loadStay(sd, ed).then(markStay);
}

function stayProblem(sd, ed) {
  if (!sd) return { name: 'start_date', text: '请选择入住日期' };
  if (sd < today()) return { name: 'start_date', text: '入住日期不能早于今天' };
  if (!ed) return { name: 'end_date', text: '请选择离开日期' };
  const nights = nightsBetween(sd, ed);
  if (!nights) return { name: 'end_date', text: '离开日期须晚于入住日期' };
  if (house && nights < house.min_days) return { name: 'end_date', text: `该房源至少入住 ${house.min_days} 晚` };
  if (house && house.max_days > 0 && nights > house.max_days) {
    return { name: 'end_date', text: `该房源最多入住 ${house.max_days} 晚` };
  }
  return null;
}

async function init() {
  await requireLogin();
  if (!/^\d+$/.test(houseId)) {
    form.hidden = true;
    return fill(houseBox, errorState('房源编号无效，请从房源详情页进入预订'));
  }
  const r = await getJSON('/api/house/info', { house_id: houseId });
  if (!r.ok) {
    form.querySelector('[type="submit"]').disabled = true;
    return fill(houseBox, errorState(describe(r, 'houseInfo'), init));
  }
  house = r.body.data.house;
  fill(houseBox, el('a', { class: 'booking-house', href: `/house.html?id=${encodeURIComponent(house.hid)}` },
    picture(house.images && house.images[0], house.title),
    el('div', {},
      el('h2', { text: house.title }),
      el('p', { class: 'meta', text: house.address }))));
  byId('unit-price').textContent = `${yuan(house.price)} /晚`;
  byId('stay-rule').textContent = house.max_days > 0
    ? `该房源需入住 ${house.min_days}–${house.max_days} 晚`
    : `该房源 ${house.min_days} 晚起订`;
  if (r.body.data.user_id === house.user_id) {
    fail(form, '不能预订自己发布的房源');
    form.querySelector('[type="submit"]').disabled = true;
  } else if (house.status === 'offline') {
    // An old link to a house its landlord took off the site: the calendar
    // may show free nights, but booking answers 4004 (API.md "house/status").
    fail(form, '房源已下线，暂不可预订');
    form.querySelector('[type="submit"]').disabled = true;
  }

  const sd = field(form, 'start_date');
  const ed = field(form, 'end_date');
  sd.min = today();
  ed.min = addDays(today(), 1);
  const q = params();
  if (isIsoDate(q.get('sd')) && q.get('sd') >= today()) sd.value = q.get('sd');
  if (isIsoDate(q.get('ed')) && q.get('ed') > sd.value) ed.value = q.get('ed');
  sd.addEventListener('change', () => {
    if (!sd.value) return;
    ed.min = addDays(sd.value, 1);
    if (!ed.value || ed.value <= sd.value) ed.value = addDays(sd.value, Math.max(1, house.min_days));
  });
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  sd.addEventListener('change', followInputs);
  ed.addEventListener('change', followInputs);
  wide.addEventListener('change', drawCalendar);
  if (isIsoDate(sd.value)) view = monthStart(sd.value);
  update();
  drawCalendar();
}

clearOnInput(form);
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = form.querySelector('[type="submit"]');
  if (submit.disabled || !house) return;
  clearInvalid(form);
  const start_date = field(form, 'start_date').value;
  const end_date = field(form, 'end_date').value;
  const bad = stayProblem(start_date, end_date);
  if (bad) return fail(form, bad.text, bad.name);
  // Refused here, before sending, when the calendar already knows a night is taken.
  if (await loadStay(start_date, end_date)) {
    const night = firstBookedNight(start_date, end_date, booked);
    if (night) return fail(form, `所选日期已被预订（${shortDate(night)} 已有人入住），请换个日期`, 'start_date');
  }

  setBusy(submit, true, '提交中…');
  const r = await postJSON('/api/order', { house_id: house.hid, start_date, end_date });
  if (r.ok) {
    flash('预订成功！请等待房东接单', 'ok');
    location.assign('/orders.html');
    return;
  }
  setBusy(submit, false);
  if (handleExpired(r)) return;
  const text = describe(r, 'book');
  if (r.errno === 4004) return fail(form, text, 'start_date');
  const name = paramField(r);
  return fail(form, text, name === 'start_date' || name === 'end_date' ? name : undefined);
});

init();
