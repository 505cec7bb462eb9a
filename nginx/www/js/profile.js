// 爱家租房 — profile edit (ES module): avatar upload with a preview, name.
// Login required.

import { describe, getJSON, postForm, postJSON } from './api.js';
import { checkText } from './checks.js';
import {
  byId, clearInvalid, clearOnInput, fail, field, formMsg, handleExpired, initial, mountChrome, requireLogin,
  safeMedia, setBusy, setMsg, showFileNames,
} from './ui.js';

mountChrome('my');
showFileNames();

const MAX_BYTES = 5 * 1024 * 1024;
const avatarForm = byId('avatar-form');
const nameForm = byId('name-form');
const preview = byId('avatar-preview');
let previewUrl = '';

async function load() {
  await requireLogin();
  const r = await getJSON('/api/profile');
  if (handleExpired(r)) return;
  if (!r.ok) return setMsg(formMsg(nameForm), describe(r), 'error');
  if (safeMedia(r.body.avatar)) preview.src = r.body.avatar;
  field(nameForm, 'name').value = r.body.username;
}

field(avatarForm, 'avatar').addEventListener('change', (e) => {
  clearInvalid(avatarForm);
  const file = e.target.files[0];
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = '';
  if (!file) return;
  if (!/^image\/(jpeg|png|gif|webp)$/.test(file.type)) {
    return fail(avatarForm, '请选择 JPG、PNG、GIF 或 WebP 格式的图片', 'avatar');
  }
  if (file.size > MAX_BYTES) return fail(avatarForm, '图片不能超过 5 MB', 'avatar');
  previewUrl = URL.createObjectURL(file);
  preview.src = previewUrl;
  setMsg(formMsg(avatarForm), '预览效果如左，点击“上传头像”保存', 'info');
});

avatarForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = avatarForm.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(avatarForm);
  const file = field(avatarForm, 'avatar').files[0];
  if (!file) return fail(avatarForm, '请先选择一张图片', 'avatar');
  if (file.size > MAX_BYTES) return fail(avatarForm, '图片不能超过 5 MB', 'avatar');

  const data = new FormData();
  data.append('avatar', file);
  setBusy(submit, true, '上传中…');
  const r = await postForm('/api/profile/avatar', data);
  setBusy(submit, false);
  if (handleExpired(r)) return;
  if (!r.ok) return fail(avatarForm, describe(r, 'avatar'), 'avatar');
  if (safeMedia(r.body.url)) preview.src = r.body.url;
  avatarForm.reset();
  setMsg(formMsg(avatarForm), '头像已更新', 'ok');
});

clearOnInput(nameForm);
nameForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = nameForm.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(nameForm);
  const input = field(nameForm, 'name');
  const name = input.value.trim();
  input.value = name;
  const bad = checkText('name', name, 1, 32, '用户名');
  if (bad) return fail(nameForm, bad.text, bad.name);

  setBusy(submit, true, '保存中…');
  const r = await postJSON('/api/profile/name', { name });
  setBusy(submit, false);
  if (handleExpired(r)) return;
  if (!r.ok) return fail(nameForm, describe(r, 'name'), r.status === 200 ? 'name' : undefined);
  setMsg(formMsg(nameForm), '用户名已保存', 'ok');
  const shown = document.querySelector('.account-name');
  if (shown) shown.textContent = name;
  const dot = document.querySelector('.account-dot');
  if (dot) dot.textContent = initial(name);
});

load();
