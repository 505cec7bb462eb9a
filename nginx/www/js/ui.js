// 爱家租房 — page chrome and DOM helpers shared by every page (ES module).
//
// CSP-friendly and XSS-safe: no inline script, no inline handlers, no
// innerHTML; every piece of user or server text reaches the DOM through
// text nodes (el() below) or textContent.

import { getJSON, isLoggedOut } from './api.js';

// ---------------------------------------------------------------------------
// DOM
// ---------------------------------------------------------------------------

export const byId = (id) => document.getElementById(id);

/**
 * el('a', {class: 'x', href: '/', text: 'hi', on: {click: f}}, child, …)
 * Strings among the children become text nodes; null/false children are skipped.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'hidden' || key === 'disabled' || key === 'checked' || key === 'required' ||
             key === 'multiple' || key === 'selected') node[key] = Boolean(value);
    else if (key === 'value') node.value = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

/** Replaces node's children with the given ones. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** An <img> whose src falls back to a drawn placeholder when missing or broken. */
export function picture(url, alt, fallback = '/img/house.svg', props = {}) {
  const img = el('img', { alt: alt || '', loading: 'lazy', decoding: 'async', ...props });
  img.src = safeMedia(url) || fallback;
  img.addEventListener('error', () => {
    if (!img.src.endsWith(fallback)) img.src = fallback;
  }, { once: true });
  return img;
}

/** Only our own media paths become image sources. */
export function safeMedia(url) {
  return typeof url === 'string' && /^\/media\/[A-Za-z0-9._-]+$/.test(url) ? url : '';
}

// ---------------------------------------------------------------------------
// Messages next to forms and fields
// ---------------------------------------------------------------------------

/** Sets a message box's text; kind is error, ok or info. */
export function setMsg(box, text, kind = 'error') {
  if (!box) return;
  box.textContent = text || '';
  box.dataset.kind = kind;
  if (text) box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

export function formMsg(form) {
  return form.querySelector(':scope > .form-msg, .form-msg.form-level');
}

export function field(form, name) {
  return form.elements.namedItem(name);
}

/** The .field-msg under a field's input (created on demand). */
function fieldMsg(input) {
  const holder = input.closest('.field') || input.parentElement;
  let box = holder.querySelector('.field-msg');
  if (!box) {
    box = el('p', { class: 'field-msg', 'aria-live': 'polite' });
    holder.append(box);
  }
  return box;
}

export function markInvalid(input, text) {
  if (!input || !input.setAttribute) return;
  if (text === false) {
    input.removeAttribute('aria-invalid');
    const holder = input.closest('.field');
    const box = holder && holder.querySelector('.field-msg');
    if (box) box.textContent = '';
    return;
  }
  input.setAttribute('aria-invalid', 'true');
  if (text) {
    const box = fieldMsg(input);
    box.textContent = text;
    box.id = box.id || `msg-${input.name || Math.random().toString(36).slice(2)}`;
    input.setAttribute('aria-describedby', box.id);
  }
}

export function clearInvalid(form) {
  for (const input of form.querySelectorAll('[aria-invalid]')) markInvalid(input, false);
  for (const box of form.querySelectorAll('.field-msg')) box.textContent = '';
  setMsg(formMsg(form), '');
}

/**
 * Shows an error: under the named field when there is one (and focuses it),
 * and always in the form's message box so it is seen on a small screen.
 */
export function fail(form, text, fieldName) {
  const input = fieldName ? field(form, fieldName) : null;
  if (input && input.setAttribute) {
    markInvalid(input, text);
    input.focus();
    setMsg(formMsg(form), '');
  } else {
    setMsg(formMsg(form), text, 'error');
  }
}

/** Shows the chosen files' names on the label of every file input in root. */
export function showFileNames(root = document) {
  for (const input of root.querySelectorAll('input[type="file"]')) {
    const label = root.querySelector(`label[for="${input.id}"] .file-name`);
    if (!label) continue;
    const update = () => {
      const files = [...input.files];
      label.textContent = files.length === 0 ? label.dataset.empty
        : files.length === 1 ? files[0].name : `已选 ${files.length} 张图片`;
    };
    input.addEventListener('change', update);
    input.form && input.form.addEventListener('reset', () => setTimeout(update));
  }
}

/** Typing into a field clears its error. */
export function clearOnInput(form) {
  form.addEventListener('input', (e) => markInvalid(e.target, false));
  form.addEventListener('change', (e) => markInvalid(e.target, false));
}

export function setBusy(button, busy, busyText) {
  if (!button) return;
  button.disabled = busy;
  if (busy) {
    button.setAttribute('aria-busy', 'true');
    if (busyText) {
      button.dataset.idleText = button.textContent;
      button.textContent = busyText;
    }
  } else {
    button.removeAttribute('aria-busy');
    if (button.dataset.idleText) {
      button.textContent = button.dataset.idleText;
      delete button.dataset.idleText;
    }
  }
}

/** A one-shot message carried to the next page (e.g. "已退出登录"). */
export function flash(text, kind = 'ok') {
  try { sessionStorage.setItem('ihome.flash', JSON.stringify({ text, kind })); } catch { /* private mode */ }
}

function takeFlash() {
  try {
    const raw = sessionStorage.getItem('ihome.flash');
    sessionStorage.removeItem('ihome.flash');
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

/** "298.50" → "¥298.5"; "300.00" → "¥300". */
export function yuan(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return '¥—';
  return `¥${Number.isInteger(n) ? n : n.toFixed(2).replace(/0$/, '')}`;
}

/** Local date as YYYY-MM-DD. */
export function isoDate(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function today() {
  return isoDate(new Date());
}

export function addDays(iso, days) {
  const [y, m, d] = iso.split('-').map(Number);
  return isoDate(new Date(y, m - 1, d + days));
}

/** Nights from check-in to check-out, or 0 when they are not valid dates in order. */
export function nightsBetween(sd, ed) {
  if (!isIsoDate(sd) || !isIsoDate(ed)) return 0;
  const a = Date.UTC(...sd.split('-').map((v, i) => Number(v) - (i === 1 ? 1 : 0)));
  const b = Date.UTC(...ed.split('-').map((v, i) => Number(v) - (i === 1 ? 1 : 0)));
  const n = Math.round((b - a) / 86400000);
  return n > 0 ? n : 0;
}

export function isIsoDate(s) {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s));
}

/** "2026-11-25" → "11月25日". */
export function shortDate(iso) {
  if (!isIsoDate(iso)) return iso || '';
  const [, m, d] = iso.split('-').map(Number);
  return `${m}月${d}日`;
}

export const ORDER_STATUS = {
  WAIT_ACCEPT: { text: '待接单', tone: 'wait' },
  WAIT_PAYMENT: { text: '待支付', tone: 'wait' },
  PAID: { text: '已支付', tone: 'go' },
  WAIT_COMMENT: { text: '待评价', tone: 'go' },
  COMPLETE: { text: '已完成', tone: 'done' },
  REJECTED: { text: '已拒单', tone: 'off' },
  CANCELED: { text: '已取消', tone: 'off' },
  EXPIRED: { text: '已过期', tone: 'off' },
};

export function params() {
  return new URLSearchParams(location.search);
}

// ---------------------------------------------------------------------------
// Login state and redirects
// ---------------------------------------------------------------------------

let sessionPromise = null;

/** {user_id, name} when logged in, null when not, undefined when unknown (network …). */
export function currentUser() {
  if (!sessionPromise) {
    sessionPromise = getJSON('/api/check_login').then((r) => {
      if (r.ok && r.body.data) return r.body.data;
      if (isLoggedOut(r)) return null;
      return undefined;
    });
  }
  return sessionPromise;
}

/** A same-site path to return to, or the fallback. */
export function safeNext(value, fallback = '/my.html') {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') ||
      value.includes('\\') || /[\r\n]/.test(value)) {
    return fallback;
  }
  return value;
}

export function loginUrl(reason) {
  const next = location.pathname + location.search;
  const q = new URLSearchParams({ next });
  if (reason) q.set('reason', reason);
  return `/login.html?${q}`;
}

/** Sends the visitor to log in and come back here. */
export function toLogin(reason) {
  location.replace(loginUrl(reason));
}

/** Resolves to the user, or goes to the login page (and never resolves). */
export async function requireLogin() {
  const user = await currentUser();
  if (user) return user;
  if (user === null) {
    toLogin();
    return new Promise(() => {});
  }
  return null;  // unknown: let the page try and show the error it gets
}

/** For an API result: 4101 means the session ended meanwhile → login, true. */
export function handleExpired(result) {
  if (isLoggedOut(result)) {
    toLogin('expired');
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Chrome: top bar, bottom tab bar (phones), footer
// ---------------------------------------------------------------------------

const NAV = [
  { key: 'home', href: '/', text: '首页', icon: 'home' },
  { key: 'search', href: '/search.html', text: '找房', icon: 'search' },
  { key: 'orders', href: '/orders.html', text: '订单', icon: 'list' },
  { key: 'my', href: '/my.html', text: '我的', icon: 'user' },
];

const ICONS = {
  home: 'M3 11.5 12 4l9 7.5V20a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z',
  search: 'M10.5 4a6.5 6.5 0 1 1 0 13 6.5 6.5 0 0 1 0-13zm5 11.5L20 20',
  list: 'M5 5h14v15H5zM8 9h8M8 13h8M8 17h5',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 9c.8-3.6 3.6-6 7-6s6.2 2.4 7 6',
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name] || '');
  svg.append(path);
  return svg;
}

/**
 * Draws the top bar, the phone tab bar and the footer around <main>.
 * page: the NAV key of this page (for the highlighted tab).
 */
export function mountChrome(page) {
  const account = el('div', { class: 'account', id: 'account' });
  const top = el('header', { class: 'topbar' },
    el('div', { class: 'topbar-inner' },
      el('a', { class: 'brand', href: '/', 'aria-label': '爱家租房 首页' },
        el('img', { src: '/img/logo.svg', alt: '', width: 30, height: 30 }),
        el('span', { text: '爱家租房' })),
      el('nav', { class: 'topnav', 'aria-label': '主导航' },
        el('a', { href: '/search.html', text: '找房', 'aria-current': page === 'search' ? 'page' : null }),
        el('a', { href: '/myhouse.html', text: '我是房东', 'aria-current': page === 'host' ? 'page' : null }),
        el('a', { href: '/orders.html', text: '我的订单', 'aria-current': page === 'orders' ? 'page' : null })),
      account));
  const tabs = el('nav', { class: 'tabbar', 'aria-label': '底部导航' },
    NAV.map((n) => el('a', { href: n.href, 'aria-current': n.key === page ? 'page' : null },
      icon(n.icon), el('span', { text: n.text }))));
  const footer = el('footer', { class: 'footer' },
    el('p', {}, '© 爱家租房 · 让每一次出行都有家的温度'),
    el('p', { class: 'footer-links' },
      el('a', { href: '/search.html', text: '找房' }), ' · ',
      el('a', { href: '/newhouse.html', text: '发布房源' }), ' · ',
      el('a', { href: '/my.html', text: '个人中心' })));

  const old = document.querySelector('body > header.topbar');
  if (old) old.replaceWith(top); else document.body.prepend(top);
  document.body.append(footer, tabs);
  document.body.classList.add('has-tabbar');

  const flashed = takeFlash();
  if (flashed && flashed.text) {
    const main = document.querySelector('main');
    const box = el('p', { class: 'flash', dataset: { kind: flashed.kind } });
    setMsg(box, flashed.text, flashed.kind);
    main.prepend(box);
  }

  currentUser().then((user) => {
    if (user) {
      fill(account, messagesLink(page), el('a', { class: 'account-link', href: '/my.html' },
        el('span', { class: 'account-dot', 'aria-hidden': 'true', text: initial(user.name) }),
        el('span', { class: 'account-name', text: user.name })));
      refreshUnread();
    } else {
      fill(account,
        el('a', { class: 'btn btn-ghost btn-sm', href: '/login.html', text: '登录' }),
        el('a', { class: 'btn btn-primary btn-sm', href: '/register.html', text: '注册' }));
    }
  });

  // Back/forward cache: the login state may have changed meanwhile.
  window.addEventListener('pageshow', (e) => { if (e.persisted) location.reload(); });
}

// ---------------------------------------------------------------------------
// Messages: the header's 消息 link with its unread badge (every page)
// ---------------------------------------------------------------------------

function messagesLink(page) {
  return el('a', {
    class: 'messages-link', id: 'messages-link', href: '/messages.html', 'aria-label': '消息',
    'aria-current': page === 'messages' ? 'page' : null,
  }, el('span', { text: '消息' }), el('span', { class: 'unread-badge', id: 'unread-badge', hidden: true }));
}

/** Asks GET /api/messages/unread and shows the count on the header's badge. */
export async function refreshUnread() {
  const badge = byId('unread-badge');
  if (!badge) return;
  const r = await getJSON('/api/messages/unread');
  const n = r.ok && r.body.data ? Number(r.body.data.unread) || 0 : 0;
  badge.textContent = n > 99 ? '99+' : String(n);
  badge.hidden = n === 0;
  const link = byId('messages-link');
  if (link) link.setAttribute('aria-label', n ? `消息（${n} 条未读）` : '消息');
}

// ---------------------------------------------------------------------------
// Ratings (API.md "house/comments"): ★★★★☆ 4.3 (12)
// ---------------------------------------------------------------------------

/** Five stars filled to `value` (0–5, halves rounded to whole stars). */
export function starRow(value, label) {
  const full = Math.round(Number(value) || 0);
  return el('span', { class: 'stars', role: 'img', 'aria-label': label || `${value} 星` },
    el('span', { class: 'stars-on', 'aria-hidden': 'true', text: '★'.repeat(full) }),
    el('span', { class: 'stars-off', 'aria-hidden': 'true', text: '★'.repeat(5 - full) }));
}

/** A house's average and count, or 暂无评分. */
export function ratingBadge(rating, count) {
  if (rating === null || rating === undefined || !count) {
    return el('span', { class: 'rating rating-none', text: '暂无评分' });
  }
  const value = Number(rating).toFixed(1);
  return el('span', { class: 'rating', title: `${value} 分，${count} 条评分` },
    starRow(value, `评分 ${value}，共 ${count} 条`), el('strong', { text: value }),
    el('span', { class: 'muted', text: `（${count}）` }));
}

export function initial(name) {
  const s = String(name || '').trim();
  return s ? Array.from(s)[0].toUpperCase() : '我';
}

/** A centered empty-state block. */
export function emptyState(title, text, action) {
  return el('div', { class: 'empty' },
    el('img', { src: '/img/empty.svg', alt: '', width: 120, height: 90 }),
    el('p', { class: 'empty-title', text: title }),
    text ? el('p', { class: 'empty-text', text }) : null,
    action || null);
}

/** Page-level error block with a retry button. */
export function errorState(text, retry) {
  return el('div', { class: 'empty' },
    el('p', { class: 'empty-title', text: '加载失败' }),
    el('p', { class: 'empty-text', text }),
    retry ? el('button', { type: 'button', class: 'btn btn-outline', text: '重试', on: { click: retry } }) : null);
}

export function skeleton(count = 3) {
  return Array.from({ length: count }, () => el('div', { class: 'skeleton', 'aria-hidden': 'true' }));
}
