// Notifications: see include/ihome/notify/notify.h.
#include "ihome/notify/notify.h"

#include "ihome/core/log.h"
#include "ihome/core/money.h"
#include "ihome/sms/sms.h"
#include "ihome/store/messages.h"
#include "ihome/store/users.h"

namespace ihome {

namespace {

// 「title」（start 至 end） — the stay, as far as it is known.
std::string stay_of(const NotifyDetails& d) {
  std::string s;
  if (!d.title.empty()) s += "「" + d.title + "」";
  if (!d.start_date.empty() && !d.end_date.empty()) s += "（" + d.start_date + "至" + d.end_date + "）";
  return s;
}

}  // namespace

std::string notify_text(NotifyEvent event, const NotifyDetails& d) {
  const std::string head = "【爱家租房】";
  switch (event) {
    case NotifyEvent::kBookingRequest:
      return head + "您的房屋" + stay_of(d) + "有新的预订申请，请登录爱家租房处理。";
    case NotifyEvent::kAccepted:
      return head + "您预订的" + stay_of(d) + "房东已接受" +
             (d.pay_by.empty() ? "。" : "，请在" + d.pay_by + "前完成支付。");
    case NotifyEvent::kRejected:
      return head + "很抱歉，您预订的" + stay_of(d) + "房东未能接受，请登录爱家租房查看。";
    case NotifyEvent::kCanceledByLandlord:
      return head + "很抱歉，您预订的" + stay_of(d) + "已被房东取消，已付款项将全额退还。";
    case NotifyEvent::kRefunded:
      return head + "您预订的" + stay_of(d) + "退款" + format_yuan(d.amount) + "元已退回原支付账户。";
    case NotifyEvent::kNewMessage:
      return head + "您有新消息，请登录爱家租房查看。";  // never the message itself
  }
  return head;
}

void notify_user(const Config& config, Db& db, int64_t user_id, NotifyEvent event, const NotifyDetails& details) {
  auto target = Users(db).notify_mobile(user_id);
  if (!target) {
    log_error("notify user_id=" + std::to_string(user_id) + " failed: " + target.error().message);
    return;
  }
  if (!*target) return;  // opted out, closed or disabled
  auto provider = make_sms_provider(config, db);
  Status s = provider->send(**target, notify_text(event, details));
  if (!s.ok()) {
    log_error("notify user_id=" + std::to_string(user_id) + " failed: " + s.error().message);
    return;
  }
  log_info("notify sent user_id=" + std::to_string(user_id) + " event=" + std::to_string(static_cast<int>(event)));
}

void notify_order(const Config& config, Db& db, int64_t order_id, NotifyEvent event, const NotifyDetails& extra) {
  auto order = Messages(db).order_parties(order_id);
  if (!order || !*order) {
    if (!order) log_error("notify order_id=" + std::to_string(order_id) + " failed: " + order.error().message);
    return;
  }
  NotifyDetails d = extra;
  d.title = (*order)->title;
  d.start_date = (*order)->start_date;
  d.end_date = (*order)->end_date;
  int64_t to = event == NotifyEvent::kBookingRequest ? (*order)->landlord_id : (*order)->guest_id;
  notify_user(config, db, to, event, d);
}

}  // namespace ihome
