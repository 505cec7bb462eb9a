// 爱家租房 — the owner's calendar sync card on house.html (ES module): the
// house's secret iCal URL (API.md "house/ical_url") with copy and reset, or a
// 生成 button while the house has none (the GET never makes one).
// Other platforms (Airbnb, Google Calendar…) import it to block the nights
// booked here.

import { describe, getJSON, postJSON } from './api.js';
import { el, setBusy, setMsg } from './ui.js';

function absolute(url) {
  return new URL(url, location.origin).href;
}

async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

/** The card; it fills itself in once the URL arrives. */
export function icalCard(houseId) {
  const input = el('input', { type: 'text', id: 'ical-url', readonly: true, 'aria-label': '日历订阅链接', value: '' });
  const msg = el('p', { class: 'form-msg', id: 'ical-msg', 'aria-live': 'polite' });
  const copyBtn = el('button', { type: 'button', class: 'btn btn-sm btn-outline', id: 'ical-copy', text: '复制链接', disabled: true });
  const resetBtn = el('button', { type: 'button', class: 'btn btn-sm btn-plain', id: 'ical-reset', text: '重置链接', disabled: true });
  const createBtn = el('button', { type: 'button', class: 'btn btn-sm btn-primary', id: 'ical-create', text: '生成链接', hidden: true });

  const show = (url) => {
    input.value = absolute(url);
    input.placeholder = '';
    createBtn.hidden = true;
    copyBtn.hidden = false;
    resetBtn.hidden = false;
    copyBtn.disabled = false;
    resetBtn.disabled = false;
  };
  const none = () => {
    input.value = '';
    input.placeholder = '尚未生成日历链接';
    createBtn.hidden = false;
    copyBtn.hidden = true;
    resetBtn.hidden = true;
  };

  createBtn.addEventListener('click', async () => {
    setBusy(createBtn, true, '正在生成…');
    const r = await postJSON('/api/house/ical_url/reset', { house_id: houseId });
    setBusy(createBtn, false);
    if (!r.ok) return setMsg(msg, `生成失败：${describe(r)}`, 'error');
    show(r.body.data.url);
    setMsg(msg, '日历链接已生成', 'ok');
  });

  copyBtn.addEventListener('click', async () => {
    const ok = await copy(input.value, input);
    setMsg(msg, ok ? '已复制，粘贴到其他平台的“导入日历”中即可' : '复制失败，请手动选中链接复制', ok ? 'ok' : 'error');
  });
  resetBtn.addEventListener('click', async () => {
    if (!window.confirm('重置后旧链接立即失效，已导入旧链接的平台需要重新导入。确定重置？')) return;
    setBusy(resetBtn, true, '正在重置…');
    const r = await postJSON('/api/house/ical_url/reset', { house_id: houseId });
    setBusy(resetBtn, false);
    if (!r.ok) return setMsg(msg, `重置失败：${describe(r)}`, 'error');
    show(r.body.data.url);
    setMsg(msg, '日历链接已重置，旧链接已失效', 'ok');
  });

  getJSON('/api/house/ical_url', { house_id: houseId }).then((r) => {
    if (!r.ok) return setMsg(msg, `日历链接加载失败：${describe(r)}`, 'error');
    if (r.body.data.url) show(r.body.data.url);
    else none();
  });

  return el('section', { class: 'card', id: 'ical-card' },
    el('h2', { class: 'card-title', text: '日历同步（iCal）' }),
    el('p', { class: 'muted small', text: '把这个私密链接导入其他租房平台或日历，本站已被预订的日期会自动同步过去，避免重复预订。请勿公开此链接。' }),
    el('div', { class: 'ical-url' }, input,
      el('div', { class: 'ical-actions' }, createBtn, copyBtn, resetBtn)),
    msg);
}
