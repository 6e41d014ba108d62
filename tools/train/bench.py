"""Measures training-step throughput (images/s) of candidate classifier sizes on this CPU.

    nice -n 5 /usr/bin/python3 tools/train/bench.py --seconds 45 b0@128 w0.5d0.5@128 b0@96

Forward + backward + AdamW step on random input, batch 32, after two warm-up steps; the data
pipeline is not included (train.py logs end-to-end throughput).
"""

import argparse
import re
import time

import torch

from effnet_model import EffNetClassifier, count_params, make_arch


def parse(spec):
    m = re.fullmatch(r"(?:b0|w([\d.]+)d([\d.]+))@(\d+)(cl)?", spec)
    if not m:
        raise SystemExit(f"bad candidate {spec!r}: use b0@128 or w0.5d0.5@112 (suffix cl = "
                         "channels_last)")
    w = float(m.group(1) or 1.0)
    d = float(m.group(2) or 1.0)
    return w, d, int(m.group(3)), bool(m.group(4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("candidates", nargs="+")
    ap.add_argument("--seconds", type=float, default=45)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for spec in args.candidates:
        w, d, size, cl = parse(spec)
        model = EffNetClassifier(make_arch(w, d)).train()
        fmt = torch.channels_last if cl else torch.contiguous_format
        model = model.to(memory_format=fmt)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        x = torch.randn(args.batch, 3, size, size).to(memory_format=fmt)
        y = (torch.rand(args.batch) > 0.5).float()
        lossf = torch.nn.BCEWithLogitsLoss()
        n, t0 = 0, None
        for step in range(10**6):
            if step == 2:
                t0, n = time.time(), 0
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(x), y)
            loss.backward()
            opt.step()
            n += args.batch
            if t0 is not None and time.time() - t0 > args.seconds:
                break
        dt = time.time() - t0
        model.eval()
        with torch.no_grad():
            t1 = time.time()
            for _ in range(3):
                model(x)
            ev = 3 * args.batch / (time.time() - t1)
        print(f"{spec:18s} params {count_params(model) / 1e6:5.2f}M  train {n / dt:6.1f} img/s  "
              f"eval {ev:6.1f} img/s", flush=True)


if __name__ == "__main__":
    main()
