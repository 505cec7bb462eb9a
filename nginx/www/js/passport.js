// 爱家租房 — 登录 / 注册 / 登录状态 (ES module).
//
// CSP-friendly: no inline script, no inline handlers, no innerHTML; every piece of
// user or server text reaches the DOM through textContent.
// API contract: /work/shared/API.md — "Sessions and CSRF" and "Passport".

const MOBILE_RE = /^1[3-9]\d{9}$/;
const PHONECODE_RE = /^\d{6}$/;
const PASSWORD_MIN = 6;
const PASSWORD_MAX = 64;
const SMS_COOLDOWN_S = 60;
const CAPTCHA_TTL_MS = 170 * 1000;   // server keeps the image code 180 s
const REQUEST_TIMEOUT_MS = 15000;

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

const MSG = {
  network: '网络连接失败，请检查网络后重试',
  timeout: '请求超时，请稍后再试',
  badReply: '服务器响应异常，请稍后再试',
  noCookie: '无法获取安全令牌，请允许本站使用 Cookie 后刷新页面',
  csrf: '页面已过期，请刷新页面后重试',
  unavailable: '服务暂时不可用，请稍后再试',
  tooLarge: '提交的内容过长',
  rateLimited: '操作过于频繁，请稍后再试',
  captchaLoadFailed: '图片验证码加载失败，请点击图片重试',
};

// errno → text, shared by every request (API.md errno table).
const COMMON_ERRNO = {
  4001: MSG.unavailable,
  4002: '数据不存在或已过期，请刷新后重试',
  4003: '数据已存在',
  4004: '数据有误，请检查后重试',
  4101: '请先登录',
  4102: '登录失败，请稍后再试',
  4103: '填写的信息有误，请检查后重试',
  4104: '该账号不存在或已被停用',
  4105: '没有权限进行此操作',
  4106: '手机号或密码错误',
  4201: '请求被拒绝，请刷新页面后重试',
  4202: '您的网络地址暂时无法使用本服务',
  4301: MSG.unavailable,
  4302: MSG.unavailable,
  4500: '服务器开小差了，请稍后再试',
  4501: '发生未知错误，请稍后再试',
};

// errno → text for one particular request; wins over COMMON_ERRNO.
const CONTEXT_ERRNO = {
  smscode: {
    4002: '图片验证码已过期，请刷新',
    4003: '该手机号已注册，请直接登录',
    4004: '图片验证码错误',
    4103: '请填写正确的手机号和图片验证码',
    4301: '短信发送失败，服务暂时不可用，请稍后再试',
  },
  register: {
    4002: '短信验证码已过期，请重新获取',
    4003: '该手机号已注册，请直接登录',
    4004: '短信验证码错误',
    4103: '请检查手机号、短信验证码和密码',
  },
  login: {
    4103: '请填写正确的手机号和密码',
  },
  logout: {},
  session: {},
};

function formatWait(seconds) {
  if (seconds < 60) return `${seconds} 秒`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} 分钟`;
  return `${Math.ceil(minutes / 60)} 小时`;
}

/** Chinese text for a failed request result (see request()). */
function describe(result, context) {
  if (result.timeout) return MSG.timeout;
  if (result.network) return MSG.network;
  if (result.noCookie) return MSG.noCookie;

  const status = result.status;
  if (status === 429) {
    return result.retryAfter
      ? `${MSG.rateLimited}（约 ${formatWait(result.retryAfter)}后可重试）`
      : MSG.rateLimited;
  }
  if (status === 403) return MSG.csrf;
  if (status === 413) return MSG.tooLarge;
  // 404/405 on an /api/ URL, 502/503/504 from nginx or the back end: not the user's fault.
  if (status === 404 || status === 405 || status === 502 || status === 503 || status === 504) {
    return MSG.unavailable;
  }
  if (status >= 500) return COMMON_ERRNO[4500];
  if (result.errno === null) return MSG.badReply;

  const own = CONTEXT_ERRNO[context] || {};
  return own[result.errno] || COMMON_ERRNO[result.errno] || `操作失败（错误码 ${result.errno}）`;
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return '';
}

/** Seconds from a Retry-After header (delta-seconds or HTTP-date), or null. */
function parseRetryAfter(value) {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.max(1, parseInt(v, 10));
  const when = Date.parse(v);
  if (Number.isNaN(when)) return null;
  return Math.max(1, Math.ceil((when - Date.now()) / 1000));
}

/**
 * fetch() wrapper that never throws. Result:
 * { ok, status, errno, body, retryAfter, network?, timeout?, noCookie? }
 * ok means HTTP 2xx and errno 0.
 */
async function request(url, init = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  let res;
  try {
    res = await fetch(url, {
      credentials: 'same-origin',
      cache: 'no-store',
      ...init,
      headers: { Accept: 'application/json', ...(init.headers || {}) },
      signal: controller.signal,
    });
  } catch (err) {
    clearTimeout(timer);
    const timeout = err && err.name === 'AbortError';
    return { ok: false, status: 0, errno: null, body: null, retryAfter: null, network: !timeout, timeout };
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  } finally {
    clearTimeout(timer);
  }
  const errno = body && typeof body === 'object' && Number.isInteger(body.errno) ? body.errno : null;
  return {
    ok: res.ok && errno === 0,
    status: res.status,
    errno,
    body,
    retryAfter: parseRetryAfter(res.headers.get('Retry-After')),
  };
}

function getJSON(url) {
  return request(url, { method: 'GET' });
}

/** The _xsrf cookie; fetches /api/check_login first if the cookie is not there yet. */
async function xsrfToken() {
  let token = readCookie('_xsrf');
  if (!token) {
    await getJSON('/api/check_login');
    token = readCookie('_xsrf');
  }
  return token;
}

async function postJSON(url, payload) {
  const token = await xsrfToken();
  if (!token) {
    return { ok: false, status: 0, errno: null, body: null, retryAfter: null, noCookie: true };
  }
  return request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-XSRFToken': token },
    body: JSON.stringify(payload),
  });
}

// ---------------------------------------------------------------------------
// Small DOM helpers
// ---------------------------------------------------------------------------

const byId = (id) => document.getElementById(id);

function setMsg(el, text, kind = 'error') {
  if (!el) return;
  el.textContent = text || '';
  el.dataset.kind = kind;
}

function formMsg(form) {
  return form.querySelector('.form-msg');
}

function field(form, name) {
  return form.elements.namedItem(name);
}

function markInvalid(input, invalid = true) {
  if (!input) return;
  if (invalid) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

function clearInvalid(form) {
  for (const input of form.querySelectorAll('[aria-invalid]')) markInvalid(input, false);
}

/** Show an error next to the form and put the focus on the field it is about. */
function fail(form, text, fieldName) {
  setMsg(formMsg(form), text, 'error');
  const input = fieldName ? field(form, fieldName) : null;
  if (input) {
    markInvalid(input);
    input.focus();
  }
}

function setBusy(button, busy) {
  button.disabled = busy;
  if (busy) button.setAttribute('aria-busy', 'true');
  else button.removeAttribute('aria-busy');
}

function normalizeMobile(value) {
  return value.replace(/[\s-]/g, '');
}

function codePoints(s) {
  return Array.from(s).length;
}

/** First problem with a password pair, or null. */
function checkPassword(password, password2) {
  const n = codePoints(password);
  if (n === 0) return { name: 'password', text: '请输入密码' };
  if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
    return { name: 'password', text: `密码长度应为 ${PASSWORD_MIN}–${PASSWORD_MAX} 位` };
  }
  if (password2 !== undefined && password2 !== password) {
    return { name: 'password2', text: '两次输入的密码不一致' };
  }
  return null;
}

function checkMobile(mobile) {
  if (!mobile) return { name: 'mobile', text: '请输入手机号' };
  if (!MOBILE_RE.test(mobile)) return { name: 'mobile', text: '请输入正确的 11 位手机号' };
  return null;
}

// ---------------------------------------------------------------------------
// Login state
// ---------------------------------------------------------------------------

const ui = {
  loading: byId('loading'),
  welcome: byId('welcome'),
  welcomeName: byId('welcome-name'),
  sessionText: byId('session-text'),
  sessionMsg: byId('session-msg'),
  auth: byId('auth'),
  authMsg: byId('auth-msg'),
  logoutButtons: Array.from(document.querySelectorAll('.js-logout')),
};

function showLoggedIn(data) {
  const name = data && data.name != null && String(data.name) !== '' ? String(data.name) : '用户';
  ui.sessionText.textContent = `已登录：${name}`;
  ui.welcomeName.textContent = name;
  for (const b of ui.logoutButtons) b.hidden = false;
  ui.loading.hidden = true;
  ui.auth.hidden = true;
  ui.welcome.hidden = false;
}

function showLoggedOut(statusText = '未登录') {
  ui.sessionText.textContent = statusText;
  for (const b of ui.logoutButtons) b.hidden = true;
  ui.loading.hidden = true;
  ui.welcome.hidden = true;
  ui.auth.hidden = false;
  if (tabs.current() === 'register') captcha.ensureFresh();
}

/** Ask the server who we are and show it. Returns 'in', 'out' or 'unknown'. */
async function refreshSession() {
  const r = await getJSON('/api/check_login');
  if (r.ok && r.body.data) {
    showLoggedIn(r.body.data);
    return 'in';
  }
  if (r.status === 200 && r.errno === 4101) {
    showLoggedOut();
    return 'out';
  }
  // Unknown state (network, 503 …): let the visitor try anyway.
  showLoggedOut('登录状态未知');
  setMsg(ui.authMsg, `无法获取登录状态：${describe(r, 'session')}`, 'error');
  return 'unknown';
}

async function logout(button) {
  setBusy(button, true);
  setMsg(ui.sessionMsg, '');
  const r = await postJSON('/api/logout', {});
  setBusy(button, false);
  if (!r.ok) {
    // The header button may be the only visible one; say it in both places.
    const text = `退出失败：${describe(r, 'logout')}`;
    setMsg(ui.sessionMsg, text, 'error');
    ui.sessionText.textContent = text;
    return;
  }
  if ((await refreshSession()) === 'out') setMsg(ui.authMsg, '您已退出登录', 'info');
}

// ---------------------------------------------------------------------------
// Tabs (登录 / 注册)
// ---------------------------------------------------------------------------

const tabs = (() => {
  const list = [
    { name: 'login', tab: byId('tab-login'), panel: byId('panel-login') },
    { name: 'register', tab: byId('tab-register'), panel: byId('panel-register') },
  ];
  let currentName = 'login';

  function select(name, { focus = false, updateHash = true } = {}) {
    const prev = currentName;
    currentName = name;
    for (const t of list) {
      const on = t.name === name;
      t.tab.setAttribute('aria-selected', String(on));
      t.tab.tabIndex = on ? 0 : -1;
      t.panel.hidden = !on;
      if (on && focus) t.tab.focus();
    }
    // Carry the mobile number over to the other form if that one is still empty.
    if (prev !== name) {
      const from = byId(prev === 'login' ? 'login-mobile' : 'reg-mobile');
      const to = byId(name === 'login' ? 'login-mobile' : 'reg-mobile');
      if (from.value && !to.value) to.value = from.value;
    }
    if (name === 'register' && !ui.auth.hidden) captcha.ensureFresh();
    const hash = `#${name}`;
    if (updateHash && location.hash !== hash) history.replaceState(null, '', hash);
  }

  for (const [i, t] of list.entries()) {
    t.tab.addEventListener('click', () => select(t.name));
    t.tab.addEventListener('keydown', (e) => {
      let j = null;
      if (e.key === 'ArrowRight') j = (i + 1) % list.length;
      else if (e.key === 'ArrowLeft') j = (i - 1 + list.length) % list.length;
      else if (e.key === 'Home') j = 0;
      else if (e.key === 'End') j = list.length - 1;
      if (j === null) return;
      e.preventDefault();
      select(list[j].name, { focus: true });
    });
  }

  return { select, current: () => currentName };
})();

// ---------------------------------------------------------------------------
// Image captcha
// ---------------------------------------------------------------------------

function newCodeId() {
  // randomUUID only exists in secure contexts (https or localhost).
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const captcha = (() => {
  const img = byId('captcha-img');
  const button = byId('captcha-btn');
  const form = byId('register-form');
  let id = '';
  let loadedAt = 0;
  let lastClick = 0;

  function refresh() {
    const prev = id;
    id = newCodeId();
    loadedAt = Date.now();
    let url = `/api/imagecode?codeid=${encodeURIComponent(id)}`;
    if (prev) url += `&pcodeid=${encodeURIComponent(prev)}`;
    img.src = url;
  }

  /** Load a captcha if there is none yet or the shown one has expired. */
  function ensureFresh() {
    if (!id || Date.now() - loadedAt > CAPTCHA_TTL_MS) refresh();
  }

  img.addEventListener('error', () => {
    if (img.getAttribute('src')) setMsg(formMsg(form), MSG.captchaLoadFailed, 'error');
  });
  img.addEventListener('load', () => {
    const msg = formMsg(form);
    if (msg.textContent === MSG.captchaLoadFailed) setMsg(msg, '');
  });
  button.addEventListener('click', () => {
    const now = Date.now();
    if (now - lastClick < 400) return;   // ignore double clicks (server limits 60/min)
    lastClick = now;
    refresh();
    field(form, 'image_code_text').value = '';
    field(form, 'image_code_text').focus();
  });

  return { refresh, ensureFresh, id: () => id };
})();

// ---------------------------------------------------------------------------
// SMS code button with countdown
// ---------------------------------------------------------------------------

const smsButton = (() => {
  const button = byId('sms-btn');
  const idleText = button.textContent;
  let timer = null;
  let endsAt = 0;
  let busy = false;

  function tick() {
    const left = Math.ceil((endsAt - Date.now()) / 1000);
    if (left <= 0) {
      stop();
      return;
    }
    button.textContent = `${left} 秒后重发`;
  }

  function start(seconds) {
    clearInterval(timer);
    endsAt = Date.now() + seconds * 1000;
    button.disabled = true;
    tick();
    timer = setInterval(tick, 250);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    endsAt = 0;
    button.textContent = idleText;
    button.disabled = busy;
  }

  function setSending(on) {
    busy = on;
    if (on) {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      button.textContent = '发送中…';
    } else {
      button.removeAttribute('aria-busy');
      if (!timer) stop();
    }
  }

  return { button, start, stop, setSending, counting: () => timer !== null || busy };
})();

// ---------------------------------------------------------------------------
// Register form
// ---------------------------------------------------------------------------

const registerForm = byId('register-form');

async function requestSmsCode() {
  const form = registerForm;
  if (smsButton.counting()) return;
  clearInvalid(form);
  setMsg(formMsg(form), '');

  const mobileInput = field(form, 'mobile');
  const mobile = normalizeMobile(mobileInput.value);
  mobileInput.value = mobile;
  const imageText = field(form, 'image_code_text').value.trim();

  const bad = checkMobile(mobile);
  if (bad) return fail(form, bad.text, bad.name);
  if (!imageText) return fail(form, '请输入图片验证码', 'image_code_text');
  if (!captcha.id()) {
    captcha.refresh();
    return fail(form, '请输入新的图片验证码', 'image_code_text');
  }

  smsButton.setSending(true);
  const r = await postJSON('/api/smscode', {
    mobile,
    image_code_id: captcha.id(),
    image_code_text: imageText,
  });
  smsButton.setSending(false);

  // The image code is single-use: always show a new one after an attempt.
  captcha.refresh();
  field(form, 'image_code_text').value = '';

  if (r.ok) {
    smsButton.start(SMS_COOLDOWN_S);
    setMsg(formMsg(form), `短信验证码已发送至 ${mobile}，5 分钟内有效`, 'ok');
    field(form, 'phonecode').focus();
    return;
  }

  if (r.status === 429 && r.retryAfter && r.retryAfter <= 600) smsButton.start(r.retryAfter);

  const text = describe(r, 'smscode');
  if (r.status === 200 && r.errno === 4003) return fail(form, text, 'mobile');
  if (r.status === 200 && r.errno === 4103 && !MOBILE_RE.test(mobile)) return fail(form, text, 'mobile');
  return fail(form, text, 'image_code_text');
}

async function submitRegister(event) {
  event.preventDefault();
  const form = registerForm;
  const submit = form.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(form);
  setMsg(formMsg(form), '');
  setMsg(ui.authMsg, '');

  const mobileInput = field(form, 'mobile');
  const mobile = normalizeMobile(mobileInput.value);
  mobileInput.value = mobile;
  const phonecode = field(form, 'phonecode').value.trim();
  const password = field(form, 'password').value;
  const password2 = field(form, 'password2').value;

  const bad =
    checkMobile(mobile) ||
    (!phonecode ? { name: 'phonecode', text: '请输入短信验证码' } : null) ||
    (!PHONECODE_RE.test(phonecode) ? { name: 'phonecode', text: '短信验证码应为 6 位数字' } : null) ||
    checkPassword(password, password2);
  if (bad) return fail(form, bad.text, bad.name);

  setBusy(submit, true);
  const r = await postJSON('/api/register', { mobile, phonecode, password, password2 });
  setBusy(submit, false);

  if (r.ok) {
    form.reset();
    smsButton.stop();
    setMsg(formMsg(form), '');
    if ((await refreshSession()) === 'in') setMsg(ui.sessionMsg, '注册成功，已为您自动登录', 'ok');
    else {
      tabs.select('login');
      setMsg(ui.authMsg, '注册成功，请登录', 'ok');
    }
    return;
  }

  const text = describe(r, 'register');
  if (r.status === 200) {
    if (r.errno === 4002 || r.errno === 4004) return fail(form, text, 'phonecode');
    if (r.errno === 4003) return fail(form, text, 'mobile');
  }
  return fail(form, text);
}

// ---------------------------------------------------------------------------
// Login form
// ---------------------------------------------------------------------------

const loginForm = byId('login-form');

async function submitLogin(event) {
  event.preventDefault();
  const form = loginForm;
  const submit = form.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(form);
  setMsg(formMsg(form), '');
  setMsg(ui.authMsg, '');

  const mobileInput = field(form, 'mobile');
  const mobile = normalizeMobile(mobileInput.value);
  mobileInput.value = mobile;
  const password = field(form, 'password').value;

  const bad = checkMobile(mobile) || checkPassword(password);
  if (bad) return fail(form, bad.text, bad.name);

  setBusy(submit, true);
  const r = await postJSON('/api/login', { mobile, password });
  setBusy(submit, false);

  if (r.ok) {
    form.reset();
    if ((await refreshSession()) === 'in') setMsg(ui.sessionMsg, '登录成功', 'ok');
    else setMsg(formMsg(form), '登录成功，但暂时无法获取登录状态，请刷新页面', 'info');
    return;
  }

  const text = describe(r, 'login');
  field(form, 'password').value = '';
  if (r.status === 200 && r.errno === 4106) return fail(form, text, 'password');
  return fail(form, text);
}

// ---------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------

for (const form of [loginForm, registerForm]) {
  // Typing into a field clears its error mark.
  form.addEventListener('input', (e) => markInvalid(e.target, false));
}
loginForm.addEventListener('submit', submitLogin);
registerForm.addEventListener('submit', submitRegister);
smsButton.button.addEventListener('click', requestSmsCode);
for (const b of ui.logoutButtons) b.addEventListener('click', () => logout(b));

tabs.select(location.hash === '#register' ? 'register' : 'login', { updateHash: false });
window.addEventListener('hashchange', () => {
  if (location.hash === '#register' || location.hash === '#login') tabs.select(location.hash.slice(1));
});
// Back/forward cache: the login state may have changed meanwhile.
window.addEventListener('pageshow', (e) => {
  if (e.persisted) refreshSession();
});

refreshSession();
