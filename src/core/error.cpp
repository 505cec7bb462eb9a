// The one errno table: number, API.md name and default message.
#include "ihome/core/error.h"

namespace ihome {

namespace {
struct Row {
  Errno code;
  std::string_view name;
  std::string_view message;
};

constexpr Row kTable[] = {
    {Errno::kOk, "OK", "OK"},
    {Errno::kDbErr, "DBERR", "数据库错误"},
    {Errno::kNoData, "NODATA", "无数据"},
    {Errno::kDataExist, "DATAEXIST", "数据已存在"},
    {Errno::kDataErr, "DATAERR", "数据错误"},
    {Errno::kSessionErr, "SESSIONERR", "用户未登录"},
    {Errno::kLoginErr, "LOGINERR", "用户登录失败"},
    {Errno::kParamErr, "PARAMERR", "参数错误"},
    {Errno::kUserErr, "USERERR", "用户不存在或已禁用"},
    {Errno::kRoleErr, "ROLEERR", "用户身份错误"},
    {Errno::kPwdErr, "PWDERR", "手机号或密码错误"},
    {Errno::kReqErr, "REQERR", "非法请求或请求次数受限"},
    {Errno::kIpErr, "IPERR", "IP受限"},
    {Errno::kThirdErr, "THIRDERR", "第三方系统错误"},
    {Errno::kIoErr, "IOERR", "文件读写错误"},
    {Errno::kServerErr, "SERVERERR", "内部错误"},
    {Errno::kUnknownErr, "UNKOWNERR", "未知错误"},
};

const Row& row(Errno e) {
  for (const Row& r : kTable)
    if (r.code == e) return r;
  return kTable[sizeof kTable / sizeof kTable[0] - 1];
}
}  // namespace

std::string_view errno_name(Errno e) { return row(e).name; }
std::string_view errno_message(Errno e) { return row(e).message; }

}  // namespace ihome
