// 爱家租房 — 房东中心 (ES module): the year's totals, a bar chart of the
// twelve months' income (SVG drawn here, no library), and each house's
// orders, nights, income and occupancy.  Login required.

import { describe, getJSON } from './api.js';
import {
  byId, el, emptyState, errorState, fill, handleExpired, mountChrome, params, requireLogin, skeleton, yuan,
} from './ui.js';

mountChrome('my');

const SVG = 'http://www.w3.org/2000/svg';
const box = byId('summary');
const select = byId('year');
const thisYear = new Date().getFullYear();

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function chosenYear() {
  const y = Number(params().get('year'));
  return Number.isInteger(y) && y >= 1900 && y <= 9998 ? y : thisYear;
}

function fillYears(year) {
  const years = new Set([year]);
  for (let y = thisYear + 1; y >= thisYear - 6; y -= 1) years.add(y);
  fill(select, [...years].sort((a, b) => b - a).map((y) =>
    el('option', { value: String(y), text: `${y} 年`, selected: y === year })));
}

function go(year) {
  const q = new URLSearchParams({ year: String(year) });
  history.replaceState(null, '', `?${q}`);
  fillYears(year);
  load(year);
}

/** A "nice" upper bound for the axis: 1, 2 or 5 times a power of ten. */
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function shortYuan(v) {
  if (v >= 10000) return `${Number((v / 10000).toFixed(1))}万`;
  return String(Math.round(v));
}

/** Bar chart of the months' income (yuan) with the nights under each bar's tooltip. */
function chart(months) {
  const W = 360;
  const H = 210;
  const left = 40;
  const right = 8;
  const top = 14;
  const bottom = 28;
  const values = months.map((m) => Number(m.amount));
  const max = niceMax(Math.max(...values));
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const slot = plotW / 12;
  const barW = slot * 0.62;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'bar-chart', id: 'month-chart', role: 'img',
    'aria-label': `每月收入：${months.map((m, i) => `${i + 1}月 ${m.amount} 元`).join('，')}`,
  });
  for (let i = 0; i <= 4; i += 1) {
    const v = (max / 4) * i;
    const y = top + plotH - (plotH * i) / 4;
    root.append(svg('line', { x1: left, x2: W - right, y1: y, y2: y, class: i ? 'grid' : 'axis' }));
    root.append(svg('text', { x: left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' }, shortYuan(v)));
  }
  months.forEach((m, i) => {
    const v = values[i];
    const h = max > 0 ? (plotH * v) / max : 0;
    const x = left + slot * i + (slot - barW) / 2;
    const bar = svg('rect', {
      x: x.toFixed(1), y: (top + plotH - h).toFixed(1), width: barW.toFixed(1), height: Math.max(h, v > 0 ? 1 : 0).toFixed(1),
      rx: 3, class: 'bar', 'data-month': m.month,
    }, svg('title', {}, `${i + 1}月：收入 ${m.amount} 元，${m.nights} 晚，${m.orders} 单`));
    root.append(bar);
    root.append(svg('text', { x: (x + barW / 2).toFixed(1), y: H - bottom + 16, class: 'tick', 'text-anchor': 'middle' },
      `${i + 1}月`));
  });
  return root;
}

function stat(label, value, id) {
  return el('div', { class: 'stat' }, el('span', { class: 'stat-label', text: label }),
    el('strong', { class: 'stat-value', id, text: value }));
}

function percent(x) {
  return `${(Number(x) * 100).toFixed(1)}%`;
}

/** A thin bar filled to the occupancy (CSSOM width: the CSP forbids style attributes). */
function occupancyBar(x) {
  const inner = el('span');
  inner.style.width = `${Math.min(100, Number(x) * 100).toFixed(1)}%`;
  return el('span', { class: 'occ-bar', 'aria-hidden': 'true' }, inner);
}

function houseTable(houses) {
  return el('div', { class: 'table-wrap' }, el('table', { class: 'data-table', id: 'house-table' },
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col', text: '房源' }), el('th', { scope: 'col', class: 'num', text: '订单' }),
      el('th', { scope: 'col', class: 'num', text: '晚数' }), el('th', { scope: 'col', class: 'num', text: '收入' }),
      el('th', { scope: 'col', class: 'num', text: '入住率' }))),
    el('tbody', {}, houses.map((h) => el('tr', { dataset: { houseId: String(h.house_id) } },
      el('th', { scope: 'row' }, el('a', { href: `/house.html?id=${h.house_id}`, text: h.title })),
      el('td', { class: 'num', text: String(h.orders) }),
      el('td', { class: 'num', text: String(h.nights) }),
      el('td', { class: 'num', text: yuan(h.amount) }),
      el('td', { class: 'num occupancy' },
        el('span', { class: 'occ-text', text: percent(h.occupancy) }),
        occupancyBar(h.occupancy)))))));
}

async function load(year) {
  fill(box, skeleton(3));
  const r = await getJSON('/api/landlord/summary', { year });
  if (handleExpired(r)) return;
  if (!r.ok) return fill(box, errorState(describe(r), () => load(year)));
  const d = r.body.data;
  if (!d.houses.length) {
    return fill(box, emptyState('您还没有发布房源', '发布房源、接受订单后，这里会按月显示收入与入住率。',
      el('a', { class: 'btn btn-primary', href: '/newhouse.html', text: '发布房源' })));
  }
  fill(box,
    el('section', { class: 'stats', 'aria-label': `${d.year} 年合计` },
      stat('订单', String(d.total.orders), 'total-orders'),
      stat('入住晚数', String(d.total.nights), 'total-nights'),
      stat('收入', yuan(d.total.amount), 'total-amount')),
    el('section', { class: 'card' },
      el('h2', { class: 'card-title', text: `${d.year} 年每月收入（元）` }), chart(d.months)),
    el('section', { class: 'card' },
      el('h2', { class: 'card-title', text: '各房源' }),
      el('p', { class: 'muted small', text: `入住率 = 全年入住晚数 ÷ ${d.days} 天` }),
      houseTable(d.houses)));
}

async function start() {
  await requireLogin();
  const year = chosenYear();
  fillYears(year);
  select.addEventListener('change', () => go(Number(select.value)));
  byId('year-prev').addEventListener('click', () => go(Number(select.value) - 1));
  byId('year-next').addEventListener('click', () => go(Number(select.value) + 1));
  load(year);
}

start();
