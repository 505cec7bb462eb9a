// 爱家租房 — talking to /api/ (ES module).
//
// Every request goes through request(), which never throws and answers
// { ok, status, errno, body, retryAfter, network?, timeout?, noCookie? };
// ok means HTTP 2xx and errno 0.  Every POST carries X-XSRFToken equal to
// the _xsrf cookie (API.md "Sessions and CSRF").  describe() turns a failed
// result into a Chinese sentence for the person: clients decide on errno,
// never on errmsg.

const REQUEST_TIMEOUT_MS = 15000;
const UPLOAD_TIMEOUT_MS = 60000;

export const MSG = {
  network: '网络连接失败，请检查网络后重试',
  timeout: '请求超时，请稍后再试',
  badReply: '服务器响应异常，请稍后再试',
  noCookie: '无法获取安全令牌，请允许本站使用 Cookie 后刷新页面',
  csrf: '页面已过期，请刷新页面后重试',
  unavailable: '服务暂时不可用，请稍后再试',
  tooLarge: '提交的内容过大',
  rateLimited: '操作过于频繁，请稍后再试',
};

// errno → text, shared by every request (API.md errno table).
const COMMON_ERRNO = {
  4001: MSG.unavailable,
  4002: '数据不存在或已过期，请刷新后重试',
  4003: '数据已存在',
  4004: '数据有误，请检查后重试',
  4101: '登录已过期，请重新登录',
  4102: '登录失败，请稍后再试',
  4103: '填写的信息有误，请检查后重试',
  4104: '该账号不存在或已被停用',
  4105: '没有权限进行此操作',
  4106: '手机号或密码错误',
  4201: '请求被拒绝，请刷新页面后重试',
  4202: '您的网络地址暂时无法使用本服务',
  4301: MSG.unavailable,
  4302: '文件保存失败，请稍后再试',
  4500: '服务器开小差了，请稍后再试',
  4501: '发生未知错误，请稍后再试',
};

// errno → text for one kind of request; wins over COMMON_ERRNO.
const CONTEXT_ERRNO = {
  smscode: {
    4002: '图片验证码已过期，请点击图片换一张',
    4003: '该手机号已注册，请直接登录',
    4004: '图片验证码错误，请重新输入',
    4103: '请填写正确的手机号和图片验证码',
    4301: '短信发送失败，服务暂时不可用，请稍后再试',
  },
  register: {
    4002: '短信验证码已过期，请重新获取',
    4003: '该手机号已注册，请直接登录',
    4004: '短信验证码错误',
    4103: '请检查手机号、短信验证码和密码',
  },
  reset: {
    4002: '短信验证码已过期，请重新获取',
    4004: '短信验证码错误',
    4103: '请检查手机号、短信验证码和新密码',
  },
  password: {
    4106: '原密码错误',
    4103: '新密码长度应为 6–64 位，且两次输入一致',
  },
  closeAccount: {
    4004: '您还有进行中的订单（待接单或待评价），处理完毕后才能注销',
    4106: '密码错误',
    4103: '请输入密码',
  },
  houseManage: {
    4002: '房源或图片不存在，请刷新页面',
    4103: '房源信息填写有误，请检查标红的项目',
    4105: '只能管理自己发布的房源',
  },
  login: {
    4103: '请填写正确的手机号和密码',
    4104: '该账号已被停用，请联系客服',
  },
  avatar: {
    4004: '请选择 JPG、PNG、GIF 或 WebP 格式的图片',
    4103: '请选择一张图片',
  },
  name: {
    4003: '该用户名已被占用，换一个试试',
    4103: '用户名需为 1–32 个字符，且不能是手机号',
  },
  auth: {
    4003: '已完成实名认证，或该身份证号已被其他账号使用',
    4103: '请填写 2–32 个字的真实姓名和有效的 18 位身份证号',
  },
  newhouse: {
    4105: '发布房源前请先完成实名认证',
    4103: '房源信息填写有误，请检查标红的项目',
  },
  message: {
    4002: '房源已下线或会话不存在',
    4004: '对方账号已注销，无法再发送消息',
    4103: '消息需为 1–1000 个字，且不能含控制字符',
    4105: '无法给自己的房源留言，或无权查看此会话',
  },
  reply: {
    4004: '该评价已回复过，或还没有评价',
    4103: '回复需为 1–512 个字',
    4105: '只有房东可以回复评价',
  },
  houseImage: {
    4004: '请选择 JPG、PNG、GIF 或 WebP 格式的图片',
    4105: '只能为自己的房源上传图片',
    4103: '每套房源最多 20 张图片',
    4002: '房源不存在',
  },
  houseInfo: {
    4002: '房源不存在或已下架',
    4103: '房源编号无效',
  },
  search: {
    4103: '筛选条件有误：离开日期须晚于入住日期',
  },
  book: {
    4002: '房源不存在或已下架',
    4004: '所选日期已被预订，请换个日期',
    4103: '请检查入住和离开日期：不能早于今天，且入住天数需符合房东要求',
    4105: '不能预订自己发布的房源',
  },
  orderAction: {
    4002: '订单不存在',
    4004: '订单状态已变化，请刷新页面',
    4105: '您无权处理此订单',
    4103: '请填写内容（不超过规定长度）',
  },
};

function formatWait(seconds) {
  if (seconds < 60) return `${seconds} 秒`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} 分钟`;
  return `${Math.ceil(minutes / 60)} 小时`;
}

/** Chinese text for a failed request result. */
export function describe(result, context) {
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
  if (status === 404 || status === 405 || status === 502 || status === 503 || status === 504) {
    return MSG.unavailable;
  }
  if (status >= 500) return COMMON_ERRNO[4500];
  if (result.errno === null) return MSG.badReply;

  const own = CONTEXT_ERRNO[context] || {};
  return own[result.errno] || COMMON_ERRNO[result.errno] || `操作失败（错误码 ${result.errno}）`;
}

/**
 * The request field a 4103 answer names, or ''.  Only a hint for where to show
 * the message (the server words it "参数错误：<field>（…）"); the message
 * itself comes from describe().
 */
export function paramField(result) {
  if (!result || result.errno !== 4103 || !result.body) return '';
  const m = /^参数错误：([a-z_]+)/.exec(String(result.body.errmsg || ''));
  return m ? m[1] : '';
}

export function isLoggedOut(result) {
  return result.status === 200 && result.errno === 4101;
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

export function readCookie(name) {
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

async function request(url, init = {}, timeoutMs = REQUEST_TIMEOUT_MS) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
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

/** GET url with an optional query object (empty values left out). */
export function getJSON(url, query) {
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const s = qs.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  return request(url, { method: 'GET' });
}

/** The _xsrf cookie; asks the server for one first when the page has none yet. */
async function xsrfToken() {
  let token = readCookie('_xsrf');
  if (!token) {
    await getJSON('/api/check_login');
    token = readCookie('_xsrf');
  }
  return token;
}

const NO_COOKIE = { ok: false, status: 0, errno: null, body: null, retryAfter: null, noCookie: true };

export async function postJSON(url, payload) {
  const token = await xsrfToken();
  if (!token) return NO_COOKIE;
  return request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-XSRFToken': token },
    body: JSON.stringify(payload || {}),
  });
}

/** multipart/form-data POST (uploads); the browser writes the boundary. */
export async function postForm(url, formData) {
  const token = await xsrfToken();
  if (!token) return NO_COOKIE;
  return request(url, { method: 'POST', headers: { 'X-XSRFToken': token }, body: formData },
                 UPLOAD_TIMEOUT_MS);
}

// ---------------------------------------------------------------------------
// Small caches for the catalogs (they change with a release, not a click)
// ---------------------------------------------------------------------------

const catalogs = new Map();

/** [{aid, aname}] or null when it could not be loaded. */
export function areas() {
  return catalog('/api/house/area');
}

/** [{fid, name}] or null. */
export function facilities() {
  return catalog('/api/house/facility');
}

function catalog(url) {
  if (!catalogs.has(url)) {
    catalogs.set(url, getJSON(url).then((r) => {
      if (r.ok && Array.isArray(r.body.data)) return r.body.data;
      catalogs.delete(url);
      return null;
    }));
  }
  return catalogs.get(url);
}

// Favourites (js/hearts.js, js/favorites.js).
CONTEXT_ERRNO.favorite = {
  4002: '房源不存在或已下架',
  4004: '最多收藏 500 套房源，请先取消一些收藏',
};

// Payments (js/orders.js 去支付, js/pay.js the sandbox cashier).
CONTEXT_ERRNO.pay = {
  4002: '订单或支付不存在',
  4004: '订单已超过支付期限或状态已变化，请刷新页面',
  4105: '只能支付自己的订单',
  4301: '支付服务暂时不可用，请稍后再试',
};
