// 爱家租房 — field checks done in the browser before a request (ES module).
// The server checks everything again; these only spare the person a round trip
// and put the message next to the right field.  Each returns null or
// {name, text}: the field's name and what to tell the person.

export const MOBILE_RE = /^1[3-9]\d{9}$/;
const PHONECODE_RE = /^\d{6}$/;
const PASSWORD_MIN = 6;
const PASSWORD_MAX = 64;

export const codePoints = (s) => Array.from(s).length;

export function normalizeMobile(value) {
  return String(value || '').replace(/[\s-]/g, '');
}

export function checkMobile(mobile) {
  if (!mobile) return { name: 'mobile', text: '请输入手机号' };
  if (!MOBILE_RE.test(mobile)) return { name: 'mobile', text: '请输入正确的 11 位手机号' };
  return null;
}

export function checkPassword(password, password2) {
  const n = codePoints(password);
  if (n === 0) return { name: 'password', text: '请输入密码' };
  if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
    return { name: 'password', text: `密码长度应为 ${PASSWORD_MIN}–${PASSWORD_MAX} 位` };
  }
  if (password2 !== undefined) {
    if (!password2) return { name: 'password2', text: '请再次输入密码' };
    if (password2 !== password) return { name: 'password2', text: '两次输入的密码不一致' };
  }
  return null;
}

export function checkPhonecode(code) {
  if (!code) return { name: 'phonecode', text: '请输入短信验证码' };
  if (!PHONECODE_RE.test(code)) return { name: 'phonecode', text: '短信验证码应为 6 位数字' };
  return null;
}

/** Text of length min..max code points (after trimming). */
export function checkText(name, value, min, max, label) {
  const n = codePoints(value);
  if (n === 0 && min > 0) return { name, text: `请填写${label}` };
  if (n < min || n > max) return { name, text: `${label}长度应为 ${min}–${max} 个字` };
  return null;
}

/** Yuan with at most 2 decimals within [min, max]. */
export function checkMoney(name, value, min, max, label) {
  if (value === '') return min > 0 ? { name, text: `请填写${label}` } : null;
  if (!/^\d+(\.\d{1,2})?$/.test(value)) return { name, text: `${label}应为数字，最多两位小数` };
  const n = Number(value);
  if (n < min || n > max) return { name, text: `${label}应在 ${min}–${max.toLocaleString('zh-CN')} 元之间` };
  return null;
}

export function checkInt(name, value, min, max, label) {
  if (!/^\d+$/.test(String(value))) return { name, text: `请填写${label}（整数）` };
  const n = Number(value);
  if (n < min || n > max) return { name, text: `${label}应在 ${min}–${max} 之间` };
  return null;
}

/** PRC resident id: 18 characters, a real birth date, ISO 7064 MOD 11-2 check digit. */
export function checkIdCard(value) {
  const v = String(value || '').toUpperCase();
  if (!v) return { name: 'id_card', text: '请填写身份证号' };
  if (!/^\d{17}[\dX]$/.test(v)) return { name: 'id_card', text: '身份证号应为 18 位（最后一位可为 X）' };
  const y = Number(v.slice(6, 10)), m = Number(v.slice(10, 12)), d = Number(v.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d ||
      date.getTime() > Date.now()) {
    return { name: 'id_card', text: '身份证号中的出生日期无效' };
  }
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(v[i]) * weights[i];
  if ('10X98765432'[sum % 11] !== v[17]) return { name: 'id_card', text: '身份证号校验位不正确，请核对' };
  return null;
}
