// 爱家租房 — messages (ES module): my conversations (latest first, with
// unread counts), one thread (oldest first, "加载更早的消息" pages by
// `before`), and the composer.  Opened as
//   /messages.html               the list
//   /messages.html?c=ID          a conversation
//   /messages.html?house_id=ID   a question to a house's landlord (联系房东)
//   /messages.html?order_id=ID   an order's thread (created with its first message)
// Every text is set through text nodes (el()): a message is shown as sent,
// never as markup.  Login required.

import { describe, getJSON, postJSON } from './api.js';
import { checkText } from './checks.js';
import {
  byId, el, emptyState, errorState, fill, handleExpired, mountChrome, params, picture, refreshUnread,
  requireLogin, setBusy, setMsg,
} from './ui.js';

mountChrome('messages');

const listBox = byId('conversations');
const moreButton = byId('more-conversations');
const threadPane = byId('thread-pane');
const threadBox = byId('thread');
const olderButton = byId('older');
const composer = byId('composer');
const composerMsg = byId('composer-msg');
const title = byId('thread-title');

const q = params();
// What the composer writes to: a conversation, or a house / order before one exists.
let target = null;
let oldest = 0;
let listPage = 1;

function targetFromQuery() {
  for (const key of ['c', 'house_id', 'order_id']) {
    const v = q.get(key);
    if (v && /^\d+$/.test(v)) return { key: key === 'c' ? 'conversation_id' : key, id: Number(v) };
  }
  return null;
}

function conversationItem(c) {
  const href = `/messages.html?c=${c.conversation_id}`;
  const current = target && target.key === 'conversation_id' && target.id === c.conversation_id;
  const last = c.last || {};
  return el('li', { class: 'conv-item', dataset: { conversationId: String(c.conversation_id) } },
    el('a', { href, 'aria-current': current ? 'true' : null },
      picture(c.other && c.other.avatar, '', '/img/avatar.svg'),
      el('div', { class: 'conv-text' },
        el('p', {}, el('strong', { text: (c.other && c.other.name) || '' }), ' · ', el('span', { class: 'muted', text: c.title })),
        el('p', { class: 'muted small' }, last.from_me ? '我：' : '', last.text || '')),
      c.unread > 0 ? el('span', { class: 'unread-badge', text: c.unread > 99 ? '99+' : String(c.unread) }) : el('span')));
}

async function loadList(append = false) {
  const r = await getJSON('/api/messages', { p: listPage });
  if (handleExpired(r)) return;
  // The list is a <ul>: a state shown in it goes inside an <li> (a list holds only items).
  if (!r.ok) return fill(listBox, el('li', { class: 'conv-state' }, errorState(describe(r), () => loadList(append))));
  const data = r.body.data || {};
  const items = (data.conversations || []).map(conversationItem);
  if (!append) {
    if (!items.length) {
      fill(listBox, el('li', { class: 'conv-state' }, emptyState('还没有消息', '在房源页点击“联系房东”，或在订单里联系对方')));
    } else {
      fill(listBox, items);
    }
  } else {
    listBox.append(...items);
  }
  moreButton.hidden = listPage >= (Number(data.total_page) || 0);
  return data.conversations || [];
}

function bubble(m) {
  return el('div', { class: `bubble${m.from_me ? ' mine' : ''}`, dataset: { messageId: String(m.message_id) } },
    el('span', { class: 'bubble-text', text: m.text }),
    el('time', { text: String(m.ctime || '').slice(5, 16) }));
}

async function loadThread(before) {
  const r = await getJSON('/api/messages/thread', { conversation_id: target.id, before: before || '' });
  if (handleExpired(r)) return;
  if (!r.ok) return fill(threadBox, errorState(describe(r, 'message'), r.errno === 4105 ? null : () => loadThread(before)));
  const data = r.body.data || {};
  const nodes = (data.messages || []).map(bubble);
  if (before) {
    threadBox.prepend(...nodes);
  } else {
    fill(threadBox, nodes);
    threadBox.scrollTop = threadBox.scrollHeight;
  }
  if (data.messages && data.messages.length) oldest = data.messages[0].message_id;
  olderButton.hidden = !data.has_more;
  refreshUnread();  // reading marks them read
}

function showThread(heading) {
  threadPane.hidden = false;
  document.body.classList.add('thread-open');
  title.textContent = heading || '对话';
}

composer.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = composer.querySelector('[type="submit"]');
  if (submit.disabled || !target) return;
  const input = byId('text');
  // One line: the API refuses control characters (a line break among them).
  const text = input.value.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const bad = checkText('text', text, 1, 1000, '消息');
  if (bad) return setMsg(composerMsg, bad.text, 'error');
  setBusy(submit, true, '发送中…');
  const r = await postJSON('/api/messages', { [target.key]: target.id, text });
  setBusy(submit, false);
  if (handleExpired(r)) return;
  if (!r.ok) return setMsg(composerMsg, describe(r, 'message'), 'error');
  setMsg(composerMsg, '', 'ok');
  input.value = '';
  if (target.key !== 'conversation_id') {
    // The first message made the conversation: from now on it is the target.
    target = { key: 'conversation_id', id: r.body.data.conversation_id };
    history.replaceState(null, '', `/messages.html?c=${target.id}`);
  }
  await loadThread();
  listPage = 1;
  loadList();
});

// Enter sends (Shift+Enter is ignored: a message is one line); IME composition is left alone.
byId('text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.isComposing) {
    event.preventDefault();
    if (!event.shiftKey) composer.requestSubmit();
  }
});

olderButton.addEventListener('click', () => loadThread(oldest));
moreButton.addEventListener('click', () => { listPage += 1; loadList(true); });

async function start() {
  await requireLogin();
  target = targetFromQuery();
  const conversations = await loadList();
  if (!target) return;
  if (target.key === 'conversation_id') {
    const c = (conversations || []).find((x) => x.conversation_id === target.id);
    showThread(c ? `${c.other.name} · ${c.title}` : '对话');
    return loadThread();
  }
  // A house or an order: its existing conversation when the list has it.
  const known = (conversations || []).find((x) => (target.key === 'order_id'
    ? x.order_id === target.id : x.house_id === target.id && x.order_id === null));
  if (known) {
    target = { key: 'conversation_id', id: known.conversation_id };
    showThread(`${known.other.name} · ${known.title}`);
    return loadThread();
  }
  showThread(target.key === 'house_id' ? '联系房东：入住前的问题' : '联系对方：关于这个订单');
  fill(threadBox, el('p', { class: 'muted', text: '还没有消息，写下您的问题吧（请勿在消息中透露手机号等隐私信息）' }));
  byId('text').focus();
}

start();
