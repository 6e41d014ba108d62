"""The committed BlazeFace goldens are what tools/golden/blazeface_torch.py computes now.

Run: /usr/bin/python3 -m unittest discover -s tests/python
"""

import os
import sys
import unittest

try:
    import numpy as np
    import torch
except ImportError:  # pragma: no cover
    torch = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "golden"))
MODEL_DIR = os.path.join(ROOT, "node_modules", "@mediapipe", "face_detection")


@unittest.skipIf(torch is None, "torch not installed")
@unittest.skipIf(not os.path.isdir(MODEL_DIR), "npm dependencies not installed")
class BlazeFaceGoldenTest(unittest.TestCase):
    def test_goldens_reproduce(self):
        import blazeface_torch as B
        torch.set_num_threads(1)
        for key, (fname, n) in B.MODELS.items():
            with self.subTest(key):
                ref = B.TorchTflite(os.path.join(MODEL_DIR, fname), torch.float64)
                m = ref.model
                h, w = m.tensors[m.inputs[0]]["shape"][1:3]
                scores, boxes = B.outputs_by_role(m, ref.run([B.formula_input(h, w)]))
                self.assertEqual(ref.handled, len(m.ops))
                gold = np.fromfile(os.path.join(ROOT, "tests", "golden", f"blazeface_{key}.bin"),
                                   "<f4")
                self.assertEqual(gold.size, n * 17)
                np.testing.assert_allclose(gold[:n], scores, rtol=1e-6, atol=1e-5)
                np.testing.assert_allclose(gold[n:].reshape(n, 16), boxes, rtol=1e-6, atol=1e-5)

    def test_same_padding_is_asymmetric(self):
        import blazeface_torch as B
        self.assertEqual(B._same_pads(128, 5, 2), (1, 2))
        self.assertEqual(B._same_pads(64, 3, 1), (1, 1))
        self.assertEqual(B._same_pads(7, 2, 2), (0, 1))


if __name__ == "__main__":
    unittest.main()
