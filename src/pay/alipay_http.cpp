// Alipay::create and the gateway POST over libcurl: see
// include/ihome/pay/alipay.h.  Every call opens its own easy handle (nothing
// is shared across fork()), verifies the peer and its host name, speaks only
// http(s), follows no redirect and gives up after the configured timeout.
#include <curl/curl.h>

#include <algorithm>

#include "ihome/core/text.h"
#include "ihome/pay/alipay.h"

namespace ihome {

namespace {

constexpr int kMaxTimeoutMs = 10000;
constexpr long kConnectTimeoutMs = 3000;
constexpr size_t kMaxAnswerBytes = 1 << 20;

struct CurlFree {
  void operator()(CURL* p) const { curl_easy_cleanup(p); }
};
struct SlistFree {
  void operator()(curl_slist* p) const { curl_slist_free_all(p); }
};
struct UrlFree {
  void operator()(CURLU* p) const { curl_url_cleanup(p); }
};
struct CurlStringFree {
  void operator()(char* p) const { curl_free(p); }
};
using CurlPtr = std::unique_ptr<CURL, CurlFree>;
using SlistPtr = std::unique_ptr<curl_slist, SlistFree>;
using UrlPtr = std::unique_ptr<CURLU, UrlFree>;
using CurlString = std::unique_ptr<char, CurlStringFree>;

Error config_error(std::string msg) { return {Errno::kParamErr, "alipay config: " + std::move(msg), 200, 0}; }
Error third_error(std::string msg) { return {Errno::kThirdErr, "alipay: " + std::move(msg), 503, 0}; }

// curl_global_init is not thread-safe and must run once per process before
// any handle; ihomed is single-threaded, and a forked worker inherits it.
bool curl_ready() {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}

// "https" or loopback "http"; nullopt-like error text otherwise.
std::string check_gateway(const std::string& gateway) {
  UrlPtr url(curl_url());
  if (!url || curl_url_set(url.get(), CURLUPART_URL, gateway.c_str(), 0) != CURLUE_OK) return "gateway is not a URL";
  char* raw = nullptr;
  if (curl_url_get(url.get(), CURLUPART_SCHEME, &raw, 0) != CURLUE_OK) return "gateway has no scheme";
  CurlString scheme(raw);
  if (curl_url_get(url.get(), CURLUPART_HOST, &raw, 0) != CURLUE_OK) return "gateway has no host";
  CurlString host(raw);
  std::string_view s(scheme.get()), h(host.get());
  if (s == "https") return {};
  if (s == "http" && (h == "127.0.0.1" || h == "localhost" || h == "[::1]")) return {};
  return "gateway must be https (plain http only on 127.0.0.1, localhost or [::1])";
}

size_t collect(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t n = size * count;
  if (out->size() + n > kMaxAnswerBytes) return 0;  // curl fails with CURLE_WRITE_ERROR
  out->append(data, n);
  return n;
}

std::string form_encode(const AlipayParams& params, CURL* curl) {
  std::string body;
  for (const auto& [key, value] : params) {
    CurlString k(curl_easy_escape(curl, key.data(), static_cast<int>(key.size())));
    CurlString v(curl_easy_escape(curl, value.data(), static_cast<int>(value.size())));
    if (!body.empty()) body += '&';
    body += std::string(k ? k.get() : "") + '=' + (v ? v.get() : "");
  }
  return body;
}

}  // namespace

Result<std::unique_ptr<Alipay>> Alipay::create(const AlipayConfig& config) {
  if (config.app_id.empty() || !std::all_of(config.app_id.begin(), config.app_id.end(), [](unsigned char c) { return c >= '0' && c <= '9'; }))
    return config_error("app_id must be Alipay's numeric app id");
  if (std::string why = check_gateway(config.gateway); !why.empty()) return config_error(why);
  if (config.public_url.rfind("https://", 0) != 0 && config.public_url.rfind("http://", 0) != 0)
    return config_error("public_url must start with https:// or http://");
  if (config.timeout_ms <= 0 || config.timeout_ms > kMaxTimeoutMs)
    return config_error("timeout_ms must be 1-10000");
  if (!curl_ready()) return third_error("curl_global_init failed");
  auto app_key = Rsa2Key::private_from_file(config.private_key_file);
  if (!app_key) return app_key.take_error();
  auto alipay_key = Rsa2Key::public_from_file(config.public_key_file);
  if (!alipay_key) return alipay_key.take_error();
  AlipayConfig c = config;
  while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  return std::unique_ptr<Alipay>(new Alipay(std::move(c), std::move(*app_key), std::move(*alipay_key)));
}

Result<std::string> Alipay::post(const AlipayParams& params) const {
  CurlPtr curl(curl_easy_init());
  if (!curl) return third_error("curl_easy_init failed");
  CURL* c = curl.get();
  std::string body = form_encode(params, c);
  std::string answer;
  char error[CURL_ERROR_SIZE] = "";
  SlistPtr headers(curl_slist_append(nullptr, "Content-Type: application/x-www-form-urlencoded;charset=utf-8"));
  if (!headers) return third_error("out of memory");

  bool set = curl_easy_setopt(c, CURLOPT_URL, config_.gateway.c_str()) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
             // A proxy from the environment (https_proxy) is used, never for loopback.
             curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1") == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout_ms)) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                              std::min(kConnectTimeoutMs, static_cast<long>(config_.timeout_ms))) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str()) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size())) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error) == CURLE_OK;
  if (set && !config_.ca_file.empty()) set = curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str()) == CURLE_OK;
  if (!set) return third_error("curl_easy_setopt failed");

  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    return third_error(std::string("gateway unreachable: ") + (error[0] ? error : curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return third_error("gateway answered HTTP " + std::to_string(status));
  return answer;
}

}  // namespace ihome
