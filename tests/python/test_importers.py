"""EfficientNet importers, reference and goldens.

Run: /usr/bin/python3 -m unittest discover -s tests/python -v
Tests needing torch skip without it; the golden-file checks need only numpy (and node for the
JS materializer).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None
try:
    import torch
    import torchvision
except ImportError:  # pragma: no cover
    torch = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "golden")
sys.path[:0] = [os.path.join(ROOT, "tools", d) for d in ("pt", "convert", "golden")]

if np is not None:
    import dfs_format as D
    import effnet_arch as A
    import effnet_import as I
    import effnet_synth as S
if torch is not None:
    import effnet_ref as R
    torch.set_num_threads(1)


def formula_input(h, w):
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    return (((y * 131 + x * 71 + c * 29) % 256).astype(np.float64) / 127.5 - 1.0) \
        .astype(np.float32)[None]


def rel(a, b):
    return float(np.abs(np.asarray(a, np.float64) - b).max() / max(np.abs(b).max(), 1e-30))


def randomize_bn(model, seed):
    """Random running stats and affine params so BN folding is not an identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.rand(c, generator=g) * 0.4 - 0.2)
                m.running_mean.copy_(torch.rand(c, generator=g) - 0.5)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
    return model


def torchvision_model(arch, seed):
    torch.manual_seed(seed)
    if arch["variant"] == "b0":
        m = torchvision.models.efficientnet_b0(num_classes=1)
    else:
        from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf
        setting, last = _efficientnet_conf("efficientnet_b0", width_mult=arch["width_mult"],
                                           depth_mult=arch["depth_mult"])
        m = EfficientNet(setting, 0.2, last_channel=last, num_classes=1)
    return randomize_bn(m, seed).eval()


def b4att_arch():
    return A.make_arch("b4", padding="same", attention_after_block=9)


@unittest.skipIf(torch is None or np is None, "torch not installed")
class StateDictImportTest(unittest.TestCase):
    def assert_probes_match(self, ref, got, tol):
        self.assertEqual(sorted(ref), sorted(got))
        for k in ref:
            self.assertEqual(ref[k].shape, got[k].shape, k)
            self.assertLess(rel(got[k], ref[k]), tol, k)

    def test_torchvision_b0_folds_bn_and_matches_module(self):
        arch = A.make_arch("b0")
        model = torchvision_model(arch, 11)
        t = I.torchvision_to_tensors(model.state_dict(), arch)
        for name, shape in A.expected_shapes(arch).items():
            self.assertEqual(list(t[name].shape), shape, name)
            self.assertEqual(t[name].dtype, np.float32)
        x = formula_input(64, 64)
        _, ref = R.torchvision_probes(model.double(), torch.from_numpy(x).double()
                                      .permute(0, 3, 1, 2))
        got = {}
        R.forward_tensors(t, arch, x, got)
        self.assert_probes_match(ref, got, 1e-5)

    def test_torchvision_names_are_the_real_module_tree(self):
        sd = torchvision.models.efficientnet_b0(num_classes=1).state_dict()
        for k in ("features.0.0.weight", "features.1.0.block.0.0.weight",
                  "features.1.0.block.1.fc1.weight", "features.2.0.block.0.0.weight",
                  "features.2.0.block.2.fc2.bias", "features.2.0.block.3.1.running_var",
                  "features.8.0.weight", "classifier.1.weight"):
            self.assertIn(k, sd)

    def test_torchvision_attention_keys(self):
        arch = A.make_arch("custom", 0.25, 1.0, attention_after_block=4)
        sd = dict(torchvision_model(arch, 3).state_dict())
        c = A.blocks(arch)[4]["cout"]
        sd["att.weight"] = torch.randn(1, c, 1, 1)
        sd["att.bias"] = torch.randn(1)
        t = I.torchvision_to_tensors(sd, arch)
        np.testing.assert_allclose(t["att.w"][0, 0, :, 0], sd["att.weight"][0, :, 0, 0].numpy())
        np.testing.assert_allclose(t["att.b"], sd["att.bias"].numpy())
        no_att = A.make_arch("custom", 0.25, 1.0)
        with self.assertRaisesRegex(I.ImportError_, "att.weight"):
            I.torchvision_to_tensors(sd, no_att)

    def test_icpr_autoatt_b4_names_and_outputs(self):
        arch = b4att_arch()
        torch.manual_seed(5)
        model = randomize_bn(R.EffNetRef(arch), 5).eval()
        sd = model.state_dict()
        # icpr2020dfdc EfficientNetAutoAttB4 names (architectures/fornet.py).
        self.assertEqual(tuple(sd["efficientnet.attconv.weight"].shape), (1, 56, 1, 1))
        self.assertEqual(tuple(sd["classifier.weight"].shape), (1, 1792))
        for k in ("efficientnet._conv_stem.weight", "efficientnet._bn0.running_mean",
                  "efficientnet._blocks.0._depthwise_conv.weight",
                  "efficientnet._blocks.2._expand_conv.weight",
                  "efficientnet._blocks.31._se_expand.bias", "efficientnet._blocks.31._bn2.weight",
                  "efficientnet._conv_head.weight", "efficientnet._bn1.running_var"):
            self.assertIn(k, sd)
        self.assertNotIn("efficientnet._blocks.32._bn2.weight", sd)
        t = I.effpytorch_to_tensors(sd, arch)
        x = formula_input(64, 64)
        ref = {}
        with torch.no_grad():
            model.double()(torch.from_numpy(x).double().permute(0, 3, 1, 2), ref)
        got = {}
        R.forward_tensors(t, arch, x, got)
        self.assert_probes_match(ref, got, 1e-5)

    def test_plain_effpytorch_naming(self):
        arch = A.make_arch("custom", 0.5, 0.5, padding="same")
        torch.manual_seed(8)
        model = randomize_bn(R.EffNetRef(arch), 8).eval()
        sd = {}
        for k, v in model.state_dict().items():
            k = k.replace("efficientnet.", "").replace("classifier.", "_fc.")
            sd["module." + k] = v  # DataParallel prefix too
        t = I.effpytorch_to_tensors(sd, arch)
        x = formula_input(48, 48)
        ref = {}
        with torch.no_grad():
            model.double()(torch.from_numpy(x).double().permute(0, 3, 1, 2), ref)
        got = {}
        R.forward_tensors(t, arch, x, got)
        self.assert_probes_match(ref, got, 1e-5)

    def test_static_same_padding_emulation(self):
        # EfficientNet-PyTorch pads for the nominal size: identical to true SAME at that size,
        # different (one k5/s2 layer shifted) at 224 for the B4 stride/kernel sequence.
        arch = A.make_arch("custom", 0.25, 1.8, padding="same")
        torch.manual_seed(9)
        model = R.EffNetRef(arch).eval()
        static = R.EffNetRef(arch, static_same_size=380).eval()
        static.load_state_dict(model.state_dict())
        with torch.no_grad():
            for size, same in ((380, True), (224, False)):
                x = torch.from_numpy(formula_input(size, size)).permute(0, 3, 1, 2)
                a, b = {}, {}
                model(x, a)
                static(x, b)
                self.assertEqual(np.array_equal(a["stage.1"], b["stage.1"]), True)
                self.assertEqual(np.array_equal(a["stage.2"], b["stage.2"]), same, size)

    def test_clear_errors(self):
        arch = b4att_arch()
        sd = dict(R.EffNetRef(arch).state_dict())
        cases = []
        missing = dict(sd)
        del missing["efficientnet._blocks.7._se_reduce.bias"]
        cases.append((missing, arch, "_blocks.7._se_reduce.bias"))
        extra = dict(sd)
        extra["efficientnet.something_else"] = torch.zeros(3)
        cases.append((extra, arch, "something_else"))
        cases.append((sd, A.make_arch("b4", padding="same"), "attention"))
        cases.append((sd, A.make_arch("b3", padding="same", attention_after_block=9),
                      "_conv_stem.weight has shape"))
        wide = dict(sd)
        wide["classifier.weight"] = torch.zeros(1000, 1792)
        wide["classifier.bias"] = torch.zeros(1000)
        cases.append((wide, arch, "one logit"))
        for sd_, arch_, msg in cases:
            with self.subTest(msg):
                with self.assertRaisesRegex(I.ImportError_, msg):
                    I.effpytorch_to_tensors(sd_, arch_)


@unittest.skipIf(torch is None or np is None, "torch not installed")
class OnnxImportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.arch = A.make_arch("b0")
        cls.model = torchvision_model(cls.arch, 21)
        cls.path = os.path.join(cls.tmp, "b0.onnx")
        torch.onnx.export(cls.model, torch.zeros(1, 3, 224, 224), cls.path, opset_version=13)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_b0_matches_state_dict_import(self):
        a = I.onnx_to_tensors(self.path, self.arch)
        b = I.torchvision_to_tensors(self.model.state_dict(), self.arch)
        for k in b:
            self.assertLess(rel(a[k], b[k]), 1e-5, k)
        from onnx_proto import OnnxModel
        self.assertEqual(I.detect_onnx_padding(OnnxModel(self.path)), "symmetric")

    def test_batchnorm_nodes_are_folded(self):
        arch = A.make_arch("custom", 0.25, 0.5)
        model = torchvision_model(arch, 4)
        path = os.path.join(self.tmp, "bn.onnx")
        torch.onnx.export(model, torch.zeros(1, 3, 64, 64), path, opset_version=13,
                          training=torch.onnx.TrainingMode.PRESERVE)
        from onnx_proto import OnnxModel
        ops = [n["op"] for n in OnnxModel(path).nodes]
        self.assertIn("BatchNormalization", ops)
        a = I.onnx_to_tensors(path, arch)
        b = I.torchvision_to_tensors(model.state_dict(), arch)
        for k in b:
            self.assertLess(rel(a[k], b[k]), 1e-5, k)

    def test_wrong_arch_names_first_bad_node(self):
        with self.assertRaisesRegex(I.ImportError_,
                                    r"node #\d+ '.*features\.2.*' \(Conv\): block 1 depthwise"):
            I.onnx_to_tensors(self.path, A.make_arch("b1"))
        with self.assertRaisesRegex(I.ImportError_, r"node #\d+ .*stem conv: weight shape"):
            I.onnx_to_tensors(self.path, A.make_arch("b3"))
        with self.assertRaisesRegex(I.ImportError_, r"padding .* 'same' padding expects"):
            I.onnx_to_tensors(self.path, A.make_arch("b0", padding="same"))

    def test_truncated_and_rewired_graphs(self):
        from onnx_proto import OnnxModel
        m = OnnxModel(self.path)
        m.nodes = [n for n in m.nodes if n["op"] != "Gemm"]
        with self.assertRaisesRegex(I.ImportError_, "end of graph: expected classifier"):
            I.onnx_to_tensors(m, self.arch)
        m = OnnxModel(self.path)
        adds = [n for n in m.nodes if n["op"] == "Add"]
        adds[0]["inputs"] = [adds[0]["inputs"][0], adds[0]["inputs"][0]]
        with self.assertRaisesRegex(I.ImportError_, r"\(Add\): block 2 residual add"):
            I.onnx_to_tensors(m, self.arch)


@unittest.skipIf(torch is None or np is None, "torch not installed")
class DtypeDriftTest(unittest.TestCase):
    """f32/f16/i8 storage: sizes and drift vs f32 (printed), on non-synthetic weights."""

    def check(self, label, arch, tensors, size, f16_tol, i8_tol):
        x = formula_input(size, size)
        ref = {}
        R.forward_tensors(tensors, arch, x, ref)
        with tempfile.TemporaryDirectory() as tmp:
            for dt, tol in (("f32", 0.0), ("f16", f16_tol), ("i8", i8_tol)):
                path = os.path.join(tmp, dt + ".dfs")
                n = D.write_dfs(path, {"kind": "efficientnet", "arch": arch}, tensors, dt)
                _, back = D.read_dfs(path)
                got = {}
                R.forward_tensors(back, arch, x, got)
                dlogit = abs(float(got["logit"][0] - ref["logit"][0]))
                worst = max(rel(got[k], ref[k]) for k in ref if k != "logit")
                print(f"\n  {label} {dt}: {n} bytes, |logit - f32| {dlogit:.3e} "
                      f"(logit {float(ref['logit'][0]):.4f}), max probe rel drift {worst:.2e}",
                      end="")
                if dt == "f32":
                    self.assertEqual(dlogit, 0.0)
                else:
                    self.assertLess(worst, tol, dt)

    def test_b0_torchvision_init(self):
        arch = A.make_arch("b0")
        t = I.torchvision_to_tensors(torchvision_model(arch, 31).state_dict(), arch)
        self.check("b0 (torchvision init)", arch, t, 224, 5e-3, 0.1)

    def test_b4att_default_init(self):
        arch = b4att_arch()
        torch.manual_seed(32)
        t = I.effpytorch_to_tensors(randomize_bn(R.EffNetRef(arch), 32).state_dict(), arch)
        self.check("b4att (torch default init)", arch, t, 128, 5e-3, 0.1)


@unittest.skipIf(np is None, "numpy not installed")
class GoldenFilesTest(unittest.TestCase):
    NAMES = ("effnet_b0_synth", "effnet_b4att_synth", "effnet_w025_synth")

    def index(self, name):
        with open(os.path.join(GOLDEN, name + ".json")) as f:
            return json.load(f)

    def test_materialized_models_match_recorded_sha256(self):
        for name in self.NAMES:
            with self.subTest(name):
                idx = self.index(name)
                blob, sha = S.materialize(os.path.join(GOLDEN, idx["model_header"]))
                self.assertEqual(sha, idx["model_sha256"])
                self.assertEqual(len(blob), idx["model_bytes"])
                header, raw = D.parse_dfs(blob)
                self.assertTrue(header["provenance"]["test_only"])
                self.assertIn("TEST ONLY", header["name"])
                self.assertEqual(header["arch"], idx["arch"])
                probes = os.path.getsize(os.path.join(GOLDEN, idx["probes_file"]))
                self.assertEqual(probes, sum(p["count"] * 4 for p in idx["probes"]))

    @unittest.skipIf(shutil.which("node") is None, "node not installed")
    def test_node_materializer_is_bit_identical(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("effnet_b0_synth", "effnet_w025_synth"):
                idx = self.index(name)
                out = os.path.join(tmp, name + ".dfs")
                subprocess.run(["node", os.path.join(ROOT, "tools", "golden", "effnet_synth.mjs"),
                                os.path.join(GOLDEN, idx["model_header"]), out,
                                idx["model_sha256"]], check=True, capture_output=True)
                with open(out, "rb") as f:
                    self.assertEqual(hashlib.sha256(f.read()).hexdigest(), idx["model_sha256"])

    def test_onnx_golden_imports_to_the_synthetic_tensors(self):
        idx = self.index("effnet_w025_synth")
        blob, _ = S.materialize(os.path.join(GOLDEN, idx["model_header"]))
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "m.dfs")
            with open(p, "wb") as f:
                f.write(blob)
            _, want = D.read_dfs(p)
        got = I.onnx_to_tensors(os.path.join(GOLDEN, "effnet_w025_synth.onnx"), idx["arch"])
        for k in want:
            self.assertLess(rel(got[k], want[k]), 1e-5, k)

    @unittest.skipIf(torch is None, "torch not installed")
    def test_format_forward_reproduces_goldens(self):
        for name in self.NAMES:
            with self.subTest(name):
                idx = self.index(name)
                blob, _ = S.materialize(os.path.join(GOLDEN, idx["model_header"]))
                with tempfile.TemporaryDirectory() as tmp:
                    p = os.path.join(tmp, "m.dfs")
                    with open(p, "wb") as f:
                        f.write(blob)
                    _, t = D.read_dfs(p)
                h = idx["input"]["shape"][1]
                got = {}
                R.forward_tensors(t, idx["arch"], formula_input(h, h), got)
                data = np.fromfile(os.path.join(GOLDEN, idx["probes_file"]), "<f4")
                for pr in idx["probes"]:
                    ref = data[pr["offset"] // 4:pr["offset"] // 4 + pr["count"]]
                    self.assertLess(rel(got[pr["name"]].reshape(-1), ref), 1e-6, pr["name"])
                self.assertAlmostEqual(float(got["logit"][0]), idx["logit"], delta=1e-6)


if __name__ == "__main__":
    unittest.main()
