"""Profile (API.md "Profile"): who am I, avatar upload through the media
pipeline, name changes, real-name verification — against the real stack."""

import os
import stat
import struct
import unittest
import uuid

import guests
import harness
from harness import ApiTestCase, id_card, jpeg_size, multipart, new_mobile

STACK = None
UPLOAD_MAX = 1 << 20  # this module's stack accepts 1 MiB images, to test the limit cheaply


def setUpModule():
    global STACK
    STACK = harness.Stack(name="profile", env={"IHOME_UPLOAD_MAX_BYTES": str(UPLOAD_MAX)}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


# ----- test files made here, byte by byte ---------------------------------------------

def make_png(width, height, **kw):
    """harness.make_png painted as this module's avatars always were: red rising across,
    green rising down, blue 128, at zlib's level 9."""
    def pixel(x, y):
        return (x * 255) // max(width - 1, 1), (y * 255) // max(height - 1, 1), 128
    return harness.make_png(width, height, pixel=pixel, level=9, **kw)


def exif_with_gps():
    """A little-endian TIFF/EXIF block holding a GPS IFD and a camera make."""
    # IFD0: Make (0x010f, ASCII) and GPSInfo pointer (0x8825, LONG).
    make = b"SpyCam GPS-TEST\x00"
    ifd0_offset = 8
    ifd0 = struct.pack("<H", 2)
    make_offset = ifd0_offset + 2 + 2 * 12 + 4
    gps_offset = make_offset + len(make)
    ifd0 += struct.pack("<HHII", 0x010F, 2, len(make), make_offset)
    ifd0 += struct.pack("<HHII", 0x8825, 4, 1, gps_offset)
    ifd0 += struct.pack("<I", 0)
    # GPS IFD: GPSLatitudeRef 'N'.
    gps = struct.pack("<H", 1) + struct.pack("<HHI4s", 0x0001, 2, 2, b"N\x00\x00\x00") + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", ifd0_offset) + ifd0 + make + gps


def jpeg_app_segments(data):
    """The APPn/COM segments of a JPEG, as (marker, payload)."""
    out, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: no more headers
            break
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            out.append((marker, data[i + 4:i + 2 + length]))
        i += 2 + length
    return out


class ProfileCase(ApiTestCase):
    def user(self):
        client = harness.Client(STACK)
        mobile = new_mobile()
        client.register_user(mobile)
        return client, mobile

    def upload(self, client, data, filename="a.png", ctype="image/png", field="avatar", csrf=True):
        body, content_type = multipart(files=[(field, filename, ctype, data)])
        return client.post("/api/profile/avatar", raw=body, content_type=content_type, csrf=csrf)


class LoginRequired(ProfileCase):
    def test_every_profile_url_needs_login(self):
        c = harness.Client(STACK)
        self.assertEqual(c.get("/api/profile").errno, 4101)
        self.assertEqual(c.get("/api/profile/auth").errno, 4101)
        self.assertEqual(c.post("/api/profile/name", {"name": "someone"}).errno, 4101)
        self.assertEqual(c.post("/api/profile/auth", {"real_name": "张三", "id_card": id_card("11010519491231002")}).errno, 4101)
        self.assertEqual(self.upload(c, make_png(8, 8)).errno, 4101)


class Profile(ProfileCase):
    def test_profile_shows_the_new_user_with_the_mobile_as_name_and_no_avatar(self):
        c, mobile = self.user()
        r = c.get("/api/profile")
        body = r.json
        self.assertEqual(body["errno"], 0)
        self.assertEqual(body["username"], mobile)
        self.assertEqual(body["mobile"], mobile)
        self.assertIsNone(body["avatar"])
        self.assertIs(body["real_name_verified"], False)
        self.assertEqual(body["data"], {"user_id": body["user_id"], "name": mobile, "mobile": mobile, "avatar": None})
        self.assertEqual(r.header("Cache-Control"), "no-store")


class Avatar(ProfileCase):
    def test_avatar_is_a_clean_256_square_jpeg_served_from_media(self):
        c, _ = self.user()
        png = make_png(300, 200, extra_chunks=[(b"eXIf", exif_with_gps()),
                                               (b"tEXt", b"Comment\x00secret-location")])
        r = self.upload(c, png)
        self.assertEqual(r.errno, 0, r.describe())
        url = r.json["url"]
        self.assertRegex(url, r"^/media/[A-Za-z0-9_-]{43}\.jpg$")
        media = c.get(url)
        self.assertEqual(media.status, 200)
        self.assertEqual(media.header("Content-Type"), "image/jpeg")
        self.assertEqual(media.header("X-Content-Type-Options"), "nosniff")
        self.assertIn("max-age", media.header("Cache-Control", ""))
        data = media.body
        self.assertEqual(data[:3], b"\xff\xd8\xff")
        self.assertEqual(jpeg_size(data), (256, 256))
        for marker, payload in jpeg_app_segments(data):
            self.assertNotEqual(marker, 0xE1, "an APP1 (EXIF/XMP) segment survived")
            self.assertNotEqual(marker, 0xFE, "a COM segment survived")
        self.assertNotIn(b"SpyCam", data)
        self.assertNotIn(b"secret-location", data)
        self.assertEqual(c.get("/api/profile").json["avatar"], url)

    def test_a_new_avatar_replaces_the_old_file(self):
        c, _ = self.user()
        first = self.upload(c, make_png(64, 64)).json["url"]
        second = self.upload(c, make_png(80, 40)).json["url"]
        self.assertNotEqual(first, second)
        self.assertEqual(c.get(second).status, 200)
        self.assertEqual(c.get(first).status, 404)
        self.assertFalse(os.path.exists(os.path.join(STACK.var, "media", first.rsplit("/", 1)[1])))

    def test_not_an_image_is_4004(self):
        c, _ = self.user()
        self.assertEqual(self.upload(c, b"just some text, not a picture").errno, 4004)
        svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
        self.assertEqual(self.upload(c, svg, filename="x.jpg", ctype="image/jpeg").errno, 4004)
        self.assertIsNone(c.get("/api/profile").json["avatar"])

    def test_a_truncated_png_is_4004(self):
        c, _ = self.user()
        png = make_png(200, 200)
        self.assertEqual(self.upload(c, png[: len(png) // 2]).errno, 4004)

    def test_a_decompression_bomb_is_4004_and_the_worker_lives_on(self):
        c, _ = self.user()
        bomb = make_png(60000, 60000, rows=0)  # header claims 3.6 gigapixels
        r = self.upload(c, bomb)
        self.assertEqual(r.errno, 4004)
        self.assertEqual(c.get("/api/health").status, 200)
        self.assertEqual(self.upload(c, make_png(32, 32)).errno, 0)

    def test_an_image_over_the_limit_is_4004_and_a_body_far_over_it_413(self):
        c, _ = self.user()
        big = b"\x89PNG\r\n\x1a\n" + os.urandom(UPLOAD_MAX + 1000)
        self.assertEqual(self.upload(c, big).errno, 4004)
        huge = b"\x89PNG\r\n\x1a\n" + os.urandom(UPLOAD_MAX + 200 * 1024)
        r = self.upload(c, huge)
        self.assertEqual(r.status, 413)
        self.assertEqual(r.errno, 4103)

    def test_missing_file_field_and_malformed_multipart_are_4103(self):
        c, _ = self.user()
        self.assertEqual(self.upload(c, make_png(8, 8), field="photo").errno, 4103)
        r = c.post("/api/profile/avatar", raw=b"--x\r\nnot multipart", content_type="multipart/form-data")
        self.assertEqual(r.errno, 4103)
        r = c.post("/api/profile/avatar", raw=b"--abc\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a\"\r\n\r\ndata",
                   content_type="multipart/form-data; boundary=abc")
        self.assertEqual(r.errno, 4103)

    def test_upload_without_csrf_is_403(self):
        c, _ = self.user()
        r = self.upload(c, make_png(8, 8), csrf=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.errno, 4201)


class Name(ProfileCase):
    def test_new_name_shows_at_once_in_check_login_and_profile(self):
        c, _ = self.user()
        name = "房东" + uuid.uuid4().hex[:8]
        self.assertEqual(c.post("/api/profile/name", {"name": "  " + name + " "}).errno, 0)
        self.assertEqual(c.check_login().json["data"]["name"], name)
        self.assertEqual(c.get("/api/profile").json["username"], name)

    def test_a_guests_new_name_shows_at_once_on_the_houses_they_commented(self):
        landlord = guests.make_user(STACK, verified=True)
        guest = guests.make_user(STACK)
        hid = guests.make_house(landlord)
        r = guests.book(guest, hid, guests.day(30), guests.day(31))
        self.assertEqual(r.errno, 0, r)
        self.assertEqual(landlord.post("/api/order/accept", {"order_id": r.json["order_id"]}).errno, 0)
        guests.end_stay(STACK, r.json["order_id"])  # reviewed from the check-out day
        self.assertEqual(guest.post("/api/order/comment", {"order_id": r.json["order_id"],
                                                           "comment": "很好"}).errno, 0)
        comments = lambda: [c["user_name"] for c in  # noqa: E731 (logged in: never micro-cached)
                            landlord.get("/api/house/info", {"house_id": hid}).json["data"]["house"]["comments"]]
        self.assertEqual(comments(), [guest.mobile])  # cached now
        name = "评论者" + uuid.uuid4().hex[:8]
        self.assertEqual(guest.post("/api/profile/name", {"name": name}).errno, 0)
        self.assertEqual(comments(), [name])

    def test_a_name_taken_by_another_user_is_4003(self):
        a, _ = self.user()
        b, _ = self.user()
        name = "taken-" + uuid.uuid4().hex[:8]
        self.assertEqual(a.post("/api/profile/name", {"name": name}).errno, 0)
        self.assertEqual(b.post("/api/profile/name", {"name": name}).errno, 4003)
        self.assertNotEqual(b.check_login().json["data"]["name"], name)

    def test_name_length_counts_code_points_and_bad_names_are_4103(self):
        c, _ = self.user()
        self.assertEqual(c.post("/api/profile/name", {"name": "爱" * 32}).errno, 0)
        for bad in ["", "   ", "爱" * 33, "a\x07b", "line\nbreak", 42, None, ["x"]]:
            with self.subTest(name=bad):
                self.assertEqual(c.post("/api/profile/name", {"name": bad}).errno, 4103)
        self.assertEqual(c.post("/api/profile/name", {}).errno, 4103)

    def test_a_name_that_is_someone_elses_mobile_is_4103(self):
        c, mobile = self.user()
        self.assertEqual(c.post("/api/profile/name", {"name": new_mobile()}).errno, 4103)
        self.assertEqual(c.post("/api/profile/name", {"name": mobile}).errno, 0)


class RealName(ProfileCase):
    def test_verification_is_stored_encrypted_shown_masked_and_set_once(self):
        c, mobile = self.user()
        empty = c.get("/api/profile/auth").json
        self.assertEqual(empty["data"], {"real_name": None, "id_card": None})
        card = id_card("11010519491231002")
        self.assertEqual(c.post("/api/profile/auth", {"real_name": "张三", "id_card": card}).errno, 0)
        shown = c.get("/api/profile/auth").json["data"]
        self.assertEqual(shown["real_name"], "张三")
        self.assertEqual(shown["id_card"], card[:3] + "*" * 11 + card[-4:])
        self.assertIs(c.get("/api/profile").json["real_name_verified"], True)
        self.assertEqual(c.post("/api/profile/auth", {"real_name": "李四", "id_card": id_card("11010519800101001")}).errno, 4003)
        # Nothing in the database holds the number in clear.
        rows = STACK.db_query("SELECT * FROM users WHERE mobile = ?", (mobile,))
        for value in rows[0]:
            if isinstance(value, bytes):
                self.assertNotIn(card.encode(), value)
            else:
                self.assertNotIn(card, str(value))
        key = os.path.join(STACK.var, "secret.key")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        self.assertEqual(os.path.getsize(key), 32)

    def test_one_id_card_one_account(self):
        a, _ = self.user()
        b, _ = self.user()
        card = id_card("31010119900307123")
        self.assertEqual(a.post("/api/profile/auth", {"real_name": "王五", "id_card": card}).errno, 0)
        self.assertEqual(b.post("/api/profile/auth", {"real_name": "王五", "id_card": card}).errno, 4003)
        self.assertEqual(b.get("/api/profile/auth").json["data"], {"real_name": None, "id_card": None})

    def test_a_lower_case_x_is_the_same_id_card(self):
        base = None
        for n in range(100, 999):
            cand = id_card("44030119851015%03d" % n)
            if cand.endswith("X"):
                base = cand
                break
        self.assertIsNotNone(base)
        a, _ = self.user()
        b, _ = self.user()
        self.assertEqual(a.post("/api/profile/auth", {"real_name": "赵六", "id_card": base.lower()}).errno, 0)
        self.assertTrue(a.get("/api/profile/auth").json["data"]["id_card"].endswith("X"))
        self.assertEqual(b.post("/api/profile/auth", {"real_name": "赵六", "id_card": base}).errno, 4003)

    def test_invalid_ids_and_names_are_4103(self):
        c, _ = self.user()
        good = id_card("11010519491231002")
        wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
        cases = [
            {"real_name": "张三", "id_card": wrong_check},
            {"real_name": "张三", "id_card": id_card("11010519490229002")},  # 1949 is no leap year
            {"real_name": "张三", "id_card": id_card("11010520991231002")},  # born in the future
            {"real_name": "张三", "id_card": good[:17]},
            {"real_name": "张三", "id_card": good + "1"},
            {"real_name": "张", "id_card": good},
            {"real_name": "张" * 33, "id_card": good},
            {"real_name": "张\x00三", "id_card": good},
            {"real_name": "张三", "id_card": int(good[:17])},
            {"real_name": "张三"},
        ]
        for body in cases:
            with self.subTest(body=body):
                self.assertEqual(c.post("/api/profile/auth", body).errno, 4103)
        self.assertEqual(c.get("/api/profile/auth").json["data"]["id_card"], None)


if __name__ == "__main__":
    unittest.main()
