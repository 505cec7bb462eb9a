// 爱家租房 — real-name verification (ES module): the form, or the masked
// record once done.  Login required.

import { describe, getJSON, paramField, postJSON } from './api.js';
import { checkIdCard, checkText } from './checks.js';
import {
  byId, clearInvalid, clearOnInput, fail, field, flash, formMsg, handleExpired, mountChrome, params,
  requireLogin, safeNext, setBusy, setMsg,
} from './ui.js';

mountChrome('my');

const form = byId('auth-form');

function showDone(data) {
  byId('done-name').textContent = data.real_name;
  byId('done-card').textContent = data.id_card;
  byId('auth-done').hidden = false;
  byId('auth-todo').hidden = true;
}

async function load() {
  await requireLogin();
  const r = await getJSON('/api/profile/auth');
  if (handleExpired(r)) return;
  byId('auth-todo').hidden = false;
  if (!r.ok) return setMsg(formMsg(form), describe(r), 'error');
  if (r.body.data && r.body.data.real_name) showDone(r.body.data);
}

clearOnInput(form);
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = form.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(form);
  const real_name = field(form, 'real_name').value.trim();
  const id_card = field(form, 'id_card').value.trim().toUpperCase();
  field(form, 'real_name').value = real_name;
  field(form, 'id_card').value = id_card;
  const bad = checkText('real_name', real_name, 2, 32, '真实姓名') || checkIdCard(id_card);
  if (bad) return fail(form, bad.text, bad.name);

  setBusy(submit, true, '提交中…');
  const r = await postJSON('/api/profile/auth', { real_name, id_card });
  setBusy(submit, false);
  if (handleExpired(r)) return;
  if (!r.ok) {
    const name = paramField(r);
    return fail(form, describe(r, 'auth'), name === 'real_name' || name === 'id_card' ? name : (r.errno === 4003 ? 'id_card' : undefined));
  }
  const next = params().get('next');
  if (next) {
    flash('实名认证成功', 'ok');
    location.assign(safeNext(next));
    return;
  }
  const done = await getJSON('/api/profile/auth');
  if (done.ok && done.body.data && done.body.data.real_name) showDone(done.body.data);
  setMsg(formMsg(form), '实名认证成功', 'ok');
});

load();
