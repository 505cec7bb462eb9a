"""Houses (API.md "Houses", and "Orders" for the overlap rule of the search): publishing a
house with every field rule, its photos through the media pipeline, my houses, the house
page, the home page's index, the search with its filters, sorts and pages, the caches in
front of them, and the answers from SQLite when memcached does not answer — against the
real stack.

Orders are written straight into SQLite (POST /api/order is another issue), always before
the first API answer that could cache what they change.  The module's tests share one
stack, so each search test publishes in an area of its own (see AREA_* below)."""

import math
import os
import time
import unittest
import urllib.parse
import uuid

import harness
from guests import make_user, nights
from harness import ApiTestCase, jpeg_size, make_png, multipart, new_id_card

STACK = None


def setUpModule():
    global STACK
    # BASE_ENV already makes argon2id cheap; said here too since this module registers a lot.
    STACK = harness.Stack(name="house", env={"IHOME_PASSWORD_MEMLIMIT_KIB": "8192",
                                             "IHOME_PASSWORD_OPSLIMIT": "1"}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


AREA_NAMES = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区",
              "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区"]
FACILITY_NAMES = ["无线网络", "热水淋浴", "空调", "暖气", "允许吸烟", "饮水设备", "牙具", "香皂", "拖鞋",
                  "手纸", "毛巾", "沐浴露、洗发露", "冰箱", "洗衣机", "电梯", "允许做饭", "允许带宠物",
                  "允许聚会", "门禁系统", "停车位", "有线网络", "电视", "浴缸", "吹风机"]

# Areas.  The field-rule, image, info and index tests publish in AREA_DEFAULT (and 2, 5,
# 15, 16 for the district rules); each search test owns one area nobody else publishes in.
AREA_DEFAULT = 1
AREA_MY = (3, 4)
AREA_SORT = 9
AREA_PAGES = 10
AREA_DATES = 11
AREA_FRESH = 12
AREA_OWNER = 13
AREA_IMAGE = 6
AREA_EMPTY = 14          # nobody ever publishes here

MEDIA_URL_RE = r"^/media/[A-Za-z0-9_-]{43}\.jpg$"
TIMESTAMP_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
UNKNOWN_HOUSE = 2147483647

MY_KEYS = {"house_id", "title", "area_name", "price", "address", "room_count", "order_count",
           "img_url", "ctime", "status"}
LIST_KEYS = {"house_id", "title", "price", "area_name", "address", "room_count", "order_count",
             "img_url", "user_avatar", "ctime"}
INFO_KEYS = {"hid", "user_id", "user_name", "user_avatar", "title", "price", "address",
             "room_count", "acreage", "unit", "capacity", "beds", "deposit", "min_days",
             "max_days", "order_count", "images", "facilities", "comments", "status"}
INFO_KEYS |= {"favorite_count"}   # API.md Favourites (tests/integration/favorites_test.py)
INFO_KEYS |= {"weekend_price", "cleaning_fee", "weekly_discount", "monthly_discount"}  # API.md Pricing


# ----- test files (harness.make_png) -----------------------------------------------------

SMALL_PNG = make_png(16, 12)


# ----- request bodies -------------------------------------------------------------------

OMIT = object()


def house_body(**over):
    """A valid newhouse body with every field; `over` replaces fields (OMIT drops one)."""
    body = {"title": "整租·阳光两居", "price": "298.50", "district": AREA_DEFAULT,
            "address": "东城区东四北大街1号", "room_count": 2, "acreage": 80,
            "house_unit": "两室一厅", "house_capacity": 4, "beds": "双人床2张", "deposit": "500",
            "min_days": 1, "max_days": 0, "facility": [1, 2, 3]}
    return _apply(body, over)


def minimal_body(**over):
    """Only the required fields."""
    body = {"title": "一居室", "price": "100", "district": AREA_DEFAULT, "address": "某街2号",
            "room_count": 1, "acreage": 30, "house_capacity": 2}
    return _apply(body, over)


def _apply(body, over):
    for k, v in over.items():
        if v is OMIT:
            body.pop(k, None)
        else:
            body[k] = v
    return body


class HouseCase(ApiTestCase):
    """Helpers shared by every house test; `st` is the stack they drive."""

    @property
    def st(self):
        return STACK

    # -- users ---------------------------------------------------------------------------
    def user(self, verified=True):
        return make_user(self.st, verified)

    def anon(self):
        return harness.Client(self.st)

    def viewer(self):
        """A logged-in visitor: sees every write at once (API.md "Freshness"), where an
        anonymous one may get an answer of nginx's micro-cache up to 1 s old."""
        return self.user(verified=False)

    def set_avatar(self, c):
        body, ctype = multipart(files=[("avatar", "a.png", "image/png", make_png(64, 64))])
        r = c.post("/api/profile/avatar", raw=body, content_type=ctype)
        self.assertOk(r, "avatar upload")
        return r.json["url"]

    # -- houses --------------------------------------------------------------------------
    def post_house(self, c, body):
        return c.post("/api/house/newhouse", body)

    def new_house(self, c, body=None, **over):
        body = house_body(**over) if body is None else body
        r = self.post_house(c, body)
        self.assertOk(r, "newhouse %r" % (body,))
        self.assertEqual(r.json.get("errmsg"), "OK", r.describe())
        hid = r.json.get("house_id")
        self.assertIs(type(hid), int, "house_id is not an integer: " + r.describe())
        self.assertGreater(hid, 0)
        return hid

    def upload(self, c, house_id, data, field="house_image", filename="p.png",
               ctype="image/png", csrf=True):
        fields = [] if house_id is None else [("house_id", str(house_id))]
        body, content_type = multipart(fields=fields, files=[(field, filename, ctype, data)])
        return c.post("/api/house/image", raw=body, content_type=content_type, csrf=csrf)

    def add_image(self, c, house_id, data=SMALL_PNG):
        r = self.upload(c, house_id, data)
        self.assertOk(r, "house image upload")
        self.assertEqual(r.json.get("errmsg"), "OK", r.describe())
        self.assertRegex(r.json.get("url") or "", MEDIA_URL_RE)
        return r.json["url"]

    def info(self, c, house_id):
        r = c.get("/api/house/info", {"house_id": house_id})
        self.assertOk(r, "info of house %s" % house_id)
        return r.json["data"]

    def my(self, c):
        r = c.get("/api/house/my")
        self.assertOk(r, "my houses")
        return r.json["data"]["houses"]

    def search(self, c, **params):
        r = c.get("/api/house/list", params)
        self.assertOk(r, "list %r" % (params,))
        return r.json["data"]

    def search_ids(self, c, **params):
        return [h["house_id"] for h in self.search(c, **params)["houses"]]

    # -- database --------------------------------------------------------------------------
    def houses_of(self, user_id):
        return self.st.db_query("SELECT COUNT(*) FROM houses WHERE user_id = ?", (user_id,))[0][0]

    def all_houses(self):
        return self.st.db_query("SELECT COUNT(*) FROM houses")[0][0]

    def row(self, house_id, columns):
        rows = self.st.db_query("SELECT %s FROM houses WHERE id = ?" % columns, (house_id,))
        self.assertEqual(len(rows), 1, "house %s not in the database" % house_id)
        return rows[0]

    def set_order_count(self, house_id, n):
        self.st.db_execute("UPDATE houses SET order_count = ? WHERE id = ?", (n, house_id))

    def max_order_count(self):
        return self.st.db_query("SELECT COALESCE(MAX(order_count), 0) FROM houses")[0][0]

    def insert_order(self, house_id, guest_id, start, end, status, comment=None, at=None):
        days = nights(start, end)
        at = at or time.strftime("%Y-%m-%d %H:%M:%S")
        self.st.db_execute(
            "INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount,"
            " status, comment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guest_id, house_id, start, end, days, 10000, days * 10000, status, comment, at, at))

    def media_files(self):
        return sorted(os.listdir(os.path.join(self.st.var, "media")))

    def assertTimestampNow(self, value, msg=""):
        self.assertRegex(value or "", TIMESTAMP_RE, msg)
        when = time.mktime(time.strptime(value, "%Y-%m-%d %H:%M:%S"))
        self.assertLess(abs(when - time.time()), 300,
                        "%s: %r is not the server's local time now" % (msg, value))


# ===== catalogs =========================================================================

class Catalogs(HouseCase):
    def test_area_list_is_the_16_beijing_districts(self):
        r = self.anon().get("/api/house/area")
        body = self.assertOk(r)
        self.assertEqual(body["errmsg"], "OK")
        self.assertEqual(body["data"], [{"aid": i + 1, "aname": n} for i, n in enumerate(AREA_NAMES)])
        self.assertEqual(body["data"][0], {"aid": 1, "aname": "东城区"})

    def test_area_list_is_the_same_when_served_from_the_cache(self):
        c = self.anon()
        first = self.assertOk(c.get("/api/house/area"))
        second = self.assertOk(c.get("/api/house/area"))
        self.assertEqual(first["data"], second["data"])

    def test_facility_list_is_the_24_facilities(self):
        r = self.anon().get("/api/house/facility")
        body = self.assertOk(r)
        self.assertEqual(body["data"], [{"fid": i + 1, "name": n} for i, n in enumerate(FACILITY_NAMES)])

    def test_wrong_method_is_405(self):
        c = self.anon()
        for path in ("/api/house/area", "/api/house/facility", "/api/house/my", "/api/house/info",
                     "/api/house/index", "/api/house/list"):
            with self.subTest(method="POST", path=path):
                self.assertJsonAnswer(c.post(path, {}), 405, 4201)
        for path in ("/api/house/newhouse", "/api/house/image"):
            with self.subTest(method="GET", path=path):
                self.assertJsonAnswer(c.get(path), 405, 4201)

    def test_house_answers_are_json_with_no_store_except_the_area_list(self):
        # API.md: no-store unless said otherwise; only the area list may be public.
        c = self.anon()
        for path in ("/api/house/facility", "/api/house/index", "/api/house/list",
                     "/api/house/info?house_id=%d" % UNKNOWN_HOUSE, "/api/house/my"):
            with self.subTest(path=path):
                r = c.get(path)
                self.assertIsInstance(r.json, dict, r.describe())
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(harness.normalize_content_type(r.content_type), harness.JSON_CONTENT_TYPE)
                self.assertNoStore(r, path)


# ===== POST /api/house/newhouse ===========================================================

class NewHouseBasics(HouseCase):
    def test_newhouse_answers_house_id_and_stores_every_field(self):
        owner = self.user()
        hid = self.new_house(owner, house_body(min_days=2, max_days=30, facility=[3, 1, 2]))
        house = self.info(owner, hid)["house"]
        self.assertEqual(set(house), INFO_KEYS)
        expected = {"hid": hid, "user_id": owner.user_id, "user_name": owner.mobile,
                    "user_avatar": None, "title": "整租·阳光两居", "price": "298.50",
                    "address": "东城区东四北大街1号", "room_count": 2, "acreage": 80,
                    "unit": "两室一厅", "capacity": 4, "beds": "双人床2张", "deposit": "500.00",
                    "min_days": 2, "max_days": 30, "order_count": 0, "status": "online", "images": [],
                    "facilities": [1, 2, 3], "comments": [], "favorite_count": 0,
                    "weekend_price": "", "cleaning_fee": "0.00", "weekly_discount": 0,
                    "monthly_discount": 0}
        self.assertEqual(house, expected)
        self.assertEqual(tuple(self.row(hid, "user_id, area_id, price, deposit, index_image")),
                         (owner.user_id, AREA_DEFAULT, 29850, 50000, None))
        facilities = self.st.db_query("SELECT facility_id FROM house_facilities WHERE house_id = ?"
                                      " ORDER BY facility_id", (hid,))
        self.assertEqual([f[0] for f in facilities], [1, 2, 3])

    def test_optional_fields_default_to_empty_zero_one_and_no_limit(self):
        owner = self.user()
        hid = self.new_house(owner, minimal_body())
        house = self.info(owner, hid)["house"]
        self.assertEqual((house["unit"], house["beds"], house["deposit"], house["min_days"],
                          house["max_days"], house["facilities"]), ("", "", "0.00", 1, 0, []))

    def test_integers_and_money_as_numeric_strings_like_the_classic_front_end(self):
        owner = self.user()
        body = {"title": "字符串房", "price": "188", "district": "3", "address": "朝阳路3号",
                "room_count": "3", "acreage": "95", "house_unit": "三室", "house_capacity": "6",
                "beds": "", "deposit": "1000", "min_days": "2", "max_days": "10",
                "facility": ["7", "1"]}
        hid = self.new_house(owner, body)
        house = self.info(owner, hid)["house"]
        self.assertEqual((house["price"], house["room_count"], house["acreage"], house["capacity"],
                          house["deposit"], house["min_days"], house["max_days"], house["facilities"]),
                         ("188.00", 3, 95, 6, "1000.00", 2, 10, [1, 7]))
        self.assertEqual(self.row(hid, "area_id")[0], 3)

    def test_an_urlencoded_body_is_accepted_with_the_same_field_names(self):
        owner = self.user()
        form = [("title", "表单房"), ("price", "66.6"), ("district", "2"), ("address", "西单1号"),
                ("room_count", "1"), ("acreage", "20"), ("house_capacity", "1"), ("min_days", "1"),
                ("facility", "9"), ("facility", "4")]
        r = owner.post("/api/house/newhouse", raw=urllib.parse.urlencode(form).encode(),
                       content_type="application/x-www-form-urlencoded")
        self.assertOk(r)
        house = self.info(owner, r.json["house_id"])["house"]
        self.assertEqual((house["title"], house["price"], house["capacity"], house["facilities"]),
                         ("表单房", "66.60", 1, [4, 9]))

    def test_a_body_that_is_not_a_json_object_is_4103(self):
        owner = self.user()
        for raw in (b"[1, 2]", b'{"title": ', b"null", b'"title"'):
            with self.subTest(raw=raw):
                r = owner.post("/api/house/newhouse", raw=raw, content_type="application/json")
                self.assertJsonAnswer(r, 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), 0)


class NewHouseAccess(HouseCase):
    def test_newhouse_without_real_name_auth_is_4105_and_writes_no_house(self):
        c = self.user(verified=False)
        r = self.post_house(c, house_body())
        self.assertJsonAnswer(r, 200, 4105)
        self.assertEqual(self.houses_of(c.user_id), 0)
        # The same body once verified goes through: the 4105 was the real-name rule.
        self.assertOk(c.post("/api/profile/auth", {"real_name": "李四", "id_card": new_id_card()}))
        self.new_house(c, house_body())
        self.assertEqual(self.houses_of(c.user_id), 1)

    def test_newhouse_without_login_is_4101_and_writes_no_house(self):
        before = self.all_houses()
        r = self.post_house(self.anon(), house_body())
        self.assertJsonAnswer(r, 200, 4101)
        self.assertEqual(self.all_houses(), before)

    def test_newhouse_without_or_with_a_wrong_csrf_token_is_403(self):
        owner = self.user()
        for token in (False, "x" * 32):
            with self.subTest(token=token):
                r = owner.post("/api/house/newhouse", house_body(), csrf=token)
                self.assertJsonAnswer(r, 403, 4201)
        self.assertEqual(self.houses_of(owner.user_id), 0)


class NewHouseMoney(HouseCase):
    def test_price_forms_accepted_and_shown_with_two_decimals(self):
        owner = self.user()
        cases = [("298.5", "298.50", 29850), ("298.50", "298.50", 29850), ("298", "298.00", 29800),
                 (298.5, "298.50", 29850), (298, "298.00", 29800), ("0.01", "0.01", 1),
                 (0.01, "0.01", 1), (19.99, "19.99", 1999), (0.29, "0.29", 29),
                 ("1000000", "1000000.00", 100000000), (1000000, "1000000.00", 100000000),
                 ("1000000.00", "1000000.00", 100000000), ("999999.99", "999999.99", 99999999)]
        for price, shown, fen in cases:
            with self.subTest(price=price):
                hid = self.new_house(owner, house_body(price=price))
                self.assertEqual(self.info(owner, hid)["house"]["price"], shown)
                self.assertEqual(self.row(hid, "price")[0], fen)

    def test_price_written_as_a_json_number_with_two_decimals_is_accepted(self):
        owner = self.user()
        raw = ('{"title":"t","price":298.50,"district":1,"address":"a","room_count":1,'
               '"acreage":10,"house_capacity":1}').encode()
        r = owner.post("/api/house/newhouse", raw=raw, content_type="application/json")
        self.assertOk(r)
        self.assertEqual(self.info(owner, r.json["house_id"])["house"]["price"], "298.50")

    def test_bad_prices_are_4103_and_write_nothing(self):
        owner = self.user()
        bad = ["298.555", 298.555, "0.001", "1e3", "-1", -1, "-0.01", "0", 0, "0.00", 0.0,
               "1000000.01", 1000000.01, "1000001", 1000001, ".5", "298.", "", "   ", "abc",
               "12,5", "NaN", "inf", True, False, None, [], {}, [298]]
        for price in bad:
            with self.subTest(price=price):
                self.assertJsonAnswer(self.post_house(owner, house_body(price=price)), 200, 4103)
        with self.subTest(price="missing"):
            self.assertJsonAnswer(self.post_house(owner, house_body(price=OMIT)), 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), 0)

    def test_deposit_forms_accepted_from_zero_to_a_million(self):
        owner = self.user()
        cases = [("0", "0.00", 0), (0, "0.00", 0), ("0.00", "0.00", 0), (0.5, "0.50", 50),
                 ("12.3", "12.30", 1230), (19.99, "19.99", 1999), ("1000000", "1000000.00", 100000000),
                 (1000000, "1000000.00", 100000000), (OMIT, "0.00", 0)]
        for deposit, shown, fen in cases:
            with self.subTest(deposit="missing" if deposit is OMIT else deposit):
                hid = self.new_house(owner, house_body(deposit=deposit))
                self.assertEqual(self.info(owner, hid)["house"]["deposit"], shown)
                self.assertEqual(self.row(hid, "deposit")[0], fen)

    def test_bad_deposits_are_4103_and_write_nothing(self):
        owner = self.user()
        bad = ["-0.01", -1, "1000000.01", 1000000.01, "1.234", 1.234, "1e3", ".5", "5.", "",
               "abc", True, False, [], {}]
        for deposit in bad:
            with self.subTest(deposit=deposit):
                self.assertJsonAnswer(self.post_house(owner, house_body(deposit=deposit)), 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), 0)

    def test_a_null_deposit_is_4103_not_the_default(self):
        owner = self.user()
        self.assertJsonAnswer(self.post_house(owner, house_body(deposit=None)), 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), 0)


class NewHouseText(HouseCase):
    def check_text(self, field, shown, ok, bad):
        owner = self.user()
        for value in ok:
            with self.subTest(field=field, value=value):
                hid = self.new_house(owner, house_body(**{field: value}))
                self.assertEqual(self.info(owner, hid)["house"][shown], value.strip())
        made = self.houses_of(owner.user_id)
        for value in bad:
            with self.subTest(field=field, value=value):
                r = self.post_house(owner, house_body(**{field: value}))
                self.assertJsonAnswer(r, 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), made, "a rejected body wrote a house")

    def test_title_is_1_to_64_code_points_trimmed_without_control_characters(self):
        self.check_text("title", "title", ["a", "爱" * 64, "  整租 小屋  "],
                        ["", "   ", "爱" * 65, "a\x07b", "a\nb", "\x00", "a\x7fb", "a\u0085b", 42, None,
                         ["t"], OMIT])

    def test_address_is_1_to_256_code_points(self):
        self.check_text("address", "address", ["a", "爱" * 256, " 某街3号 "],
                        ["", "  ", "爱" * 257, "a\x00b", "街\x1f道", None, ["a"], OMIT])

    def test_house_unit_is_0_to_64_code_points(self):
        self.check_text("house_unit", "unit", ["", "爱" * 64, " 一室一厅 "],
                        ["爱" * 65, "x\x1fy", ["一室"], {}])

    def test_beds_is_0_to_64_code_points(self):
        self.check_text("beds", "beds", ["", "床" * 64, " 单人床1张 "],
                        ["床" * 65, "x\ty", ["床"], {}])


BAD_INTEGERS = [1.5, "1.5", "abc", "", True, False, [1], {}, "1e1", 2 ** 63, "99999999999999999999"]


class NewHouseIntegers(HouseCase):
    def check_integer(self, field, shown, ok, bad, body=house_body):
        owner = self.user()
        for value, expected in ok:
            with self.subTest(field=field, value=value):
                hid = self.new_house(owner, body(**{field: value}))
                self.assertEqual(self.info(owner, hid)["house"][shown], expected)
        made = self.houses_of(owner.user_id)
        for value in bad:
            with self.subTest(field=field, value=value):
                self.assertJsonAnswer(self.post_house(owner, body(**{field: value})), 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), made, "a rejected body wrote a house")

    def test_room_count_is_1_to_100(self):
        self.check_integer("room_count", "room_count", [(1, 1), (100, 100), ("7", 7)],
                           [0, 101, -1, "0", "101", None, OMIT] + BAD_INTEGERS)

    def test_acreage_is_an_integer_1_to_100000(self):
        self.check_integer("acreage", "acreage", [(1, 1), (100000, 100000), ("250", 250)],
                           [0, 100001, -5, "100001", 80.5, None, OMIT] + BAD_INTEGERS)

    def test_house_capacity_is_1_to_100(self):
        self.check_integer("house_capacity", "capacity", [(1, 1), (100, 100), ("12", 12)],
                           [0, 101, -1, None, OMIT] + BAD_INTEGERS)

    def test_min_days_is_1_to_3650_default_1(self):
        self.check_integer("min_days", "min_days", [(1, 1), (3650, 3650), ("30", 30), (OMIT, 1)],
                           [0, 3651, -1, "0"] + BAD_INTEGERS)

    def test_max_days_is_0_or_min_days_to_3650_default_0(self):
        owner = self.user()
        ok = [(1, 0, 0), (1, 1, 1), (5, 5, 5), (5, 6, 6), (1, 3650, 3650), (3650, 3650, 3650),
              (3650, 0, 0), (2, "0", 0), (2, "9", 9), (4, OMIT, 0)]
        for min_days, max_days, expected in ok:
            with self.subTest(min_days=min_days, max_days=max_days):
                hid = self.new_house(owner, house_body(min_days=min_days, max_days=max_days))
                house = self.info(owner, hid)["house"]
                self.assertEqual((house["min_days"], house["max_days"]), (min_days, expected))
        made = self.houses_of(owner.user_id)
        bad = [(5, 4), (2, 1), (3650, 3649), (1, 3651), (1, -1), (OMIT, 3651), (10, "9")]
        bad += [(1, v) for v in BAD_INTEGERS]
        for min_days, max_days in bad:
            with self.subTest(min_days=min_days, max_days=max_days):
                r = self.post_house(owner, house_body(min_days=min_days, max_days=max_days))
                self.assertJsonAnswer(r, 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), made, "a rejected body wrote a house")


class NewHouseArea(HouseCase):
    def test_district_is_an_existing_area_1_to_16(self):
        owner = self.user()
        for value, expected in [(1, 1), (16, 16), ("15", 15)]:
            with self.subTest(district=value):
                hid = self.new_house(owner, house_body(district=value))
                self.assertEqual(self.row(hid, "area_id")[0], expected)
        made = self.houses_of(owner.user_id)
        for value in [0, 17, -1, "0", "17", None, OMIT] + BAD_INTEGERS:
            with self.subTest(district=value):
                self.assertJsonAnswer(self.post_house(owner, house_body(district=value)), 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), made)

    def test_area_id_is_an_alias_of_district(self):
        owner = self.user()
        hid = self.new_house(owner, house_body(district=OMIT, area_id=2))
        hid2 = self.new_house(owner, house_body(district=OMIT, area_id="5"))
        self.assertEqual(self.row(hid, "area_id")[0], 2)
        self.assertEqual(self.row(hid2, "area_id")[0], 5)
        names = {h["house_id"]: h["area_name"] for h in self.my(owner)}
        self.assertEqual(names, {hid: "西城区", hid2: "丰台区"})
        for value in (0, 17, "abc"):
            with self.subTest(area_id=value):
                r = self.post_house(owner, house_body(district=OMIT, area_id=value))
                self.assertJsonAnswer(r, 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), 2)


class NewHouseFacilities(HouseCase):
    def test_facility_lists_are_stored_ascending_with_duplicates_merged(self):
        owner = self.user()
        cases = [([], []), ([3, 1, 2], [1, 2, 3]), ([2, 2, 5, 5, 2], [2, 5]), ([24], [24]),
                 (list(range(24, 0, -1)), list(range(1, 25))), (["3", "1"], [1, 3]),
                 (OMIT, [])]
        for facility, expected in cases:
            with self.subTest(facility="missing" if facility is OMIT else facility):
                hid = self.new_house(owner, house_body(facility=facility))
                self.assertEqual(self.info(owner, hid)["house"]["facilities"], expected)
                rows = self.st.db_query("SELECT facility_id FROM house_facilities WHERE house_id = ?"
                                        " ORDER BY facility_id", (hid,))
                self.assertEqual([r[0] for r in rows], expected)

    def test_unknown_or_malformed_facility_ids_are_4103(self):
        owner = self.user()
        bad = [[25], [0], [-1], [1, 99], [1, 2, 25], [1.5], [None], [True], ["abc"], [[1]], [""],
               ["1e1"]]
        for facility in bad:
            with self.subTest(facility=facility):
                self.assertJsonAnswer(self.post_house(owner, house_body(facility=facility)), 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), 0)

    def test_a_json_facility_that_is_not_a_list_is_4103(self):
        owner = self.user()
        for facility in ["1", 1, "1,2", "[1]", {"1": 1}, True]:
            with self.subTest(facility=facility):
                self.assertJsonAnswer(self.post_house(owner, house_body(facility=facility)), 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), 0)

    def test_a_newhouse_with_an_unknown_facility_id_writes_no_house_row(self):
        owner = self.user()
        houses_before = self.all_houses()
        links_before = self.st.db_query("SELECT COUNT(*) FROM house_facilities")[0][0]
        # Known ids first, so a handler inserting one by one would have written some.
        r = self.post_house(owner, house_body(facility=[1, 2, 3, 4, 999]))
        self.assertJsonAnswer(r, 200, 4103)
        self.assertEqual(self.houses_of(owner.user_id), 0)
        self.assertEqual(self.all_houses(), houses_before)
        self.assertEqual(self.st.db_query("SELECT COUNT(*) FROM house_facilities")[0][0], links_before)
        orphans = self.st.db_query("SELECT COUNT(*) FROM house_facilities WHERE house_id NOT IN"
                                   " (SELECT id FROM houses)")[0][0]
        self.assertEqual(orphans, 0)
        self.assertEqual(self.my(owner), [])


# ===== POST /api/house/image ==============================================================

class HouseImages(HouseCase):
    def test_image_is_a_jpeg_fitted_into_1600_square_served_by_nginx(self):
        owner = self.user()
        hid = self.new_house(owner)
        for (w, h), expected in [((2000, 1000), (1600, 800)), ((1000, 2000), (800, 1600)),
                                 ((120, 90), (120, 90))]:
            with self.subTest(size=(w, h)):
                url = self.add_image(owner, hid, make_png(w, h))
                media = self.anon().get(url)
                self.assertEqual(media.status, 200, media.describe())
                self.assertEqual(media.header("Content-Type"), "image/jpeg")
                self.assertEqual(media.body[:3], b"\xff\xd8\xff")
                self.assertEqual(jpeg_size(media.body), expected)

    def test_first_image_is_the_index_image_and_info_lists_images_in_upload_order(self):
        owner = self.user()
        hid = self.new_house(owner)
        self.assertIsNone(self.my(owner)[0]["img_url"])
        urls = [self.add_image(owner, hid, make_png(20 + i, 20)) for i in range(3)]
        self.assertEqual(len(set(urls)), 3)
        self.assertEqual(self.info(owner, hid)["house"]["images"], urls)
        self.assertEqual(self.my(owner)[0]["img_url"], urls[0])
        self.assertEqual(self.row(hid, "index_image")[0], urls[0].rsplit("/", 1)[1])

    def test_the_21st_image_is_4004_and_leaves_no_file(self):
        owner = self.user()
        hid = self.new_house(owner)
        urls = [self.add_image(owner, hid) for _ in range(20)]
        files = self.media_files()
        r = self.upload(owner, hid, SMALL_PNG)
        self.assertJsonAnswer(r, 200, 4004)
        self.assertEqual(self.media_files(), files)
        self.assertEqual(self.st.db_query("SELECT COUNT(*) FROM house_images WHERE house_id = ?",
                                          (hid,))[0][0], 20)
        self.assertEqual(self.info(owner, hid)["house"]["images"], urls)

    def test_image_of_an_unknown_house_is_4002(self):
        owner = self.user()
        self.assertJsonAnswer(self.upload(owner, UNKNOWN_HOUSE, SMALL_PNG), 200, 4002)

    def test_image_on_someone_elses_house_is_4105(self):
        owner, other = self.user(), self.user()
        hid = self.new_house(owner)
        files = self.media_files()
        self.assertJsonAnswer(self.upload(other, hid, SMALL_PNG), 200, 4105)
        self.assertEqual(self.media_files(), files)
        self.assertEqual(self.info(owner, hid)["house"]["images"], [])
        self.assertIsNone(self.row(hid, "index_image")[0])

    def test_image_without_login_is_4101(self):
        owner = self.user()
        hid = self.new_house(owner)
        self.assertJsonAnswer(self.upload(self.anon(), hid, SMALL_PNG), 200, 4101)
        self.assertEqual(self.info(owner, hid)["house"]["images"], [])

    def test_not_an_image_is_4004(self):
        owner = self.user()
        hid = self.new_house(owner)
        files = self.media_files()
        png = make_png(200, 200)
        for data, ctype in [(b"just some text, not a picture", "image/png"),
                            (b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>', "image/jpeg"),
                            (png[:len(png) // 2], "image/png")]:
            with self.subTest(data=data[:20]):
                self.assertJsonAnswer(self.upload(owner, hid, data, ctype=ctype), 200, 4004)
        self.assertEqual(self.media_files(), files)
        self.assertEqual(self.info(owner, hid)["house"]["images"], [])
        self.assertIsNone(self.my(owner)[0]["img_url"])

    def test_missing_or_malformed_house_id_or_file_is_4103(self):
        owner = self.user()
        hid = self.new_house(owner)
        for house_id in (None, "", "abc", "0", "-3", "1.5"):
            with self.subTest(house_id=house_id):
                self.assertJsonAnswer(self.upload(owner, house_id, SMALL_PNG), 200, 4103)
        with self.subTest(file="missing"):
            self.assertJsonAnswer(self.upload(owner, hid, SMALL_PNG, field="photo"), 200, 4103)
        self.assertEqual(self.info(owner, hid)["house"]["images"], [])

    def test_the_file_part_may_come_before_the_house_id_field(self):
        owner = self.user()
        hid = self.new_house(owner)
        boundary = "----ihome" + uuid.uuid4().hex
        body = ("--%s\r\nContent-Disposition: form-data; name=\"house_image\"; filename=\"p.png\"\r\n"
                "Content-Type: image/png\r\n\r\n" % boundary).encode() + SMALL_PNG + (
                "\r\n--%s\r\nContent-Disposition: form-data; name=\"house_id\"\r\n\r\n%d\r\n--%s--\r\n"
                % (boundary, hid, boundary)).encode()
        r = owner.post("/api/house/image", raw=body, content_type="multipart/form-data; boundary=" + boundary)
        self.assertOk(r)
        self.assertEqual(self.info(owner, hid)["house"]["images"], [r.json["url"]])

    def test_image_without_csrf_is_403(self):
        owner = self.user()
        hid = self.new_house(owner)
        self.assertJsonAnswer(self.upload(owner, hid, SMALL_PNG, csrf=False), 403, 4201)
        self.assertEqual(self.info(owner, hid)["house"]["images"], [])


# ===== GET /api/house/my ==================================================================

class MyHouses(HouseCase):
    def test_my_houses_newest_first_with_their_fields(self):
        owner, other = self.user(), self.user()
        self.assertEqual(self.my(owner), [])
        a = self.new_house(owner, house_body(title="我的第一套", district=AREA_MY[0], price="298.5",
                                             address="朝阳区建国路8号", room_count=3))
        self.new_house(other, house_body(title="别人的"))
        b = self.new_house(owner, minimal_body(title="我的第二套", district=AREA_MY[1], price=100,
                                               address="海淀区中关村1号"))
        url = self.add_image(owner, a)
        houses = self.my(owner)
        self.assertEqual([h["house_id"] for h in houses], [b, a])
        for h in houses:
            self.assertEqual(set(h), MY_KEYS)
            self.assertTimestampNow(h["ctime"], "ctime")
        self.assertEqual({k: v for k, v in houses[1].items() if k != "ctime"},
                         {"house_id": a, "title": "我的第一套", "area_name": "朝阳区", "price": "298.50",
                          "address": "朝阳区建国路8号", "room_count": 3, "order_count": 0, "img_url": url,
                          "status": "online"})
        self.assertEqual({k: v for k, v in houses[0].items() if k != "ctime"},
                         {"house_id": b, "title": "我的第二套", "area_name": "海淀区", "price": "100.00",
                          "address": "海淀区中关村1号", "room_count": 1, "order_count": 0, "img_url": None,
                          "status": "online"})

    def test_my_houses_needs_login(self):
        self.assertJsonAnswer(self.anon().get("/api/house/my"), 200, 4101)


# ===== GET /api/house/info ================================================================

class HouseInfo(HouseCase):
    def test_info_shows_every_field_with_comments_of_completed_stays_newest_first(self):
        owner, g1, g2 = self.user(), self.user(verified=False), self.user(verified=False)
        name = "房东" + uuid.uuid4().hex[:8]
        self.assertOk(owner.post("/api/profile/name", {"name": name}))
        avatar = self.set_avatar(owner)
        hid = self.new_house(owner, house_body(title="四合院", price=520, deposit="88.8",
                                               address="东城区南锣鼓巷9号", room_count=4,
                                               acreage=160, house_unit="四室两厅",
                                               house_capacity=8, beds="双人床4张",
                                               min_days=2, max_days=30, facility=[24, 5, 1]))
        # Orders straight into SQLite, before anything could cache this house.
        self.insert_order(hid, g1.user_id, "2026-01-01", "2026-01-03", "COMPLETE",
                          "住得很舒服", at="2026-01-02 09:00:00")
        self.insert_order(hid, g2.user_id, "2026-01-04", "2026-01-06", "COMPLETE",
                          "胡同里很安静", at="2026-01-03 10:30:00")
        self.insert_order(hid, g1.user_id, "2026-02-01", "2026-02-03", "REJECTED",
                          "拒绝理由不是评论", at="2026-01-04 08:00:00")
        self.insert_order(hid, g2.user_id, "2026-03-01", "2026-03-03", "WAIT_COMMENT",
                          None, at="2026-01-05 08:00:00")
        self.set_order_count(hid, 2)
        urls = [self.add_image(owner, hid, make_png(30, 20)), self.add_image(owner, hid, make_png(20, 30))]
        data = self.info(owner, hid)
        self.assertEqual(set(data), {"user_id", "house"})
        house = data["house"]
        self.assertEqual(house.pop("favorite_count"), 0)
        self.assertEqual(house, {
            "hid": hid, "user_id": owner.user_id, "user_name": name, "user_avatar": avatar,
            "title": "四合院", "price": "520.00", "address": "东城区南锣鼓巷9号", "room_count": 4,
            "acreage": 160, "unit": "四室两厅", "capacity": 8, "beds": "双人床4张",
            "deposit": "88.80", "min_days": 2, "max_days": 30, "order_count": 2,
            "status": "online", "images": urls, "facilities": [1, 5, 24],
            "weekend_price": "", "cleaning_fee": "0.00", "weekly_discount": 0, "monthly_discount": 0,
            "comments": [
                {"user_name": g2.mobile, "ctime": "2026-01-03 10:30:00", "comment": "胡同里很安静"},
                {"user_name": g1.mobile, "ctime": "2026-01-02 09:00:00", "comment": "住得很舒服"},
            ]})

    def test_viewer_id_is_the_logged_in_user_or_minus_1(self):
        owner, guest = self.user(), self.user(verified=False)
        hid = self.new_house(owner)
        # The owner's view first, so a cached answer must not carry the viewer along.
        first = self.info(owner, hid)
        self.assertEqual(first["user_id"], owner.user_id)
        anon = self.info(self.anon(), hid)
        self.assertEqual(anon["user_id"], -1)
        self.assertEqual(self.info(guest, hid)["user_id"], guest.user_id)
        self.assertEqual(self.info(owner, hid)["user_id"], owner.user_id)
        self.assertEqual(anon["house"], first["house"])
        self.assertEqual(anon["house"]["user_id"], owner.user_id)

    def test_unknown_house_is_4002(self):
        self.assertJsonAnswer(self.anon().get("/api/house/info", {"house_id": UNKNOWN_HOUSE}), 200, 4002)

    def test_malformed_house_id_is_4103(self):
        c = self.anon()
        for value in ("abc", "0", "-1", "1.5", "", "1e2", "0x10"):
            with self.subTest(house_id=value):
                self.assertJsonAnswer(c.get("/api/house/info", {"house_id": value}), 200, 4103)
        with self.subTest(house_id="missing"):
            self.assertJsonAnswer(c.get("/api/house/info"), 200, 4103)


# ===== GET /api/house/index ===============================================================

class HouseIndex(HouseCase):
    def test_index_is_at_most_5_most_booked_houses_with_an_image_ties_newest_first(self):
        owner = self.user()
        base = self.max_order_count() + 1000
        h1, h2, h3, h4, h5, h6, h7 = [self.new_house(owner, house_body(title="首页%d" % i))
                                      for i in range(1, 8)]
        counts = {h1: base + 500, h2: base + 500, h3: base + 900, h4: base + 300,
                  h5: base + 200, h6: base + 100, h7: base + 50}
        for hid, n in counts.items():
            self.set_order_count(hid, n)
        # Images through the API after the SQL writes: each upload refreshes the index.
        first = {hid: self.add_image(owner, hid) for hid in (h1, h2, h4, h5, h6, h7)}
        self.add_image(owner, h2)          # a second image does not replace the index image
        r = self.anon().get("/api/house/index")
        body = self.assertOk(r)
        self.assertEqual(body["data"], [{"house_id": h, "title": "首页%d" % n, "img_url": first[h]}
                                        for h, n in ((h2, 2), (h1, 1), (h4, 4), (h5, 5), (h6, 6))])

    def test_index_only_lists_houses_with_an_image(self):
        body = self.assertOk(self.anon().get("/api/house/index"))
        self.assertLessEqual(len(body["data"]), 5)
        for item in body["data"]:
            self.assertEqual(set(item), {"house_id", "title", "img_url"})
            self.assertRegex(item["img_url"] or "", MEDIA_URL_RE)
            n = self.st.db_query("SELECT COUNT(*) FROM house_images WHERE house_id = ?",
                                 (item["house_id"],))[0][0]
            self.assertGreater(n, 0, "house %s has no image" % item["house_id"])


# ===== GET /api/house/list ================================================================

class ListSorts(HouseCase):
    """Four houses of AREA_SORT (nobody else publishes there)."""

    @classmethod
    def setUpClass(cls):
        t = cls("run")
        cls.owner = t.user()
        cls.avatar = t.set_avatar(cls.owner)
        spec = [("A", 300, 2), ("B", 100, 5), ("C", 300, 5), ("D", 200, 0)]
        cls.ids = {}
        for name, price, _count in spec:
            cls.ids[name] = t.new_house(cls.owner, house_body(title="排序" + name, price=price,
                                                              district=AREA_SORT, room_count=2))
        for name, _price, count in spec:
            t.set_order_count(cls.ids[name], count)
        cls.url_a = t.add_image(cls.owner, cls.ids["A"])

    def order(self, names):
        return [self.ids[n] for n in names]

    def test_default_and_new_sort_newest_first(self):
        c = self.anon()
        self.assertEqual(self.search_ids(c, aid=AREA_SORT), self.order("DCBA"))
        self.assertEqual(self.search_ids(c, aid=AREA_SORT, sk="new"), self.order("DCBA"))

    def test_booking_sort_most_booked_then_newest(self):
        self.assertEqual(self.search_ids(self.anon(), aid=AREA_SORT, sk="booking"), self.order("CBAD"))

    def test_price_inc_sort_cheapest_then_newest(self):
        self.assertEqual(self.search_ids(self.anon(), aid=AREA_SORT, sk="price-inc"), self.order("BDCA"))

    def test_price_des_sort_dearest_then_newest(self):
        self.assertEqual(self.search_ids(self.anon(), aid=AREA_SORT, sk="price-des"), self.order("CADB"))

    def test_list_items_have_their_fields(self):
        data = self.search(self.anon(), aid=AREA_SORT, p=1)
        self.assertEqual((data["total_page"], data["current_page"]), (1, 1))
        items = {h["house_id"]: h for h in data["houses"]}
        for h in data["houses"]:
            self.assertEqual(set(h), LIST_KEYS)
            self.assertTimestampNow(h["ctime"], "ctime")
        a = dict(items[self.ids["A"]])
        a.pop("ctime")
        self.assertEqual(a, {"house_id": self.ids["A"], "title": "排序A", "price": "300.00",
                             "area_name": AREA_NAMES[AREA_SORT - 1], "address": "东城区东四北大街1号",
                             "room_count": 2, "order_count": 2, "img_url": self.url_a,
                             "user_avatar": self.avatar})
        self.assertIsNone(items[self.ids["B"]]["img_url"])
        self.assertEqual(items[self.ids["B"]]["price"], "100.00")
        self.assertEqual(items[self.ids["B"]]["order_count"], 5)


class ListPages(HouseCase):
    def test_pages_of_10_exactly_10_then_11_and_pages_past_the_end(self):
        owner = self.user()
        c = self.viewer()
        ids = [self.new_house(owner, minimal_body(title="分页%02d" % i, district=AREA_PAGES))
               for i in range(1, 11)]
        newest = ids[::-1]
        data = self.search(c, aid=AREA_PAGES)
        self.assertEqual(([h["house_id"] for h in data["houses"]], data["total_page"], data["current_page"]),
                         (newest, 1, 1))
        data = self.search(c, aid=AREA_PAGES, p=2)
        self.assertEqual((data["houses"], data["total_page"], data["current_page"]), ([], 1, 2))
        ids.append(self.new_house(owner, minimal_body(title="分页11", district=AREA_PAGES)))
        newest = ids[::-1]
        data = self.search(c, aid=AREA_PAGES, p=1)
        self.assertEqual(([h["house_id"] for h in data["houses"]], data["total_page"], data["current_page"]),
                         (newest[:10], 2, 1))
        data = self.search(c, aid=AREA_PAGES, p=2)
        self.assertEqual(([h["house_id"] for h in data["houses"]], data["total_page"], data["current_page"]),
                         (newest[10:], 2, 2))
        for p in (3, 999):
            data = self.search(c, aid=AREA_PAGES, p=p)
            self.assertEqual((data["houses"], data["total_page"], data["current_page"]), ([], 2, p))

    def test_a_page_far_past_the_end_is_empty_not_an_error(self):
        c = self.anon()
        total = self.search(c, aid=AREA_SORT)["total_page"]
        for p in (1000001, 99999999):
            with self.subTest(p=p):
                data = self.search(c, aid=AREA_SORT, p=p)
                self.assertEqual((data["houses"], data["total_page"], data["current_page"]),
                                 ([], total, p))

    def test_an_area_without_houses_has_0_pages(self):
        data = self.search(self.anon(), aid=AREA_EMPTY)
        self.assertEqual((data["houses"], data["total_page"], data["current_page"]), ([], 0, 1))
        data = self.search(self.anon(), aid=AREA_EMPTY, p=2)
        self.assertEqual((data["houses"], data["total_page"], data["current_page"]), ([], 0, 2))

    def test_all_areas_newest_first_counts_every_house(self):
        owner = self.user()
        self.new_house(owner, minimal_body(title="全城", district=AREA_DEFAULT))  # refreshes the list
        total = self.all_houses()
        newest = [r[0] for r in self.st.db_query("SELECT id FROM houses ORDER BY id DESC LIMIT 10")]
        data = self.search(self.anon())
        self.assertEqual(data["total_page"], math.ceil(total / 10))
        self.assertEqual([h["house_id"] for h in data["houses"]], newest)


class ListDates(HouseCase):
    """Houses of AREA_DATES: five with an order on 2030-03-10..15 (one per status), a free
    one and three with min/max days.  All orders are in SQLite before the first search."""

    START, END = "2030-03-10", "2030-03-15"

    @classmethod
    def setUpClass(cls):
        t = cls("run")
        owner = t.user()
        guest = t.user(verified=False)
        h = {}
        for name, min_days, max_days in [("free", 1, 0), ("wait", 1, 0), ("comment", 1, 0),
                                         ("complete", 1, 0), ("rejected", 1, 0),
                                         ("canceled", 1, 0), ("min3", 3, 0), ("max2", 1, 2),
                                         ("exact2", 2, 2)]:
            h[name] = t.new_house(owner, minimal_body(title="日期" + name, district=AREA_DATES,
                                                      min_days=min_days, max_days=max_days))
        for name, status in [("wait", "WAIT_ACCEPT"), ("comment", "WAIT_COMMENT"),
                             ("complete", "COMPLETE"), ("rejected", "REJECTED"),
                             ("canceled", "CANCELED")]:
            t.insert_order(h[name], guest.user_id, cls.START, cls.END, status)
        cls.h = h

    def found(self, sd, ed):
        ids = self.search_ids(self.anon(), aid=AREA_DATES, sd=sd, ed=ed)
        names = {v: k for k, v in self.h.items()}
        return [names.get(i, i) for i in ids]

    def expect(self, *left_out):
        """Names of the houses not left out, newest first."""
        return [n for n, _ in sorted(self.h.items(), key=lambda kv: -kv[1]) if n not in left_out]

    BUSY = ("wait", "comment", "complete")

    def test_without_dates_every_house_is_listed(self):
        ids = self.search_ids(self.anon(), aid=AREA_DATES)
        self.assertEqual(ids, sorted(self.h.values(), reverse=True))

    def test_checking_in_on_the_check_out_day_of_a_stay_is_allowed(self):
        self.assertEqual(self.found("2030-03-15", "2030-03-17"), self.expect("min3"))

    def test_checking_out_on_the_check_in_day_of_a_stay_is_allowed(self):
        self.assertEqual(self.found("2030-03-08", "2030-03-10"), self.expect("min3"))

    def test_sharing_the_last_night_of_a_stay_leaves_the_house_out(self):
        self.assertEqual(self.found("2030-03-14", "2030-03-16"), self.expect("min3", *self.BUSY))

    def test_sharing_the_first_night_of_a_stay_leaves_the_house_out(self):
        self.assertEqual(self.found("2030-03-09", "2030-03-11"), self.expect("min3", *self.BUSY))

    def test_a_night_inside_a_stay_leaves_the_house_out(self):
        self.assertEqual(self.found("2030-03-11", "2030-03-12"),
                         self.expect("min3", "exact2", *self.BUSY))

    def test_a_stay_covering_another_leaves_the_house_out(self):
        self.assertEqual(self.found("2030-03-01", "2030-03-31"),
                         self.expect("max2", "exact2", *self.BUSY))

    def test_rejected_and_canceled_orders_do_not_hold_their_nights(self):
        found = self.found("2030-03-12", "2030-03-14")
        self.assertIn("rejected", found)
        self.assertIn("canceled", found)
        for busy in self.BUSY:
            self.assertNotIn(busy, found)

    def test_min_days_and_max_days_bound_the_number_of_nights(self):
        # 3 nights: min_days 3 is enough, max_days 2 is not.
        self.assertEqual(self.found("2030-03-20", "2030-03-23"), self.expect("max2", "exact2"))
        # 2 nights: min_days 3 is too few; max_days 2 and exactly 2 fit.
        self.assertEqual(self.found("2030-03-20", "2030-03-22"), self.expect("min3"))
        # 1 night: only min_days 1 houses with room for it.
        self.assertEqual(self.found("2030-04-01", "2030-04-02"), self.expect("min3", "exact2"))

    def test_nights_are_counted_across_months_years_and_leap_days(self):
        self.assertEqual(self.found("2030-12-30", "2031-01-02"), self.expect("max2", "exact2"))
        self.assertEqual(self.found("2028-02-28", "2028-03-01"), self.expect("min3"))


class ListErrors(HouseCase):
    def test_bad_search_parameters_are_4103(self):
        c = self.anon()
        cases = [
            {"aid": "0"}, {"aid": "17"}, {"aid": "-1"}, {"aid": "abc"}, {"aid": "1.5"},
            {"sd": "2030-03-10"}, {"ed": "2030-03-12"},
            {"aid": "1", "sd": "2030-03-10"},
            {"sd": "2030-02-30", "ed": "2030-03-02"}, {"sd": "2027-02-29", "ed": "2027-03-02"},
            {"sd": "2030-13-01", "ed": "2030-13-03"}, {"sd": "2030-00-10", "ed": "2030-01-03"},
            {"sd": "2030-03-00", "ed": "2030-03-03"}, {"sd": "2100-02-29", "ed": "2100-03-02"},
            {"sd": "2030-1-5", "ed": "2030-01-07"}, {"sd": "2030-01-05", "ed": "2030-1-7"},
            {"sd": "20300105", "ed": "20300107"},
            {"sd": "tomorrow", "ed": "2030-01-07"}, {"sd": "2030-01-05", "ed": "later"},
            {"sd": "2030-03-10", "ed": "2030-03-10"}, {"sd": "2030-03-11", "ed": "2030-03-10"},
            {"sk": "cheap"}, {"sk": "price"},
            {"p": "0"}, {"p": "-1"}, {"p": "abc"}, {"p": "1.5"},
        ]
        for params in cases:
            with self.subTest(params=params):
                self.assertJsonAnswer(c.get("/api/house/list", params), 200, 4103)

    def test_good_search_parameters_are_accepted(self):
        c = self.anon()
        cases = [{}, {"aid": "1"}, {"aid": "16"}, {"sd": "2028-02-28", "ed": "2028-02-29"},
                 {"sd": "2032-02-29", "ed": "2032-03-01"},
                 {"sd": "2030-03-10", "ed": "2030-03-11", "aid": "2", "sk": "booking", "p": "1"},
                 {"sk": "new"}, {"sk": "booking"}, {"sk": "price-inc"}, {"sk": "price-des"}, {"p": "5"}]
        for params in cases:
            with self.subTest(params=params):
                data = self.search(c, **params)
                self.assertEqual(set(data), {"houses", "total_page", "current_page"})

    def test_empty_parameters_of_the_classic_front_end_mean_not_given(self):
        # The classic site asks /api/house/list?aid=&sd=&ed=&sk=&p= when nothing is chosen.
        c = self.viewer()
        r = c.get("/api/house/list?aid=&sd=&ed=&sk=&p=")
        body = self.assertOk(r)
        self.assertEqual(body["data"]["total_page"], self.search(c)["total_page"])
        self.assertEqual(body["data"]["current_page"], 1)


# ===== caches =============================================================================

class CacheInvalidation(HouseCase):
    def test_a_new_image_shows_at_once_in_info_and_index(self):
        owner = self.user()
        hid = self.new_house(owner, house_body(title="新图"))
        self.set_order_count(hid, self.max_order_count() + 100000)
        c = self.viewer()
        self.assertEqual(self.info(c, hid)["house"]["images"], [])          # now cached
        index = self.assertOk(c.get("/api/house/index"))["data"]            # now cached
        self.assertNotIn(hid, [i["house_id"] for i in index])
        url = self.add_image(owner, hid)
        self.assertEqual(self.info(c, hid)["house"]["images"], [url])
        index = self.assertOk(c.get("/api/house/index"))["data"]
        self.assertEqual(index[0], {"house_id": hid, "title": "新图", "img_url": url})
        second = self.add_image(owner, hid)
        self.assertEqual(self.info(c, hid)["house"]["images"], [url, second])

    def test_a_first_image_shows_at_once_in_my_houses_and_the_list(self):
        owner = self.user()
        c = self.viewer()
        hid = self.new_house(owner, minimal_body(title="列表图", district=AREA_IMAGE))
        self.assertIsNone(self.search(c, aid=AREA_IMAGE)["houses"][0]["img_url"])   # now cached
        self.assertIsNone(self.my(owner)[0]["img_url"])
        url = self.add_image(owner, hid)
        first = self.search(c, aid=AREA_IMAGE)["houses"][0]
        self.assertEqual((first["house_id"], first["img_url"]), (hid, url))
        self.assertEqual(self.my(owner)[0]["img_url"], url)

    def test_a_new_house_shows_at_once_in_my_houses_and_the_list(self):
        owner = self.user()
        c = self.viewer()
        a = self.new_house(owner, minimal_body(title="缓存A", district=AREA_FRESH))
        self.assertEqual([h["house_id"] for h in self.my(owner)], [a])      # now cached
        self.assertEqual(self.search_ids(c, aid=AREA_FRESH), [a])           # now cached
        self.search(c)                                                     # now cached
        b = self.new_house(owner, minimal_body(title="缓存B", district=AREA_FRESH))
        self.assertEqual([h["house_id"] for h in self.my(owner)], [b, a])
        self.assertEqual(self.search_ids(c, aid=AREA_FRESH), [b, a])
        self.assertEqual(self.search_ids(c, aid=AREA_FRESH, sk="price-inc"), [b, a])
        after = self.search(c)
        self.assertEqual(after["houses"][0]["house_id"], b)
        self.assertEqual(after["total_page"], math.ceil(self.all_houses() / 10))


class OwnerChanges(HouseCase):
    def test_a_new_owner_name_and_avatar_show_at_once_in_info_and_list(self):
        owner = self.user()
        hid = self.new_house(owner, minimal_body(title="改名", district=AREA_OWNER))
        c = self.viewer()
        house = self.info(c, hid)["house"]                                   # now cached
        self.assertEqual((house["user_name"], house["user_avatar"]), (owner.mobile, None))
        self.assertIsNone(self.search(c, aid=AREA_OWNER)["houses"][0]["user_avatar"])  # cached
        name = "新房东" + uuid.uuid4().hex[:6]
        self.assertOk(owner.post("/api/profile/name", {"name": name}))
        avatar = self.set_avatar(owner)
        house = self.info(c, hid)["house"]
        self.assertEqual((house["user_name"], house["user_avatar"]), (name, avatar))
        first = self.search(c, aid=AREA_OWNER)["houses"][0]
        self.assertEqual((first["house_id"], first["user_avatar"]), (hid, avatar))


class MemcachedStopped(HouseCase):
    """memcached stopped (SIGSTOP) on a stack of its own: the house pages anyone may see
    still answer from SQLite."""

    st = None

    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(env={"IHOME_CACHE_TIMEOUT_MS": "300", "IHOME_WORKERS": "2"},
                               name="house-mcstop").start()
        cls.addClassCleanup(cls.st.stop)
        t = cls("run")
        owner = t.user()
        cls.owner_id = owner.user_id
        cls.hid = t.new_house(owner, house_body(title="停缓存", district=5, facility=[2, 4]))
        cls.url = t.add_image(owner, cls.hid)
        cls.addClassCleanup(cls.st.pause_memcached())

    def test_area_list_answers_from_sqlite(self):
        body = self.assertOk(self.anon().get("/api/house/area"))
        self.assertEqual(body["data"], [{"aid": i + 1, "aname": n} for i, n in enumerate(AREA_NAMES)])

    def test_facility_list_answers_from_sqlite(self):
        body = self.assertOk(self.anon().get("/api/house/facility"))
        self.assertEqual(len(body["data"]), 24)

    def test_house_info_answers_from_sqlite(self):
        data = self.info(self.anon(), self.hid)
        self.assertEqual(data["user_id"], -1)
        house = data["house"]
        self.assertEqual((house["hid"], house["user_id"], house["title"], house["images"],
                          house["facilities"]), (self.hid, self.owner_id, "停缓存", [self.url], [2, 4]))

    def test_house_list_answers_from_sqlite(self):
        c = self.anon()
        self.assertEqual(self.search_ids(c, aid=5), [self.hid])
        self.assertEqual(self.search_ids(c, aid=5, sd="2030-05-01", ed="2030-05-03", sk="booking"),
                         [self.hid])
        self.assertEqual(self.search(c)["total_page"], 1)

    def test_house_index_answers_from_sqlite(self):
        body = self.assertOk(self.anon().get("/api/house/index"))
        self.assertEqual(body["data"], [{"house_id": self.hid, "title": "停缓存", "img_url": self.url}])


if __name__ == "__main__":
    unittest.main()
