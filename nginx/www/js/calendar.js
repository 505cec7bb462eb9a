// 爱家租房 — availability (ES module): the booked nights of a house from
// GET /api/house/calendar, the booking page's month calendar and the house
// page's "next 60 days" strip.  A night is one date: a stay from sd to ed
// occupies sd … ed−1, so a booked date may still be someone's check-out day.

import { getJSON } from './api.js';
import { addDays, el, today } from './ui.js';

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];
const pad = (n) => String(n).padStart(2, '0');

/** {ok, booked: Set of dates, min_days, max_days, result} for [from, from+days). */
export async function fetchCalendar(houseId, from, days) {
  const r = await getJSON('/api/house/calendar', { house_id: houseId, from, days });
  if (!r.ok || !r.body.data) return { ok: false, booked: new Set(), result: r };
  const d = r.body.data;
  return { ok: true, booked: new Set(d.booked || []), min_days: d.min_days, max_days: d.max_days, result: r };
}

/** The first booked night of the stay [sd, ed), or ''. */
export function firstBookedNight(sd, ed, booked) {
  for (let d = sd; d < ed; d = addDays(d, 1)) if (booked.has(d)) return d;
  return '';
}

export function monthStart(iso) {
  return `${iso.slice(0, 7)}-01`;
}

export function addMonths(first, n) {
  const [y, m] = first.split('-').map(Number);
  const d = new Date(y, m - 1 + n, 1);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-01`;
}

export function daysInMonth(first) {
  const [y, m] = first.split('-').map(Number);
  return new Date(y, m, 0).getDate();
}

/**
 * One month as a grid of day buttons.  state(date) → {disabled, classes[], label}.
 */
export function monthGrid(first, state, onPick) {
  const [y, m] = first.split('-').map(Number);
  const lead = new Date(y, m - 1, 1).getDay();
  const cells = [];
  for (let i = 0; i < lead; i += 1) cells.push(el('span', { class: 'cal-blank', 'aria-hidden': 'true' }));
  for (let day = 1; day <= daysInMonth(first); day += 1) {
    const date = `${first.slice(0, 8)}${pad(day)}`;
    const s = state(date);
    cells.push(el('button', {
      type: 'button',
      class: ['cal-day', ...s.classes].join(' '),
      dataset: { date },
      disabled: s.disabled,
      'aria-label': `${m}月${day}日${s.label ? `，${s.label}` : ''}`,
      'aria-pressed': s.classes.includes('selected') ? 'true' : null,
      text: String(day),
      on: { click: () => onPick(date) },
    }));
  }
  return el('div', { class: 'cal-month', dataset: { month: first.slice(0, 7) } },
    el('h3', { class: 'cal-title', text: `${y}年${m}月` }),
    el('div', { class: 'cal-week', 'aria-hidden': 'true' }, WEEKDAYS.map((w) => el('span', { text: w }))),
    el('div', { class: 'cal-days' }, cells));
}

/** The house page's strip: `days` days from today, booked ones greyed. */
export async function availabilityStrip(houseId, days = 60) {
  const from = today();
  const cal = await fetchCalendar(houseId, from, days);
  if (!cal.ok) return el('p', { class: 'muted', text: '可订日期加载失败，请稍后刷新' });
  const cells = [];
  for (let i = 0; i < days; i += 1) {
    const date = addDays(from, i);
    const [, m, d] = date.split('-').map(Number);
    const booked = cal.booked.has(date);
    cells.push(el('li', {
      class: `strip-day${booked ? ' booked' : ''}${d === 1 || i === 0 ? ' month-start' : ''}`,
      dataset: { date },
      title: `${m}月${d}日 ${booked ? '已订' : '可订'}`,
    },
    el('span', { class: 'strip-month', text: d === 1 || i === 0 ? `${m}月` : '' }),
    el('span', { class: 'strip-date', text: String(d) })));
  }
  const free = days - cells.filter((c) => c.classList.contains('booked')).length;
  return el('div', { class: 'strip', id: 'availability' },
    el('p', { class: 'strip-summary', text: `未来 ${days} 天中有 ${free} 晚可订` }),
    el('ol', { class: 'strip-days', 'aria-label': `未来 ${days} 天的可订情况` }, cells),
    legend({ selected: false }));
}

export function legend({ selected = true } = {}) {
  return el('p', { class: 'cal-legend' },
    el('span', { class: 'key free', text: '可订' }),
    el('span', { class: 'key booked', text: '已订' }),
    selected ? el('span', { class: 'key selected', text: '已选' }) : null);
}
