"""The Python crop (tools/train/crop.py, what training and validation cut) against the engine's own
resample_region (build/dfs_crop, built by tools/test.sh): 50 regions over generated photos, area
and bilinear cells, mirrored and filled borders, regions reaching past the edges; every value
within 1/255. Also the classifier crop of a face box (margin, square, centred) both ways.

Run: /usr/bin/python3 -m unittest discover -s tests/python
"""

import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
import crop  # noqa: E402

TOOL = os.path.join(ROOT, "build", "dfs_crop")
IN_CI = os.environ.get("CI") == "true"


def engine_crop(path, x, y, w, h, ow, oh, border, fill=0.0):
    out = subprocess.run([TOOL, path, repr(x), repr(y), repr(w), repr(h), str(ow), str(oh), border, repr(fill)],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype=np.float32).reshape(oh, ow, 3)


@unittest.skipIf(not os.path.exists(TOOL) and not IN_CI, "build/dfs_crop not built (tools/test.sh builds it)")
class CropParityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        rng = np.random.default_rng(11)
        cls.images = []
        for k, (w, h) in enumerate([(224, 224), (301, 187), (97, 160)]):
            yy, xx = np.mgrid[0:h, 0:w]
            # Smooth gradients plus texture and noise: detail at every scale the filters treat.
            a = np.stack([(xx * 255 / w), (yy * 255 / h), 128 + 100 * np.sin(xx / 3.0 + yy / 5.0)], -1)
            a = np.clip(a + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)
            path = os.path.join(cls.tmp.name, f"img{k}.png")
            Image.fromarray(a).save(path)
            cls.images.append((path, a))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_fifty_regions_match_within_one_level(self):
        rng = np.random.default_rng(5)
        worst = 0.0
        for i in range(50):
            path, a = self.images[i % len(self.images)]
            h, w = a.shape[:2]
            side = float(rng.uniform(0.2, 2.2) * min(w, h))  # cells from 0.2 to ~17 source pixels
            x = float(rng.uniform(-0.6, 1.0) * w - side / 4)
            y = float(rng.uniform(-0.6, 1.0) * h - side / 4)
            ow = int(rng.integers(8, 160))
            oh = int(rng.integers(8, 160)) if i % 3 else ow
            border = "mirror" if i % 2 == 0 else "fill"
            fill = 0.0 if i % 4 < 2 else 114.0
            got = engine_crop(path, x, y, side, side * oh / ow, ow, oh, border, fill)
            want = crop.resample_region(a, x, y, side, side * oh / ow, ow, oh, fill, border == "mirror")
            diff = float(np.abs(got - want).max())
            worst = max(worst, diff)
            self.assertLessEqual(diff, 1.0, f"region {i}: {x:.1f},{y:.1f} side {side:.1f} -> {ow}x{oh} {border}: {diff}")
        print(f"\n[crop parity] 50 regions, largest difference {worst:.2e} levels of 255")

    def test_classifier_crop_of_a_box(self):
        path, a = self.images[0]
        for box in [(60.0, 50.5, 100.0, 120.0), (-10.0, 150.0, 90.0, 80.0), (20.3, 7.7, 30.1, 28.9)]:
            margin = 0.1
            side = max(box[2], box[3]) * (1 + 2 * margin)
            cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
            got = engine_crop(path, cx - side / 2, cy - side / 2, side, side, 128, 128, "mirror")
            want = crop.product_crop(a, box, margin, 128)
            self.assertLessEqual(float(np.abs(got - want).max()), 1.0, str(box))


if __name__ == "__main__":
    unittest.main()
