// 爱家租房 — search results (ES module): keyword, area, dates, price range
// (yuan a night: with dates the stay's average, API.md "Pricing") and sort
// filters kept in the URL (?q=&aid=&sd=&ed=&min_price=&max_price=&sk=&p=, the names /api/house/list
// takes: a search can be shared, and back/forward walk the searches), 10
// houses a page.

import { areas, describe, getJSON, paramField } from './api.js';
import { houseCard } from './cards.js';
import {
  addDays, byId, el, emptyState, errorState, fail, fill, formMsg, isIsoDate, mountChrome, nightsBetween,
  setMsg, shortDate, skeleton, today,
} from './ui.js';

mountChrome('search');

const form = byId('filter-form');
const results = byId('results');
const pager = byId('pager');
const count = byId('result-count');
const SORTS = ['new', 'booking', 'price-inc', 'price-des'];
const MONEY = /^\d{1,7}(\.\d{1,2})?$/;

function stateFromUrl() {
  const q = new URLSearchParams(location.search);
  const p = parseInt(q.get('p') || '1', 10);
  return {
    q: (q.get('q') || '').trim(),
    aid: /^\d+$/.test(q.get('aid') || '') ? q.get('aid') : '',
    sd: isIsoDate(q.get('sd')) ? q.get('sd') : '',
    ed: isIsoDate(q.get('ed')) ? q.get('ed') : '',
    min_price: MONEY.test(q.get('min_price') || '') ? q.get('min_price') : '',
    max_price: MONEY.test(q.get('max_price') || '') ? q.get('max_price') : '',
    sk: SORTS.includes(q.get('sk')) ? q.get('sk') : 'new',
    p: Number.isInteger(p) && p > 0 ? p : 1,
  };
}

function urlOf(state) {
  const q = new URLSearchParams();
  for (const k of ['q', 'aid', 'sd', 'ed', 'min_price', 'max_price']) if (state[k]) q.set(k, state[k]);
  if (state.sk && state.sk !== 'new') q.set('sk', state.sk);
  if (state.p > 1) q.set('p', String(state.p));
  const s = q.toString();
  return `/search.html${s ? `?${s}` : ''}`;
}

function showState(state) {
  form.elements.q.value = state.q;
  form.elements.aid.value = state.aid;
  form.elements.sd.value = state.sd;
  form.elements.ed.value = state.ed;
  form.elements.min_price.value = state.min_price || '';
  form.elements.max_price.value = state.max_price || '';
  form.elements.sk.value = state.sk;
}

form.elements.sd.min = today();
form.elements.ed.min = addDays(today(), 1);
form.elements.sd.addEventListener('change', () => {
  const { sd, ed } = form.elements;
  if (!sd.value) return;
  ed.min = addDays(sd.value, 1);
  if (!ed.value || ed.value <= sd.value) ed.value = addDays(sd.value, 1);
});
form.elements.sk.addEventListener('change', () => form.requestSubmit());
form.elements.aid.addEventListener('change', () => form.requestSubmit());

form.addEventListener('submit', (event) => {
  event.preventDefault();
  setMsg(formMsg(form), '');
  const { q, aid, sd, ed, sk } = form.elements;
  const min = form.elements.min_price;
  const max = form.elements.max_price;
  q.value = q.value.trim();
  min.value = min.value.trim();
  max.value = max.value.trim();
  for (const box of [min, max]) {
    if (box.value && (!MONEY.test(box.value) || Number(box.value) > 1000000)) {
      return fail(form, '价格请填写 0–1000000 之间的金额，最多两位小数', box.name);
    }
  }
  if (min.value && max.value && Number(min.value) > Number(max.value)) {
    return fail(form, '最高价格不能低于最低价格', 'max_price');
  }
  if ([...q.value].length > 32) return fail(form, '关键词最多 32 个字', 'q');
  if (!!sd.value !== !!ed.value) return fail(form, '请同时选择入住和离开日期', sd.value ? 'ed' : 'sd');
  if (sd.value && ed.value <= sd.value) return fail(form, '离开日期须晚于入住日期', 'ed');
  const state = {
    q: q.value, aid: aid.value, sd: sd.value, ed: ed.value, min_price: min.value, max_price: max.value, sk: sk.value, p: 1,
  };
  history.pushState(null, '', urlOf(state));
  load(state);
});

byId('reset-filters').addEventListener('click', () => {
  const state = { q: '', aid: '', sd: '', ed: '', min_price: '', max_price: '', sk: 'new', p: 1 };
  showState(state);
  history.pushState(null, '', urlOf(state));
  load(state);
});

window.addEventListener('popstate', () => {
  const state = stateFromUrl();
  showState(state);
  load(state);
});

function pageLink(state, p, text, current) {
  if (current) return el('span', { 'aria-current': 'page', text });
  const a = el('a', { href: urlOf({ ...state, p }), text });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    history.pushState(null, '', a.getAttribute('href'));
    load({ ...state, p });
    window.scrollTo({ top: 0, behavior: 'smooth' });
  });
  return a;
}

function renderPager(state, total) {
  if (total <= 1) return fill(pager);
  const items = [];
  const cur = state.p;
  items.push(cur > 1 ? pageLink(state, cur - 1, '‹ 上一页') : el('span', { class: 'disabled', text: '‹ 上一页' }));
  const shown = new Set([1, total, cur - 1, cur, cur + 1].filter((p) => p >= 1 && p <= total));
  let last = 0;
  for (const p of [...shown].sort((a, b) => a - b)) {
    if (p - last > 1) items.push(el('span', { class: 'gap', text: '…' }));
    items.push(pageLink(state, p, String(p), p === cur));
    last = p;
  }
  items.push(cur < total ? pageLink(state, cur + 1, '下一页 ›') : el('span', { class: 'disabled', text: '下一页 ›' }));
  fill(pager, items);
}

let generation = 0;

async function load(state) {
  const mine = ++generation;
  fill(results, skeleton(3));
  fill(pager);
  count.textContent = '正在搜索…';
  const r = await getJSON('/api/house/list', state);
  if (mine !== generation) return;   // a newer search is on its way
  if (!r.ok) {
    count.textContent = '';
    const name = paramField(r);
    const text = name === 'q' ? '关键词无效：最多 32 个字，且不能含控制字符' : describe(r, 'search');
    if (name && form.elements[name]) fail(form, text, name);
    return fill(results, errorState(text, () => load(state)));
  }
  const data = r.body.data || {};
  const houses = data.houses || [];
  const total = Number(data.total_page) || 0;
  const nights = nightsBetween(state.sd, state.ed);
  const where = state.aid ? form.elements.aid.selectedOptions[0]?.textContent || '' : '全部区域';
  const when = nights ? ` · ${shortDate(state.sd)}–${shortDate(state.ed)}（${nights} 晚）可订` : '';
  const what = state.q ? `“${state.q}” · ` : '';
  count.textContent = houses.length
    ? `${what}${where}${when} · 第 ${state.p} / ${Math.max(total, 1)} 页`
    : '';
  if (!houses.length) {
    fill(results, emptyState('没有找到符合条件的房源', state.q ? '换个关键词、区域或日期试试' : '换个区域或日期试试',
      el('button', { type: 'button', class: 'btn btn-outline', text: '清除筛选',
        on: { click: () => byId('reset-filters').click() } })));
  } else {
    fill(results, houses.map((h) => houseCard(h, state)));
  }
  renderPager(state, total);
}

const initial = stateFromUrl();
areas().then((list) => {
  const select = form.elements.aid;
  for (const a of list || []) select.append(el('option', { value: a.aid, text: a.aname }));
  showState(initial);
  load(initial);
});
