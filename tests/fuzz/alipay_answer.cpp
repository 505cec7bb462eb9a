// Fuzz target: the Alipay gateway's answers as they arrive from the network
// (alipay_split_answer, src/pay/alipay.cpp): the signed object is found only
// as an exact slice of the body that is itself one JSON object, and a broken
// answer is a THIRDERR/DATAERR value, never a crash.
#include <rapidjson/document.h>

#include "fuzz.h"
#include "ihome/pay/alipay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body = fuzz::bytes(data, size);
  auto answer = ihome::alipay_split_answer(body, "alipay_trade_query_response");
  if (!answer) {
    FUZZ_CHECK(answer.error().code == ihome::Errno::kThirdErr || answer.error().code == ihome::Errno::kDataErr);
    return 0;
  }
  const std::string& text = answer->object_text;
  FUZZ_CHECK(!answer->sign.empty());
  FUZZ_CHECK(text.size() >= 2 && text.front() == '{' && text.back() == '}');
  FUZZ_CHECK(body.find(text) != std::string_view::npos);
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
  return 0;
}
