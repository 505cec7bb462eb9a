// Alipay's protocol: signing strings, pay URLs, notify verification and the
// gateway's signed answers.  See include/ihome/pay/alipay.h; the HTTP calls
// are in src/pay/alipay_http.cpp, the RSA2 primitives in src/pay/rsa2.cpp.
#include "ihome/pay/alipay.h"

#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/core/money.h"
#include "ihome/core/text.h"

namespace ihome {

namespace {

constexpr size_t kMaxSubjectBytes = 256;
constexpr size_t kMaxReasonBytes = 256;
// Alipay's single-trade ceiling: 100,000,000.00 yuan.
constexpr int64_t kMaxAmountFen = 10'000'000'000;

Error data_error(std::string msg) { return {Errno::kDataErr, "alipay: " + std::move(msg), 200, 0}; }
Error third_error(std::string msg) { return {Errno::kThirdErr, "alipay: " + std::move(msg), 503, 0}; }

// Our order and refund numbers: what Alipay allows (64) in a charset that
// needs no escaping anywhere.
bool is_trade_number(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

std::string url_encode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Finds the member `name` of the top-level object and where its value (an
// object) starts and ends in the text, with the SAX reader's stream offsets:
// StartObject is called just after the '{' is taken, EndObject just after
// the '}'.  So the slice is the exact text Alipay signed.
struct AnswerScanner : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, AnswerScanner> {
  enum class Expect { kNothing, kObject, kSign };

  const rapidjson::StringStream* stream = nullptr;
  std::string_view name;
  int depth = 0;
  Expect expect = Expect::kNothing;
  int found = 0;
  size_t start = 0, end = 0;
  int capture_depth = -1;
  int signs = 0;
  std::string sign;
  bool bad_shape = false;

  bool Default() {
    if (expect == Expect::kObject) bad_shape = true;
    if (expect == Expect::kSign) ++signs;  // not a string: counted as a second sign, refused
    expect = Expect::kNothing;
    return !bad_shape;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (expect == Expect::kSign) {
      sign.assign(s, n);
      expect = Expect::kNothing;
      return true;
    }
    return Default();
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (depth != 1) return true;
    std::string_view key(s, n);
    if (key == name) {
      ++found;
      expect = Expect::kObject;
    } else if (key == "sign") {
      ++signs;
      expect = Expect::kSign;
    }
    return true;
  }
  bool StartObject() {
    ++depth;
    if (expect == Expect::kObject) {
      start = stream->Tell() - 1;
      capture_depth = depth;
      expect = Expect::kNothing;
      return true;
    }
    return Default();
  }
  bool EndObject(rapidjson::SizeType) {
    if (depth == capture_depth) {
      end = stream->Tell();
      capture_depth = -1;
    }
    --depth;
    return true;
  }
  bool StartArray() {
    ++depth;
    return Default();
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
};

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = member(object, name);
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

// code / sub_code / sub_msg of an answer that is not a success, for logs.
std::string answer_failure(std::string_view method, const rapidjson::Value& answer) {
  std::string text = std::string(method) + " failed: code=" + string_member(answer, "code");
  std::string sub_code = string_member(answer, "sub_code");
  if (!sub_code.empty()) text += " sub_code=" + sub_code;
  std::string sub_msg = string_member(answer, "sub_msg");
  if (sub_msg.empty()) sub_msg = string_member(answer, "msg");
  if (!sub_msg.empty()) text += " msg=" + log_quote(utf8_prefix(sub_msg, 200));
  return text;
}

// "YYYY-MM-DD HH:MM:SS" by shape (alipay_time writes it; the gateway judges the date).
bool is_alipay_time(std::string_view s) {
  static constexpr std::string_view kShape = "dddd-dd-dd dd:dd:dd";
  if (s.size() != kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (kShape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != kShape[i]) return false;
  return true;
}

// Alipay refuses a subject with '/', '=' or '&' ("不可使用特殊字符"): those
// become their full-width forms, control characters spaces.
std::string clean_subject(std::string_view subject) {
  std::string out;
  for (char c : subject) {
    if (c == '/') out += "／";
    else if (c == '=') out += "＝";
    else if (c == '&') out += "＆";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += ' ';
    else out += c;
  }
  return utf8_prefix(out, kMaxSubjectBytes);
}

}  // namespace

std::string alipay_signing_string(AlipayParams params, bool for_notify) {
  std::erase_if(params, [&](const auto& p) {
    return p.second.empty() || p.first == "sign" || (for_notify && p.first == "sign_type");
  });
  // std::string's operator< compares as unsigned bytes (char_traits<char>::lt).
  std::stable_sort(params.begin(), params.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

std::optional<int64_t> alipay_amount_fen(std::string_view yuan) { return parse_yuan(yuan); }

std::string alipay_amount_yuan(int64_t fen) { return format_yuan(fen); }

std::string alipay_time(int64_t unix_seconds) {
  time_t beijing = static_cast<time_t>(unix_seconds + 8 * 3600);
  struct tm tm {};
  gmtime_r(&beijing, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of a sequence.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut));
}

Result<AlipaySignedAnswer> alipay_split_answer(std::string_view body, std::string_view response_name) {
  // StringStream stops at a NUL: a body holding one is refused, not cut short.
  if (body.find('\0') != std::string_view::npos) return third_error("the gateway's answer holds a NUL byte");
  std::string text(body);
  rapidjson::StringStream stream(text.c_str());
  AnswerScanner scanner;
  scanner.stream = &stream;
  scanner.name = response_name;
  rapidjson::Reader reader;
  if (!reader.Parse(stream, scanner) || scanner.bad_shape)
    return third_error("the gateway's answer is not Alipay JSON");
  if (scanner.found != 1 || scanner.end <= scanner.start)
    return third_error("the gateway's answer has no " + std::string(response_name));
  if (scanner.signs != 1 || scanner.sign.empty()) return data_error("the gateway's answer is not signed");
  return AlipaySignedAnswer{text.substr(scanner.start, scanner.end - scanner.start), std::move(scanner.sign)};
}

// ---- Alipay ------------------------------------------------------------------

Alipay::Alipay(AlipayConfig config, Rsa2Key app_key, Rsa2Key alipay_key)
    : config_(std::move(config)), app_key_(std::move(app_key)), alipay_key_(std::move(alipay_key)) {}

Alipay::~Alipay() = default;

Result<AlipayParams> Alipay::signed_request(const std::string& method, const std::string& biz_content,
                                            bool with_urls) const {
  AlipayParams params = {
      {"app_id", config_.app_id},
      {"method", method},
      {"format", "JSON"},
      {"charset", "utf-8"},
      {"sign_type", "RSA2"},
      {"timestamp", alipay_time(unix_now())},
      {"version", "1.0"},
  };
  if (with_urls) {
    params.emplace_back("notify_url", config_.public_url + "/api/pay/notify/alipay");
    params.emplace_back("return_url", config_.public_url + "/api/pay/return/alipay");
  }
  params.emplace_back("biz_content", biz_content);
  auto sign = app_key_.sign(alipay_signing_string(params, false));
  if (!sign) return sign.take_error();
  params.emplace_back("sign", std::move(*sign));
  return params;
}

Result<std::string> Alipay::pay_url(const AlipayPayRequest& r) const {
  if (!is_trade_number(r.out_trade_no)) return param_error("alipay: bad out_trade_no");
  if (r.amount_fen <= 0 || r.amount_fen > kMaxAmountFen) return param_error("alipay: amount out of range");
  if (!utf8_length(r.subject) || r.subject.empty()) return param_error("alipay: subject must be UTF-8 text");
  if (!r.time_expire.empty() && !is_alipay_time(r.time_expire))
    return param_error("alipay: time_expire must be YYYY-MM-DD HH:MM:SS");
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto field = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  field("out_trade_no", r.out_trade_no);
  field("total_amount", alipay_amount_yuan(r.amount_fen));
  field("subject", clean_subject(r.subject));
  field("product_code", r.mobile ? "QUICK_WAP_WAY" : "FAST_INSTANT_TRADE_PAY");
  if (!r.time_expire.empty()) field("time_expire", r.time_expire);
  w.EndObject();
  auto params = signed_request(r.mobile ? "alipay.trade.wap.pay" : "alipay.trade.page.pay", buf.GetString(), true);
  if (!params) return params.take_error();
  std::string url = config_.gateway;
  url += config_.gateway.find('?') == std::string::npos ? '?' : '&';
  bool first = true;
  for (const auto& [key, value] : *params) {
    if (!first) url += '&';
    first = false;
    url += url_encode(key) + '=' + url_encode(value);
  }
  return url;
}

Result<AlipayNotify> Alipay::verify_notify(const AlipayParams& params) const {
  std::map<std::string, std::string, std::less<>> fields;
  for (const auto& [key, value] : params)
    if (!fields.emplace(key, value).second) return data_error("notify: parameter " + log_quote(key) + " twice");
  auto get = [&fields](std::string_view key) -> std::string {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  };
  std::string sign = get("sign");
  if (sign.empty()) return data_error("notify: no sign");
  std::string sign_type = get("sign_type");
  if (!sign_type.empty() && sign_type != "RSA2") return data_error("notify: sign_type is not RSA2");
  if (!alipay_key_.verify(alipay_signing_string(params, true), sign)) return data_error("notify: bad signature");
  if (get("app_id") != config_.app_id) return data_error("notify: app_id is not ours");
  AlipayNotify n;
  n.out_trade_no = get("out_trade_no");
  n.trade_no = get("trade_no");
  n.trade_status = get("trade_status");
  n.notify_id = get("notify_id");
  if (!is_trade_number(n.out_trade_no)) return data_error("notify: bad out_trade_no");
  if (n.trade_no.empty()) return data_error("notify: no trade_no");
  auto total = alipay_amount_fen(get("total_amount"));
  if (!total) return data_error("notify: bad total_amount");
  n.total_amount_fen = *total;
  if (std::string refund = get("refund_fee"); !refund.empty()) {
    n.refund_fee_fen = alipay_amount_fen(refund);
    if (!n.refund_fee_fen) return data_error("notify: bad refund_fee");
  }
  return n;
}

namespace {

// The signed `…_response` object of a gateway answer, verified and parsed.
Result<rapidjson::Document> read_answer(std::string_view body, std::string_view response_name,
                                        const Rsa2Key& alipay_key) {
  auto answer = alipay_split_answer(body, response_name);
  if (!answer) return answer.take_error();
  if (!alipay_key.verify(answer->object_text, answer->sign))
    return data_error(std::string(response_name) + ": bad signature");
  rapidjson::Document doc;
  doc.Parse(answer->object_text.c_str(), answer->object_text.size());
  if (doc.HasParseError() || !doc.IsObject()) return third_error(std::string(response_name) + " is not an object");
  return doc;
}

}  // namespace

Result<AlipayTrade> Alipay::read_query_answer(std::string_view body, const std::string& out_trade_no) const {
  auto doc = read_answer(body, "alipay_trade_query_response", alipay_key_);
  if (!doc) return doc.take_error();
  const rapidjson::Value& a = *doc;
  std::string code = string_member(a, "code");
  if (code != "10000") {
    if (code == "40004" && string_member(a, "sub_code") == "ACQ.TRADE_NOT_EXIST") return AlipayTrade{};
    return third_error(answer_failure("alipay.trade.query", a));
  }
  if (string_member(a, "out_trade_no") != out_trade_no) return data_error("alipay.trade.query: out_trade_no mismatch");
  AlipayTrade trade;
  trade.found = true;
  trade.trade_no = string_member(a, "trade_no");
  trade.trade_status = string_member(a, "trade_status");
  auto total = alipay_amount_fen(string_member(a, "total_amount"));
  if (trade.trade_no.empty() || trade.trade_status.empty() || !total)
    return data_error("alipay.trade.query: incomplete answer");
  trade.total_amount_fen = *total;
  return trade;
}

Result<AlipayRefund> Alipay::read_refund_answer(std::string_view body, const std::string& out_trade_no) const {
  auto doc = read_answer(body, "alipay_trade_refund_response", alipay_key_);
  if (!doc) return doc.take_error();
  const rapidjson::Value& a = *doc;
  if (string_member(a, "code") != "10000") return third_error(answer_failure("alipay.trade.refund", a));
  if (string_member(a, "out_trade_no") != out_trade_no)
    return data_error("alipay.trade.refund: out_trade_no mismatch");
  AlipayRefund refund;
  refund.trade_no = string_member(a, "trade_no");
  std::string fund_change = string_member(a, "fund_change");
  if (fund_change != "Y" && fund_change != "N") return data_error("alipay.trade.refund: bad fund_change");
  refund.fund_change = fund_change == "Y";
  auto fee = alipay_amount_fen(string_member(a, "refund_fee"));
  if (!fee) return data_error("alipay.trade.refund: bad refund_fee");
  refund.refund_fee_fen = *fee;
  return refund;
}

Result<AlipayTrade> Alipay::query(const std::string& out_trade_no) const {
  if (!is_trade_number(out_trade_no)) return param_error("alipay: bad out_trade_no");
  std::string biz = R"({"out_trade_no":")" + out_trade_no + R"("})";
  auto params = signed_request("alipay.trade.query", biz, false);
  if (!params) return params.take_error();
  auto body = post(*params);
  if (!body) return body.take_error();
  return read_query_answer(*body, out_trade_no);
}

Result<AlipayRefund> Alipay::refund(const std::string& out_trade_no, const std::string& out_request_no,
                                    int64_t amount_fen, const std::string& reason) const {
  if (!is_trade_number(out_trade_no)) return param_error("alipay: bad out_trade_no");
  if (!is_trade_number(out_request_no)) return param_error("alipay: bad out_request_no");
  if (amount_fen <= 0 || amount_fen > kMaxAmountFen) return param_error("alipay: refund amount out of range");
  if (!utf8_length(reason)) return param_error("alipay: refund reason must be UTF-8 text");
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto field = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  field("out_trade_no", out_trade_no);
  field("refund_amount", alipay_amount_yuan(amount_fen));
  field("out_request_no", out_request_no);
  if (!reason.empty()) field("refund_reason", utf8_prefix(reason, kMaxReasonBytes));
  w.EndObject();
  auto params = signed_request("alipay.trade.refund", buf.GetString(), false);
  if (!params) return params.take_error();
  auto body = post(*params);
  if (!body) return body.take_error();
  return read_refund_answer(*body, out_trade_no);
}

}  // namespace ihome
