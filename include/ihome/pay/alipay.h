// Alipay's open-platform protocol for the `alipay` payment provider: RSA2
// (SHA256withRSA) signing of requests, verification of notifies, browser
// returns and gateway answers, and the two gateway calls the payments code
// needs (alipay.trade.query, alipay.trade.refund) over libcurl.  No state of
// its own: the payments ledger lives elsewhere.  Failures are Error values:
// THIRDERR (4301) for an unreachable or unhappy gateway, DATAERR (4004) for a
// bad signature or a mismatched field.  An Alipay object is immutable after
// create(); make it in the process that uses it (each call opens its own curl
// handle, so nothing is shared across fork()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ihome/core/result.h"

namespace ihome {

using AlipayParams = std::vector<std::pair<std::string, std::string>>;

// The string Alipay signs (its published RSA2 rules): `sign` dropped, and
// `sign_type` too when `for_notify` (notify and return verification), empty
// values dropped, sorted by key in byte order, "k=v" joined by '&', values
// raw (not URL-encoded), UTF-8 as given.
std::string alipay_signing_string(AlipayParams params, bool for_notify);

// Alipay's yuan amount ("298.50", "0.01", "298.5", "298") -> fen, exactly;
// nullopt for anything else ("", "-1", "1e3", "1.234", > 12 integer digits).
std::optional<int64_t> alipay_amount_fen(std::string_view yuan);
// fen -> "298.50" (two decimals, integer arithmetic).
std::string alipay_amount_yuan(int64_t fen);

// Unix seconds -> "YYYY-MM-DD HH:MM:SS" in Beijing time (UTC+8), the clock
// of Alipay's `timestamp` and `time_expire`.
std::string alipay_time(int64_t unix_seconds);

// `s` cut to at most `max_bytes` bytes, never inside a UTF-8 sequence.
std::string utf8_prefix(std::string_view s, size_t max_bytes);

// An RSA key (EVP_PKEY) read from PEM: a private key as PKCS#1 ("BEGIN RSA
// PRIVATE KEY") or PKCS#8 ("BEGIN PRIVATE KEY"), a public key as
// SubjectPublicKeyInfo ("BEGIN PUBLIC KEY").  Move-only.
class Rsa2Key {
 public:
  static Result<Rsa2Key> private_from_pem(std::string_view pem);
  static Result<Rsa2Key> public_from_pem(std::string_view pem);
  static Result<Rsa2Key> private_from_file(const std::string& path);
  static Result<Rsa2Key> public_from_file(const std::string& path);

  Rsa2Key(Rsa2Key&&) noexcept;
  Rsa2Key& operator=(Rsa2Key&&) noexcept;
  ~Rsa2Key();

  // base64 of SHA256withRSA (PKCS#1 v1.5) over `data`; private keys only.
  Result<std::string> sign(std::string_view data) const;
  // True when `signature_base64` is a valid RSA2 signature of `data`.
  bool verify(std::string_view data, std::string_view signature_base64) const;

 private:
  struct Impl;
  explicit Rsa2Key(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The raw JSON text of the member `response_name` of a gateway answer
// ({"alipay_trade_query_response":{...},"sign":"..."}) exactly as it appears
// in `body`, and the top-level `sign`.  THIRDERR when the body is not such an
// object (not JSON, the member missing, twice or not an object); DATAERR when
// `sign` is missing, repeated or not a string.
struct AlipaySignedAnswer {
  std::string object_text;
  std::string sign;
};
Result<AlipaySignedAnswer> alipay_split_answer(std::string_view body, std::string_view response_name);

struct AlipayConfig {
  std::string app_id;
  std::string private_key_file;  // the app's key (PKCS#1 or PKCS#8 PEM)
  std::string public_key_file;   // Alipay's public key (SubjectPublicKeyInfo PEM)
  std::string gateway;           // https://openapi.alipay.com/gateway.do
  std::string ca_file;           // CA bundle for the gateway; empty: the system's
  std::string public_url;        // https://ihome.example.com (no trailing '/')
  int timeout_ms = 10000;        // each gateway call, at most 10000
};

struct AlipayPayRequest {
  std::string out_trade_no;
  int64_t amount_fen = 0;
  std::string subject;      // '/', '=', '&' made full-width; cut to 256 bytes
  std::string time_expire;  // "YYYY-MM-DD HH:MM:SS", Beijing time (alipay_time)
  bool mobile = false;      // alipay.trade.wap.pay instead of alipay.trade.page.pay
};

// A verified notify (or browser return: there trade_status is empty).
struct AlipayNotify {
  std::string out_trade_no;
  std::string trade_no;
  std::string trade_status;  // WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_FINISHED, TRADE_CLOSED; "" on return
  int64_t total_amount_fen = 0;
  std::optional<int64_t> refund_fee_fen;  // present on notifies sent for a refund
  std::string notify_id;                  // "" on return
};

// alipay.trade.query's answer.
struct AlipayTrade {
  bool found = false;  // false: ACQ.TRADE_NOT_EXIST (no such trade at Alipay)
  std::string trade_no;
  std::string trade_status;
  int64_t total_amount_fen = 0;

  bool paid() const { return trade_status == "TRADE_SUCCESS" || trade_status == "TRADE_FINISHED"; }
};

// alipay.trade.refund's answer on success (code 10000): the refund of that
// out_request_no exists at Alipay; fund_change is false when it had already
// been made by an earlier call.
struct AlipayRefund {
  std::string trade_no;
  bool fund_change = false;
  int64_t refund_fee_fen = 0;  // the trade's refunded total so far
};

class Alipay {
 public:
  // Loads both keys; refuses a plain-http gateway unless it is on loopback
  // (127.0.0.1, localhost, [::1]: the test emulator).
  static Result<std::unique_ptr<Alipay>> create(const AlipayConfig& config);
  ~Alipay();
  Alipay(const Alipay&) = delete;
  Alipay& operator=(const Alipay&) = delete;

  const AlipayConfig& config() const { return config_; }

  // The gateway URL (GET) that sends the buyer to Alipay's cashier.
  Result<std::string> pay_url(const AlipayPayRequest& request) const;

  // Verifies a notify's (or a return's) params: RSA2 signature with Alipay's
  // key over every param but sign and sign_type, app_id ours, amounts exact.
  Result<AlipayNotify> verify_notify(const AlipayParams& params) const;

  // alipay.trade.query for our order number.
  Result<AlipayTrade> query(const std::string& out_trade_no) const;
  // alipay.trade.refund; the same out_request_no never refunds twice.
  Result<AlipayRefund> refund(const std::string& out_trade_no, const std::string& out_request_no,
                              int64_t amount_fen, const std::string& reason) const;

  // The signed request params of `method` (common params + biz_content + sign).
  Result<AlipayParams> signed_request(const std::string& method, const std::string& biz_content,
                                      bool with_urls) const;
  // A gateway answer's body checked and read (signature, code, out_trade_no).
  Result<AlipayTrade> read_query_answer(std::string_view body, const std::string& out_trade_no) const;
  Result<AlipayRefund> read_refund_answer(std::string_view body, const std::string& out_trade_no) const;

 private:
  Alipay(AlipayConfig config, Rsa2Key app_key, Rsa2Key alipay_key);
  Result<std::string> post(const AlipayParams& params) const;

  AlipayConfig config_;
  Rsa2Key app_key_;
  Rsa2Key alipay_key_;
};

}  // namespace ihome
