// 爱家租房 — my favourites (ES module): the saved houses, most recently saved
// first, 10 a page; the page number is kept in the URL (?p=) so back and
// forward walk the pages.  A heart taken off here keeps the card until the
// next visit, so a slip can be undone at once.  Login required.

import { describe, getJSON } from './api.js';
import { houseCard } from './cards.js';
import {
  byId, el, emptyState, errorState, fill, handleExpired, mountChrome, requireLogin, skeleton,
} from './ui.js';

mountChrome('my');

const box = byId('favorites');
const pager = byId('pager');
const count = byId('favorites-count');

function pageFromUrl() {
  const p = parseInt(new URLSearchParams(location.search).get('p') || '1', 10);
  return Number.isInteger(p) && p > 0 ? p : 1;
}

function urlOf(p) {
  return p > 1 ? `/favorites.html?p=${p}` : '/favorites.html';
}

function pageLink(p, text, current) {
  if (current) return el('span', { 'aria-current': 'page', text });
  return el('a', {
    href: urlOf(p),
    text,
    on: {
      click: (e) => {
        e.preventDefault();
        history.pushState(null, '', urlOf(p));
        load(p);
        window.scrollTo({ top: 0, behavior: 'smooth' });
      },
    },
  });
}

function renderPager(cur, total) {
  if (total <= 1) return fill(pager);
  const items = [cur > 1 ? pageLink(cur - 1, '‹ 上一页') : el('span', { class: 'disabled', text: '‹ 上一页' })];
  for (let p = 1; p <= total; p += 1) {
    if (p === 1 || p === total || Math.abs(p - cur) <= 1) items.push(pageLink(p, String(p), p === cur));
    else if (Math.abs(p - cur) === 2) items.push(el('span', { class: 'gap', text: '…' }));
  }
  items.push(cur < total ? pageLink(cur + 1, '下一页 ›') : el('span', { class: 'disabled', text: '下一页 ›' }));
  return fill(pager, items);
}

let generation = 0;

async function load(p) {
  const mine = ++generation;
  fill(box, skeleton(3));
  fill(pager);
  const r = await getJSON('/api/user/favorites', { p });
  if (mine !== generation) return;
  if (!r.ok) {
    if (handleExpired(r)) return;
    count.textContent = '';
    return fill(box, errorState(describe(r), () => load(p)));
  }
  const data = r.body.data || {};
  const houses = data.houses || [];
  const total = Number(data.total_page) || 0;
  if (!houses.length && p > 1 && total > 0) {   // the last page emptied meanwhile
    history.replaceState(null, '', urlOf(total));
    return load(total);
  }
  count.textContent = houses.length ? `第 ${p} / ${Math.max(total, 1)} 页` : '';
  if (!houses.length) {
    fill(box, emptyState('还没有收藏的房源', '在房源卡片或详情页点 ♥ 即可收藏',
      el('a', { class: 'btn btn-primary btn-sm', href: '/search.html', text: '去找房' })));
  } else {
    fill(box, houses.map((h) => houseCard(h)));
  }
  renderPager(p, total);
}

window.addEventListener('popstate', () => load(pageFromUrl()));

requireLogin().then(() => load(pageFromUrl()));
