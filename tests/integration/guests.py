"""Helpers shared by the suites that deal in houses and orders (order_test, calendar_test,
landlord_test, house_test, listing_test and more): users, houses and bookings made over HTTP,
orders written straight into SQLite for states that would take many requests, and the dates
a booking takes.  Not a test module itself.

day(), dates() and nights() live here rather than in harness.py because they are the dates
of bookings (YYYY-MM-DD, counted from the server's local today), which only the suites that
book or write orders use; harness.py stays the stack, HTTP and file plumbing any suite needs."""

import datetime
import time

import harness
from harness import new_id_card, new_mobile

UNKNOWN_ID = 2147483647
# Statuses that hold their nights (WAIT_PAYMENT only before pay_by), and those whose stay was paid.
ACTIVE = ("WAIT_ACCEPT", "WAIT_PAYMENT", "PAID", "WAIT_COMMENT", "COMPLETE")
EARNING = ("PAID", "WAIT_COMMENT", "COMPLETE")


def make_user(stack, verified=False, name=None):
    """A registered, logged-in Client with .mobile, .user_id, .name and an _xsrf cookie."""
    c = harness.Client(stack)
    c.mobile = new_mobile()
    c.register_user(c.mobile)
    if verified:
        r = c.post("/api/profile/auth", {"real_name": "张三", "id_card": new_id_card()})
        if r.errno != 0:
            raise AssertionError("real-name verification failed: %s" % r)
    if name is not None:
        r = c.post("/api/profile/name", {"name": name})
        if r.errno != 0:
            raise AssertionError("setting the name failed: %s" % r)
    c.name = name if name is not None else c.mobile
    c.user_id = c.check_login().json["data"]["user_id"]
    c.ensure_xsrf()
    return c


def house_body(**over):
    body = {"title": "整租·一居室", "price": "199", "district": 1,
            "address": "东城区东四北大街1号", "room_count": 1, "acreage": 30,
            "house_capacity": 2, "min_days": 1, "max_days": 0, "facility": [1]}
    body.update(over)
    return body


def make_house(owner, **over):
    r = owner.post("/api/house/newhouse", house_body(**over))
    if r.errno != 0 or not isinstance(r.json.get("house_id"), int):
        raise AssertionError("newhouse failed: %s" % r)
    return r.json["house_id"]


def book(c, house_id, start, end):
    return c.post("/api/order", {"house_id": house_id, "start_date": start, "end_date": end})


def day(offset):
    """Today (the server's local date) plus `offset` days, YYYY-MM-DD."""
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


def nights(start, end):
    """How many nights a stay from `start` to `end` (YYYY-MM-DD) lasts."""
    return (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days


def dates(start, end):
    """Every date in [start, end) as YYYY-MM-DD."""
    d, stop = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    out = []
    while d < stop:
        out.append(d.isoformat())
        d += datetime.timedelta(days=1)
    return out


def insert_order(stack, house_id, guest_id, start, end, status):
    """An order written straight into SQLite, as an older release or an operator would have:
    a paid status earns its amount (orders.earned, sql/010_payments.sql)."""
    days = nights(start, end)
    at = time.strftime("%Y-%m-%d %H:%M:%S")
    amount = days * 19900
    pay_by = int(time.time()) + 3600 if status == "WAIT_PAYMENT" else None
    stack.db_execute(
        "INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount,"
        " status, created_at, updated_at, earned, pay_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (guest_id, house_id, start, end, days, 19900, amount, status, at, at,
         amount if status in EARNING else 0, pay_by))


def end_stay(stack, order_id):
    """Time passes: the order's stay moves to end today (its check-out day), keeping its length,
    and a PAID stay becomes WAIT_COMMENT as the job process stores it that day (readers see it
    so at once anyway), so it may be reviewed.  Returns (start, end)."""
    days = stack.db_query("SELECT days FROM orders WHERE id = ?", (order_id,))[0][0]
    start, end = day(-days), day(0)
    stack.db_execute(
        "UPDATE orders SET start_date = ?, end_date = ?,"
        " status = CASE status WHEN 'PAID' THEN 'WAIT_COMMENT' ELSE status END WHERE id = ?",
        (start, end, order_id))
    return start, end

