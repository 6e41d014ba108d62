"""Round-trip and corruption tests for tools/pt/dfs_format.py (needs numpy only).

Run: /usr/bin/python3 -m unittest discover -s tests/python
"""

import json
import os
import struct
import sys
import tempfile
import unittest
import zlib

try:
    import numpy as np
except ImportError:  # pragma: no cover - CI without numpy
    np = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "pt"))


@unittest.skipIf(np is None, "numpy not installed")
class DfsFormatTest(unittest.TestCase):
    def setUp(self):
        import dfs_format
        self.fmt = dfs_format
        self.tmp = tempfile.TemporaryDirectory()
        rng = np.random.default_rng(7)
        self.tensors = {
            "stem.w": rng.standard_normal((3, 3, 3, 8)).astype(np.float32),
            "stem.b": rng.standard_normal(8).astype(np.float32),
            "blocks.0.dw.w": rng.standard_normal((3, 3, 8)).astype(np.float32),
            "fc.w": rng.standard_normal((8, 1)).astype(np.float32),
            "zero.w": np.zeros((2, 5), np.float32),
        }
        self.header = {"kind": "efficientnet", "name": "unit"}

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name="m.dfs"):
        return os.path.join(self.tmp.name, name)

    def test_layout_matches_spec(self):
        p = self.path()
        n = self.fmt.write_dfs(p, self.header, self.tensors, "f32")
        blob = open(p, "rb").read()
        self.assertEqual(n, len(blob))
        self.assertEqual(blob[:8], b"DFSMODEL")
        version, json_len = struct.unpack_from("<II", blob, 8)
        self.assertEqual(version, 1)
        hdr = json.loads(blob[16:16 + json_len])
        data_start = (16 + json_len + 63) // 64 * 64
        self.assertTrue(all(b == 0 for b in blob[16 + json_len:data_start]))
        self.assertEqual(struct.unpack("<I", blob[-4:])[0], zlib.crc32(blob[:-4]))
        for t in hdr["tensors"]:
            self.assertEqual(t["offset"] % 64, 0)
            raw = blob[data_start + t["offset"]:data_start + t["offset"] + t["nbytes"]]
            got = np.frombuffer(raw, "<f4").reshape(t["shape"])
            np.testing.assert_array_equal(got, self.tensors[t["name"]])

    def test_roundtrip_each_dtype(self):
        for dt in ("f32", "f16", "i8"):
            p = self.path(dt + ".dfs")
            self.fmt.write_dfs(p, self.header, self.tensors, dt)
            hdr, got = self.fmt.read_dfs(p)
            self.assertEqual(list(got), list(self.tensors))
            self.assertEqual(hdr["kind"], "efficientnet")
            stored = {t["name"]: t["dtype"] for t in hdr["tensors"]}
            for name, ref in self.tensors.items():
                if ref.ndim < 2:
                    self.assertEqual(stored[name], "f32")
                    np.testing.assert_array_equal(got[name], ref)
                    continue
                self.assertEqual(stored[name], dt)
                if dt == "f32":
                    np.testing.assert_array_equal(got[name], ref)
                elif dt == "f16":
                    np.testing.assert_array_equal(got[name], ref.astype(np.float16))
                else:
                    amax = np.abs(ref.reshape(-1, ref.shape[-1])).max(0)
                    err = np.abs(got[name] - ref).reshape(-1, ref.shape[-1]).max(0)
                    self.assertTrue(np.all(err <= amax / 127 / 2 + 1e-7), (name, err, amax))
            if dt == "i8":
                self.assertEqual(stored["stem.w:scale"], "f32")
                _, with_scales = self.fmt.read_dfs(p, keep_scales=True)
                self.assertEqual(with_scales["stem.w:scale"].shape, (8,))

    def test_i8_min_elements_keeps_small_tensors_f16(self):
        p = self.path("mixed.dfs")
        # stem.w has 216 elements, blocks.0.dw.w 72, fc.w 8, zero.w 10: split them at 50.
        self.fmt.write_dfs(p, self.header, self.tensors, "i8", i8_min_elements=50)
        hdr, got = self.fmt.read_dfs(p)
        stored = {t["name"]: t["dtype"] for t in hdr["tensors"]}
        self.assertEqual(stored["stem.w"], "i8")
        self.assertEqual(stored["blocks.0.dw.w"], "i8")
        self.assertEqual(stored["fc.w"], "f16")
        self.assertEqual(stored["zero.w"], "f16")
        self.assertEqual(stored["stem.b"], "f32")
        self.assertNotIn("fc.w:scale", stored)
        np.testing.assert_array_equal(got["fc.w"], self.tensors["fc.w"].astype(np.float16))
        q, scale = self.fmt.quantize_i8(self.tensors["stem.w"])
        np.testing.assert_array_equal(got["stem.w"], q.astype(np.float32) * scale)
        # 0 (the default) quantizes every tensor of two or more dims, as before.
        self.fmt.write_dfs(p, self.header, self.tensors, "i8")
        hdr, _ = self.fmt.read_dfs(p)
        self.assertEqual({t["dtype"] for t in hdr["tensors"] if ":" not in t["name"]
                          and t["name"] not in ("stem.b",)}, {"i8"})

    def _corrupt(self, mutate, fix_crc=True):
        p = self.path()
        self.fmt.write_dfs(p, self.header, self.tensors, "f32")
        blob = bytearray(open(p, "rb").read())
        blob = bytearray(mutate(blob))
        if fix_crc:
            blob[-4:] = struct.pack("<I", zlib.crc32(bytes(blob[:-4])))
        bad = self.path("bad.dfs")
        open(bad, "wb").write(bytes(blob))
        return bad

    def _edit_json(self, edit):
        """Rewrites the JSON header and re-lays the file around the unchanged data section."""
        def mutate(blob):
            json_len = struct.unpack_from("<I", blob, 12)[0]
            hdr = json.loads(bytes(blob[16:16 + json_len]))
            data = bytes(blob[(16 + json_len + 63) // 64 * 64:-4])
            edit(hdr)
            js = json.dumps(hdr, separators=(",", ":")).encode()
            pad = (16 + len(js) + 63) // 64 * 64 - 16 - len(js)
            return bytearray(blob[:12] + struct.pack("<I", len(js)) + js + b"\0" * pad + data
                             + b"\0\0\0\0")
        return mutate

    def test_rejects_corruption(self):
        # The re-layout helper itself must produce a valid file when nothing is edited.
        hdr, got = self.fmt.read_dfs(self._corrupt(self._edit_json(lambda h: None)))
        np.testing.assert_array_equal(got["fc.w"], self.tensors["fc.w"])
        cases = {
            "magic": (lambda b: b"XFSMODEL" + b[8:], True),
            "version": (lambda b: b[:8] + struct.pack("<I", 2) + b[12:], True),
            "json_len": (lambda b: b[:12] + struct.pack("<I", 10 ** 6) + b[16:], True),
            "crc": (lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:], False),
            "truncated": (lambda b: b[:10], False),
            "dtype": (self._edit_json(lambda h: h["tensors"][0].update(dtype="q4")), True),
            "dims": (self._edit_json(lambda h: h["tensors"][0].update(shape=[3, 0, 3, 8])), True),
            "nbytes": (self._edit_json(lambda h: h["tensors"][1].update(nbytes=36)), True),
            "offset": (self._edit_json(lambda h: h["tensors"][-1].update(offset=64 * 999)), True),
            "unaligned": (self._edit_json(lambda h: h["tensors"][1].update(offset=4)), True),
        }
        for what, (mutate, fix) in cases.items():
            with self.subTest(what):
                bad = self._corrupt(mutate, fix)
                with self.assertRaises(self.fmt.DfsError):
                    self.fmt.read_dfs(bad)

    def test_rejects_bad_input(self):
        with self.assertRaises(self.fmt.DfsError):
            self.fmt.write_dfs(self.path(), {}, {"a": np.array([np.nan, 1.0])})
        with self.assertRaises(self.fmt.DfsError):
            self.fmt.write_dfs(self.path(), {}, {"a:scale": np.ones(2)})
        with self.assertRaises(self.fmt.DfsError):
            self.fmt.write_dfs(self.path(), {}, {"a": np.ones((2, 2))}, dtype="bf16")


if __name__ == "__main__":
    unittest.main()
