// 爱家租房 — home page (ES module): top houses carousel, keyword, area and
// date search, areas, the newest houses.

import { areas, describe, getJSON } from './api.js';
import { houseCard } from './cards.js';
import {
  addDays, byId, el, emptyState, errorState, fail, fill, formMsg, mountChrome, picture, setMsg,
  skeleton, today,
} from './ui.js';

mountChrome('home');

// ---------------------------------------------------------------------------
// Search box
// ---------------------------------------------------------------------------

const form = byId('search-form');
const sd = byId('sd');
const ed = byId('ed');
sd.min = today();
ed.min = addDays(today(), 1);
sd.addEventListener('change', () => {
  if (!sd.value) return;
  ed.min = addDays(sd.value, 1);
  if (!ed.value || ed.value <= sd.value) ed.value = addDays(sd.value, 1);
});

form.addEventListener('submit', (event) => {
  setMsg(formMsg(form), '');
  if (!!sd.value !== !!ed.value) {
    event.preventDefault();
    return fail(form, '请同时选择入住和离开日期', sd.value ? 'ed' : 'sd');
  }
  if (sd.value && ed.value <= sd.value) {
    event.preventDefault();
    return fail(form, '离开日期须晚于入住日期', 'ed');
  }
  if (sd.value && sd.value < today()) {
    event.preventDefault();
    return fail(form, '入住日期不能早于今天', 'sd');
  }
  const q = byId('q');
  q.value = q.value.trim();
  if ([...q.value].length > 32) {
    event.preventDefault();
    return fail(form, '关键词最多 32 个字', 'q');
  }
  // Empty fields stay out of the URL.
  for (const input of form.querySelectorAll('select, input')) input.disabled = !input.value;
  setTimeout(() => { for (const input of form.querySelectorAll('select, input')) input.disabled = false; });
});

areas().then((list) => {
  const select = byId('aid');
  const chips = byId('area-chips');
  if (!list) {
    fill(chips, el('p', { class: 'muted small', text: '区域列表加载失败，请刷新页面' }));
    return;
  }
  for (const a of list) select.append(el('option', { value: a.aid, text: a.aname }));
  fill(chips, list.map((a) => el('a', { class: 'chip', href: `/search.html?aid=${a.aid}`, text: a.aname })));
});

// ---------------------------------------------------------------------------
// Top houses carousel
// ---------------------------------------------------------------------------

const AUTOPLAY_MS = 5000;

function carousel(houses) {
  const track = el('div', { class: 'carousel-track', tabindex: '0' });
  const dots = el('div', { class: 'dots', role: 'group', 'aria-label': '选择幻灯片' });
  houses.forEach((h, i) => {
    track.append(el('a', {
      class: 'slide', href: `/house.html?id=${encodeURIComponent(h.house_id)}`,
      'aria-roledescription': '幻灯片',
    },
      picture(h.img_url, h.title, '/img/house.svg', { loading: i === 0 ? 'eager' : 'lazy' }),
      el('span', { class: 'slide-badge', text: `TOP ${i + 1}` }),
      el('span', { class: 'slide-caption', text: h.title })));
    dots.append(el('button', {
      type: 'button', 'aria-label': `第 ${i + 1} 张`, on: { click: () => go(i, true) },
    }));
  });

  let current = 0;
  let timer = null;

  function go(i, user) {
    const slide = track.children[i];
    if (!slide) return;
    track.scrollTo({ left: slide.offsetLeft - track.offsetLeft, behavior: 'smooth' });
    mark(i);
    if (user) restart();
  }
  function mark(i) {
    current = i;
    [...dots.children].forEach((d, j) => d.setAttribute('aria-current', String(j === i)));
  }
  function restart() {
    clearInterval(timer);
    if (houses.length < 2 || matchMedia('(prefers-reduced-motion: reduce)').matches) return;
    timer = setInterval(() => {
      if (!document.hidden) go((current + 1) % houses.length, false);
    }, AUTOPLAY_MS);
  }
  let scrollTimer = null;
  track.addEventListener('scroll', () => {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(() => {
      const w = track.children[0] ? track.children[0].offsetWidth : 1;
      mark(Math.min(houses.length - 1, Math.round(track.scrollLeft / w)));
    }, 80);
  });
  track.addEventListener('pointerdown', () => clearInterval(timer));
  track.addEventListener('focusin', () => clearInterval(timer));
  mark(0);
  restart();
  return [track, houses.length > 1 ? dots : null];
}

async function loadTop() {
  const box = byId('top-houses');
  fill(box, skeleton(1));
  const r = await getJSON('/api/house/index');
  if (!r.ok) return fill(box, errorState(describe(r), loadTop));
  const houses = Array.isArray(r.body.data) ? r.body.data : [];
  if (!houses.length) {
    return fill(box, emptyState('还没有热门房源', '快去发布第一套房源吧',
      el('a', { class: 'btn btn-primary btn-sm', href: '/myhouse.html', text: '发布房源' })));
  }
  fill(box, carousel(houses));
}

// ---------------------------------------------------------------------------
// Newest houses
// ---------------------------------------------------------------------------

async function loadNew() {
  const box = byId('new-houses');
  fill(box, skeleton(3));
  const r = await getJSON('/api/house/list', { sk: 'new', p: 1 });
  if (!r.ok) return fill(box, errorState(describe(r, 'search'), loadNew));
  const houses = (r.body.data && r.body.data.houses) || [];
  if (!houses.length) return fill(box, emptyState('暂无房源', '稍后再来看看吧'));
  fill(box, houses.slice(0, 6).map((h) => houseCard(h)));
}

loadTop();
loadNew();
