"""The EfficientNet geometry is written in four places that must agree: the engine
(src/models/efficientnet.cc, printed by `build/dfs_native arch W D`), the importers' table
(tools/convert/effnet_arch.py), the ONNX oracle's lowering (tools/onnx/dfs_graph.js effnetBlocks)
and torchvision's, which training builds its model from (tools/train/effnet_model.py). This holds
them equal, block by block (expand, kernel, stride, in, out, squeeze channels), for the B0-B4
variants and the custom sizes training has used.

Run: /usr/bin/python3 -m unittest discover -s tests/python
"""

import json
import os
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "convert"))
import effnet_arch  # noqa: E402

NATIVE = os.path.join(ROOT, "build", "dfs_native")
IN_CI = os.environ.get("CI") == "true"
SIZES = [(1.0, 1.0), (1.0, 1.1), (1.1, 1.2), (1.2, 1.4), (1.4, 1.8), (0.5, 0.5), (0.25, 1.0), (0.75, 0.6)]


def engine(w, d):
    out = subprocess.run([NATIVE, "arch", repr(w), repr(d)], capture_output=True, check=True, text=True).stdout
    a = json.loads(out)
    return a["stem"], a["head"], [tuple(b) for b in a["blocks"]]


def python_table(w, d):
    arch = effnet_arch.make_arch("custom", w, d)
    blocks = [(b["expand"], b["k"], b["stride"], b["cin"], b["cout"], b["cse"]) for b in effnet_arch.blocks(arch)]
    return effnet_arch.stem_channels(arch), effnet_arch.head_channels(arch), blocks


def javascript(w, d):
    code = ("import(process.argv[1]).then((m) => { const a = m.effnetBlocks(Number(process.argv[2]), Number(process.argv[3]));"
            " console.log(JSON.stringify([a.stem, a.head, a.blocks.map((b) => [b.expand, b.k, b.stride, b.cin, b.cout, b.cse])])); })")
    out = subprocess.run(["node", "-e", code, os.path.join(ROOT, "tools", "onnx", "dfs_graph.js"), repr(w), repr(d)],
                         capture_output=True, check=True, text=True).stdout
    stem, head, blocks = json.loads(out)
    return stem, head, [tuple(b) for b in blocks]


def torchvision_table(w, d):
    sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
    import effnet_model
    setting, last = effnet_model._settings(w, d)
    blocks = []
    for cnf in setting:
        for r in range(cnf.num_layers):
            cin = cnf.input_channels if r == 0 else cnf.out_channels
            # torchvision's MBConv: squeeze channels max(1, input_channels // 4).
            blocks.append((cnf.expand_ratio, cnf.kernel, cnf.stride if r == 0 else 1, cin, cnf.out_channels,
                           max(1, cin // 4)))
    return setting[0].input_channels, last, blocks  # last: torchvision's head size or None


class GeometryParityTest(unittest.TestCase):
    @unittest.skipIf(not os.path.exists(NATIVE) and not IN_CI, "build/dfs_native not built (tools/test.sh builds it)")
    def test_engine_python_and_javascript_agree(self):
        for w, d in SIZES:
            want = engine(w, d)
            self.assertEqual(python_table(w, d), want, f"effnet_arch.py at width {w}, depth {d}")
            self.assertEqual(javascript(w, d), want, f"dfs_graph.js at width {w}, depth {d}")
            self.assertGreaterEqual(len(want[2]), 7)

    def test_torchvision_agrees_with_the_importers_table(self):
        try:
            import torchvision
            self.assertTrue(hasattr(torchvision, "__version__"))
        except ImportError:
            if IN_CI:
                raise
            self.skipTest("torchvision is not installed (bash tools/setup.sh --dev)")
        for w, d in SIZES:
            stem, head, blocks = python_table(w, d)
            tstem, thead, tblocks = torchvision_table(w, d)
            # (The head is not torchvision's: effnet_model.py builds it from the arch's "head".)
            self.assertEqual((tstem, tblocks), (stem, blocks), f"torchvision at width {w}, depth {d}")


if __name__ == "__main__":
    unittest.main()
