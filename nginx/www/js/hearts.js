// 爱家租房 — the favourite heart (ES module) on house cards and the house
// page.  The saved ids are asked once per page (GET /api/user/favorites/ids;
// a visitor who is not logged in simply sees empty hearts) and a click
// saves or forgets the house at once; not logged in → the login page,
// coming back here afterwards.

import { describe, getJSON, isLoggedOut, postJSON } from './api.js';
import { el, loginUrl } from './ui.js';

let idsPromise = null;

/** Set of saved house ids, or null when not logged in (or not known). */
export function favoriteIds() {
  if (!idsPromise) {
    idsPromise = getJSON('/api/user/favorites/ids').then((r) => (
      r.ok && r.body.data && Array.isArray(r.body.data.house_ids) ? new Set(r.body.data.house_ids) : null));
  }
  return idsPromise;
}

function heartIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M12 20.5s-7.5-4.6-7.5-10.1A4.4 4.4 0 0 1 12 7.6a4.4 4.4 0 0 1 7.5 2.8c0 5.5-7.5 10.1-7.5 10.1z');
  svg.append(path);
  return svg;
}

function setPressed(button, on) {
  button.setAttribute('aria-pressed', String(on));
  button.setAttribute('aria-label', on ? '取消收藏' : '收藏');
  button.title = on ? '取消收藏' : '收藏';
}

function toast(text) {
  const box = el('p', { class: 'toast', role: 'alert', text });
  document.body.append(box);
  setTimeout(() => box.remove(), 3000);
}

/**
 * A heart button for one house.  onChange(saved) runs after the server
 * agreed (the house page updates its count).
 */
export function heartButton(houseId, { onChange, label = false } = {}) {
  const id = Number(houseId);
  const button = el('button', { type: 'button', class: label ? 'heart heart-label' : 'heart', dataset: { houseId: String(id) } },
    heartIcon(), label ? el('span', { class: 'heart-text', text: '收藏' }) : null);
  setPressed(button, false);
  favoriteIds().then((ids) => { if (ids && ids.has(id)) setPressed(button, true); });
  button.addEventListener('click', async (event) => {
    event.preventDefault();
    event.stopPropagation();
    if (button.getAttribute('aria-busy') === 'true') return;
    const on = button.getAttribute('aria-pressed') !== 'true';
    setPressed(button, on);
    button.setAttribute('aria-busy', 'true');
    const r = await postJSON(on ? '/api/user/favorites' : '/api/user/favorites/remove', { house_id: id });
    button.removeAttribute('aria-busy');
    if (r.ok) {
      const ids = await favoriteIds();
      if (ids) { if (on) ids.add(id); else ids.delete(id); }
      if (onChange) onChange(on);
      return;
    }
    setPressed(button, !on);
    if (isLoggedOut(r)) {
      location.assign(loginUrl());
      return;
    }
    toast(describe(r, 'favorite'));
  });
  return button;
}
