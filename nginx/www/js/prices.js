// 爱家租房 — a landlord's date prices (ES module; API.md "Pricing"): a month
// calendar (two on a wide screen) showing each night's price as
// /api/house/calendar gives it (date price, weekend price or base price);
// pick the first and the last night, then set a price for them
// (/api/house/prices) or clear it (/api/house/prices/clear).

import { describe, getJSON, paramField, postJSON } from './api.js';
import { addMonths, daysInMonth, monthStart } from './calendar.js';
import {
  addDays, clearInvalid, clearOnInput, el, fail, field, fill, formMsg, handleExpired, setBusy, setMsg, today, yuan,
} from './ui.js';
import { checkMoney } from './checks.js';

const HORIZON_DAYS = 731;     // date prices are for the next two years
const MAX_NIGHTS = 366;       // at most this many nights at once
const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

function pad(n) {
  return String(n).padStart(2, '0');
}

/** Mounts the date price editor of house `houseId` in `section` (shown). */
export function mountDatePrices(section, houseId) {
  section.hidden = false;
  const calBox = section.querySelector('#price-calendar');
  const form = section.querySelector('#price-form');
  const wide = matchMedia('(min-width: 720px)');
  const last = addDays(today(), HORIZON_DAYS - 1);
  let view = monthStart(today());
  let prices = {};   // 'YYYY-MM-DD' -> '588.00'
  let drawn = 0;

  const from = () => field(form, 'price_from').value;
  const until = () => field(form, 'price_last').value;
  const monthsShown = () => (wide.matches ? 2 : 1);

  async function load() {
    const mine = ++drawn;
    const first = view;
    let days = 0;
    for (let i = 0; i < monthsShown(); i += 1) days += daysInMonth(addMonths(first, i));
    const r = await getJSON('/api/house/calendar', { house_id: houseId, from: first, days });
    if (mine !== drawn) return;
    if (handleExpired(r)) return;
    prices = r.ok && r.body.data ? r.body.data.prices || {} : {};
    draw(r.ok);
  }

  function pick(date) {
    if (from() && !until() && date >= from()) field(form, 'price_last').value = date;
    else {
      field(form, 'price_from').value = date;
      field(form, 'price_last').value = '';
    }
    clearInvalid(form);
    draw(true);
  }

  function month(first) {
    const [y, m] = first.split('-').map(Number);
    const lead = new Date(y, m - 1, 1).getDay();
    const cells = [];
    for (let i = 0; i < lead; i += 1) cells.push(el('span', { class: 'cal-blank', 'aria-hidden': 'true' }));
    for (let day = 1; day <= daysInMonth(first); day += 1) {
      const date = `${first.slice(0, 8)}${pad(day)}`;
      const a = from();
      const b = until() || a;
      const chosen = a && date >= a && date <= b;
      const price = prices[date];
      cells.push(el('button', {
        type: 'button',
        class: ['cal-day', 'price-day', chosen ? 'selected' : '', date < today() ? 'past' : ''].filter(Boolean).join(' '),
        dataset: { date },
        disabled: date < today() || date > last,
        'aria-pressed': chosen ? 'true' : null,
        on: { click: () => pick(date) },
      }, // The name a screen reader says is the visible text with the month and 日 around the day
        // number (no aria-label: it would have to repeat what is shown, WCAG 2.5.3).
      el('span', { class: 'sr-only', text: `${m}月` }),
      el('span', { class: 'day-num', text: String(day) }),
      el('span', { class: 'sr-only', text: price ? '日，' : '日' }),
      price ? el('small', { class: 'day-price', text: yuan(price) }) : null));
    }
    return el('div', { class: 'cal-month', dataset: { month: first.slice(0, 7) } },
      el('h3', { class: 'cal-title', text: `${y}年${m}月` }),
      el('div', { class: 'cal-week', 'aria-hidden': 'true' }, WEEKDAYS.map((w) => el('span', { text: w }))),
      el('div', { class: 'cal-days' }, cells));
  }

  function draw(ok) {
    const step = (n) => () => { view = addMonths(view, n); load(); };
    const months = [];
    for (let i = 0; i < monthsShown(); i += 1) months.push(month(addMonths(view, i)));
    fill(calBox,
      el('div', { class: 'cal-nav' },
        el('button', { type: 'button', class: 'cal-prev', 'aria-label': '上个月', text: '‹', disabled: view <= monthStart(today()), on: { click: step(-1) } }),
        el('span', { class: 'cal-hint', 'aria-live': 'polite', text: from() && !until() ? '请选择最后一晚' : '请选择第一晚' }),
        el('button', { type: 'button', class: 'cal-next', 'aria-label': '下个月', text: '›', disabled: addMonths(view, monthsShown() - 1) >= monthStart(last), on: { click: step(1) } })),
      el('div', { class: 'cal-months' }, months),
      ok ? null : el('p', { class: 'form-msg', dataset: { kind: 'error' }, text: '价格日历加载失败，请刷新页面' }));
  }

  /** The chosen nights as house/prices takes them ({from, to}: to is the day after the last night), or a problem. */
  function range() {
    const a = from();
    const b = until() || a;
    if (!a) return { bad: { name: 'price_from', text: '请选择第一晚' } };
    if (b < a) return { bad: { name: 'price_last', text: '最后一晚不能早于第一晚' } };
    if (a < today()) return { bad: { name: 'price_from', text: '不能早于今天' } };
    if (b > last) return { bad: { name: 'price_last', text: '只能设置未来两年内的价格' } };
    const to = addDays(b, 1);
    let n = 0;
    for (let d = a; d < to && n <= MAX_NIGHTS; d = addDays(d, 1)) n += 1;
    if (n > MAX_NIGHTS) return { bad: { name: 'price_last', text: `一次最多设置 ${MAX_NIGHTS} 晚` } };
    return { from: a, to };
  }

  async function send(clear) {
    clearInvalid(form);
    const r0 = range();
    if (r0.bad) return fail(form, r0.bad.text, r0.bad.name);
    const priceBox = field(form, 'date_price');
    priceBox.value = priceBox.value.trim();
    if (!clear) {
      const bad = checkMoney('date_price', priceBox.value, 0.01, 1000000, '每晚价格');
      if (bad) return fail(form, bad.text, bad.name);
    }
    const button = section.querySelector(clear ? '#clear-prices' : '#set-prices');
    setBusy(button, true, clear ? '清除中…' : '保存中…');
    const r = clear
      ? await postJSON('/api/house/prices/clear', { house_id: houseId, from: r0.from, to: r0.to })
      : await postJSON('/api/house/prices', { house_id: houseId, from: r0.from, to: r0.to, price: priceBox.value });
    setBusy(button, false);
    if (handleExpired(r)) return;
    if (!r.ok) {
      const name = { from: 'price_from', to: 'price_last', price: 'date_price' }[paramField(r)];
      return fail(form, describe(r, 'houseManage'), name);
    }
    setMsg(formMsg(form), clear ? '已清除所选日期的价格' : '所选日期的价格已保存', 'ok');
    await load();
  }

  clearOnInput(form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send(false);
  });
  section.querySelector('#clear-prices').addEventListener('click', () => send(true));
  for (const name of ['price_from', 'price_last']) field(form, name).addEventListener('change', () => draw(true));
  wide.addEventListener('change', load);
  load();
}
