"""Trains (or resumes) the default deepfake classifier for a wall-clock budget.

    nice -n 5 /usr/bin/python3 tools/train/train.py --minutes 120            # fresh
    nice -n 5 /usr/bin/python3 tools/train/train.py --resume --minutes 120   # continue

Each run is one cosine learning-rate cycle over its --minutes (short linear warm-up), so a
resume is a warm restart. Every --eval-every minutes: validation (AUC, log loss, temperature,
threshold at FPR <= 10% on reals), a full checkpoint in cache/last.pt, and, when validation
AUC improves, export to models/classifier.dfs and tools/train/state.json. Between those, every
--save-every minutes, cache/last.pt alone (no validation), so a run killed without a signal loses
at most that much. A main run also writes a packed copy of each cache/last.pt to
tools/train/checkpoint/last.pt (checkpoint.py), which is committed, so a fresh machine resumes
exactly.
"""

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader

import calibrate_product
import checkpoint
import data
import dfs_io
import metrics
import train_state
from effnet_model import EffNetClassifier, count_params, make_arch

HERE = os.path.dirname(os.path.abspath(__file__))
LAST = os.path.join(data.CACHE, "last.pt")
BEST = os.path.join(data.CACHE, "best.pt")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def cache_size_for(n):
    return int(math.ceil(n * 1.25 / 8) * 8)


def val_tensor(crops, idx, n, side_mult=data.PRODUCT_SIDE):
    """Validation input, built once as uint8 NCHW: the product's median framing
    (data.center_crop), no degradation."""
    out = np.empty((len(idx), 3, n, n), dtype=np.uint8)
    for k, i in enumerate(idx):
        out[k] = np.asarray(data.center_crop(np.asarray(crops[i]), n, side_mult)).transpose(2, 0, 1)
    return out


@torch.no_grad()
def predict(model, xval, bs=128, tta="flip", kind=False):
    """Logits for uint8 NCHW input. tta "flip": the mean of the logits of each crop and its
    mirror image, as the engine computes them when the header's preprocess.tta is "flip".
    kind: also the kind head's logits (same TTA); returns (fake logits, kind logits)."""
    if kind:
        def both(x):
            a, b = model(x, return_kind=True)
            return torch.stack([a, b], 1)
        fwd = both
    else:
        fwd = model
    if tta not in ("none", "flip"):
        raise ValueError(f"tta must be none or flip, not {tta!r}")
    mean = torch.from_numpy(data.MEAN).view(1, 3, 1, 1)
    std = torch.from_numpy(data.STD).view(1, 3, 1, 1)
    model.eval()
    out = []
    for k in range(0, len(xval), bs):
        x = (torch.from_numpy(xval[k:k + bs]).float() / 255.0 - mean) / std
        x = x.contiguous(memory_format=torch.channels_last)
        y = fwd(x).double()
        if tta == "flip":
            y = 0.5 * (y + fwd(torch.flip(x, dims=[3])).double())
        out.append(y.numpy())
    model.train()
    out = np.concatenate(out)
    return (out[:, 0], out[:, 1]) if kind else out


def lr_at(t, total, peak, warm, floor_frac=0.02):
    if t < warm:
        return peak * max(t, 1.0) / warm
    p = min(1.0, (t - warm) / max(1e-9, total - warm))
    return peak * (floor_frac + (1 - floor_frac) * 0.5 * (1 + math.cos(math.pi * p)))


def git_rev():
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                                       text=True).strip()
    except Exception:
        return "unknown"


def parse_boost(text):
    """"swap=8,reenactment=8" -> {"swap": 8, "reenactment": 8}; kinds checked, counts >= 1."""
    out = {}
    for part in filter(None, text.split(",")):
        kind, _, n = part.partition("=")
        if kind not in data.FAKE_KINDS + ("real",) or not n.isdigit() or int(n) < 1:
            raise SystemExit(f"--boost: bad entry {part!r} (KIND=N, KIND in "
                             f"{', '.join(data.FAKE_KINDS + ('real',))})")
        out[kind] = int(n)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, required=True, help="training wall-clock budget")
    ap.add_argument("--resume", action="store_true",
                    help="continue from cache/last.pt, else the repository's checkpoint/last.pt "
                         "(checkpoint.py), else from models/classifier.dfs")
    ap.add_argument("--width", type=float, default=0.5)
    ap.add_argument("--depth", type=float, default=0.5)
    ap.add_argument("--input", type=int, default=0,
                    help="input side (128 fresh); with --resume a different side fine-tunes the "
                         "same weights at that size (convolutions and the pooled head take any)")
    ap.add_argument("--attention", default="stage3", help="stage3 | none | block index")
    ap.add_argument("--lr", type=float, default=None, help="peak lr (2e-3 fresh, 1e-3 resume)")
    ap.add_argument("--wd", type=float, default=0.02)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--warmup-min", type=float, default=3.0)
    ap.add_argument("--sbi", type=float, default=0.15,
                    help="self-blended pseudo-fakes per real fake in an epoch")
    ap.add_argument("--sbi-lowres", type=float, default=0.0,
                    help="share of self-blends whose pasted face is rendered at 0.3-0.6 of the "
                         "side and scaled back up (a face softer than its surroundings)")
    ap.add_argument("--sbi-mouth", type=float, default=0.0,
                    help="share of self-blends that blend only the mouth and jaw, from a copy "
                         "stretched vertically (a changed expression, as reenactment leaves it)")
    ap.add_argument("--soften", type=float, default=0.0,
                    help="chance that a training image, real or fake, is rendered at 0.3-0.7 of "
                         "its side and scaled back up (sharpness stops carrying the label)")
    ap.add_argument("--eval-every", type=float, default=15.0, help="minutes")
    ap.add_argument("--save-every", type=float, default=10.0,
                    help="minutes between checkpoints of cache/last.pt without a validation (a "
                         "run killed between evaluations, e.g. at a session's end, keeps them)")
    ap.add_argument("--max-fpr", type=float, default=0.10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--tta", default="flip", choices=["flip", "none"],
                    help="test-time augmentation of validation and of the exported header")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=dfs_io.DEFAULT_DFS)
    ap.add_argument("--val-dir", default="/tmp/dfdc-val",
                    help="validation images for the product-path calibration (outside the repo)")
    ap.add_argument("--no-product-calibration", action="store_true",
                    help="keep the PyTorch calibration of the export (see calibrate_product.py)")
    ap.add_argument("--mixed-weight", type=int, default=3,
                    help="times each faces-mixed crop is shown per epoch (0: DFDC only)")
    ap.add_argument("--boost", default="",
                    help="KIND=N[,KIND=N]: show faces-mixed crops of these kinds N times per "
                         "epoch instead of --mixed-weight (the few swap/reenactment crops)")
    ap.add_argument("--holdout", default="", choices=("",) + data.FAKE_KINDS,
                    help="leave-one-out: never train on this faces-mixed fake kind; score it")
    ap.add_argument("--kind-weight", type=float, default=0.5,
                    help="loss weight of the kind head (synthetic vs replaced; 0: no head)")
    ap.add_argument("--init", default="",
                    help="with --resume and no checkpoint: start from this .dfs (e.g. a frozen "
                         "copy of a model that never saw faces-mixed, for leave-one-out runs)")
    ap.add_argument("--tag", default="",
                    help="side run: checkpoints, state and export under cache/TAG/, the shipped "
                         "model and state.json untouched")
    args = ap.parse_args()
    global LAST, BEST
    state_path = train_state.PATH
    if args.tag:
        side = os.path.join(data.CACHE, args.tag)
        os.makedirs(side, exist_ok=True)
        LAST, BEST = os.path.join(side, "last.pt"), os.path.join(side, "best.pt")
        state_path = os.path.join(side, "state.json")
        if args.out == dfs_io.DEFAULT_DFS:
            args.out = os.path.join(side, "classifier.dfs")
        args.no_product_calibration = True
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    rows = data.read_manifest()
    labels, is_val = data.split(rows)
    n_dfdc = len(rows)
    kinds = np.where(labels == 1, 0, -1).astype(np.int8)  # DFDC fakes are face swaps
    weights = np.ones(n_dfdc, dtype=np.int64)
    source = np.array(["dfdc"] * n_dfdc, dtype=object)
    mixed_rows = data.read_mixed_manifest() if args.mixed_weight > 0 else []
    if mixed_rows:
        labels = np.concatenate([labels, [r["label"] == "FAKE" for r in mixed_rows]]).astype(np.int8)
        mval = data.mixed_val_groups(mixed_rows)
        is_val = np.concatenate([is_val, [r["source_group"] in mval for r in mixed_rows]])
        kinds = np.concatenate([kinds, [data.kind_target(r["kind"]) for r in mixed_rows]]).astype(np.int8)
        boost = parse_boost(args.boost)
        weights = np.concatenate([weights, [boost.get(r["kind"], args.mixed_weight)
                                            for r in mixed_rows]]).astype(np.int64)
        source = np.concatenate([source, np.array(
            [r["kind"] + ":" + r["generator"] for r in mixed_rows], dtype=object)])
    mixed_kind = np.array(["dfdc"] * n_dfdc + [r["kind"] for r in mixed_rows], dtype=object)
    held = np.flatnonzero(mixed_kind == args.holdout) if args.holdout else np.array([], int)
    keep = np.ones(len(labels), dtype=bool)
    keep[held] = False
    train_idx, val_idx = np.flatnonzero(~is_val & keep), np.flatnonzero(is_val & keep)
    kind_head = args.kind_weight > 0 and bool(mixed_rows)

    state = {"epoch": 0, "steps": 0, "images": 0, "train_seconds": 0.0, "best": None,
             "history": [], "cycles": []}
    opt_state = None
    # A main run resumes from this machine's cache/last.pt, else from the repository's packed
    # copy of it (a fresh machine); a side run or --init from its own start.
    ck_path = LAST if os.path.exists(LAST) else (
        checkpoint.REPO_CKPT if not (args.tag or args.init) and os.path.exists(
            checkpoint.REPO_CKPT) else None)
    if args.resume and ck_path:
        ck = checkpoint.load(ck_path)
        arch, n_in = ck["arch"], ck["input"]
        model = EffNetClassifier(arch)
        model.load_state_dict(ck["model"])
        opt_state, state = ck["opt"], ck["state"]
        log(f"resumed from {ck_path}: epoch {state['epoch']}, best {state['best']}")
    elif args.resume:
        src = args.init or (dfs_io.DEFAULT_DFS if args.tag else args.out)
        model, header = dfs_io.load_dfs_into_model(src, kind_head=kind_head or None)
        arch, n_in = header["arch"], header["input"]["height"]
        state = (train_state.load() if not args.tag else None) or state
        log(f"resumed from {src} (folded BN; re-normalising on training batches)")
    else:
        arch, n_in = make_arch(args.width, args.depth, args.attention), args.input or 128
        if kind_head:
            arch["kind_head"] = True
        model = EffNetClassifier(arch)
    if args.resume and args.input and args.input != n_in:
        log(f"input {n_in} -> {args.input}: the same weights, fine-tuned at the new size")
        n_in = args.input
    crops = data.build_cache(rows, cache_size_for(n_in), log=log)
    if mixed_rows:
        crops = data.Pools(crops, data.build_mixed_cache(mixed_rows, cache_size_for(n_in),
                                                         log=log))
    log(f"arch {arch} input {n_in} params {count_params(model) / 1e6:.2f}M; "
        f"train {len(train_idx)} (fake {labels[train_idx].sum()}), "
        f"val {len(val_idx)} (fake {labels[val_idx].sum()}) by source video / group"
        + (f"; held out: {args.holdout} ({len(held)})" if args.holdout else ""))

    xval = val_tensor(crops, val_idx, n_in)
    xheld = val_tensor(crops, held, n_in) if len(held) else None
    rng = np.random.default_rng((args.seed, state["epoch"], state["steps"]))
    epoch_seed = int(rng.integers(2**31))
    ds = data.TrainSet(crops, data.epoch_items(train_idx, labels, rng, args.sbi, weights), n_in,
                       epoch_seed, kinds if kind_head else None, args.sbi_lowres,
                       args.soften, args.sbi_mouth)
    select_name = ("mean(dfdc val auc, faces-mixed val auc)" if mixed_rows else "dfdc val auc")
    val_is_dfdc = val_idx < n_dfdc

    def measure(m_model):
        """Validation of one model: pooled calibration (FPR <= max_fpr over every val real),
        DFDC and faces-mixed AUCs, per-kind AUCs against the pooled faces-mixed val reals,
        each real source's FPR, the kind head on val fakes; m["select"] ranks checkpoints."""
        if kind_head:
            logits, klog = predict(m_model, xval, tta=args.tta, kind=True)
        else:
            logits, klog = predict(m_model, xval, tta=args.tta), None
        y = labels[val_idx]
        m = metrics.evaluate(logits, y, args.max_fpr)
        m["dfdc_auc"] = metrics.auc(logits[val_is_dfdc], y[val_is_dfdc])
        m["select"] = m["dfdc_auc"]
        if mixed_rows:
            mx = ~val_is_dfdc
            m["mixed_auc"] = metrics.auc(logits[mx], y[mx])
            m["select"] = 0.5 * (m["dfdc_auc"] + m["mixed_auc"])
            vk = mixed_kind[val_idx]
            reals = mx & (y == 0)
            for k in data.FAKE_KINDS:
                sel = mx & (vk == k)
                if sel.any():
                    m[f"auc_{k}"] = metrics.auc_fakes_vs_reals(logits[sel], logits[reals])
            probs = metrics.sigmoid(logits / m["temperature"])
            fpr = {}
            for src in sorted(set(source[val_idx][y == 0])):
                s_ = (source[val_idx] == src) & (y == 0)
                fpr[src] = [round(float((probs[s_] >= m["threshold"]).mean()), 4), int(s_.sum())]
            m["fpr_by_real_source"] = fpr
        if klog is not None:
            kt = kinds[val_idx]
            sel = (y == 1) & (kt >= 0)
            m["kind_auc"] = metrics.auc(klog[sel], kt[sel])
            m["kind_acc"] = float(((klog[sel] > 0) == (kt[sel] == 1)).mean())
        if xheld is not None:
            hl = predict(m_model, xheld, tta=args.tta)
            mx = (~val_is_dfdc) & (y == 0)
            m[f"heldout_{args.holdout}_auc"] = metrics.auc_fakes_vs_reals(hl, logits[mx])
            m["heldout_n"] = int(len(hl))
        m["select_metric"] = select_name
        return m

    def loader():
        return iter(DataLoader(ds, batch_size=args.batch, shuffle=False, drop_last=True,
                               num_workers=args.workers,
                               worker_init_fn=lambda _: torch.set_num_threads(1)))

    if args.resume and not ck_path:
        it = loader()
        dfs_io.renormalize_bn(model, (next(it)[0] for _ in range(16)))

    model = model.to(memory_format=torch.channels_last).train()
    if state["best"] is not None and (state["best"].get("tta", "none"), state["best"].get(
            "val_side", 1.31), state["best"].get("select_metric")) != (
            args.tta, data.PRODUCT_SIDE, select_name):
        # The best so far was measured another way (TTA or framing): measure it again this way,
        # so that "improved" compares like with like (best.pt when it is there, else the weights
        # resumed from). A best at another input size is not re-measured: it is what the product
        # gives at its own size, the bar a model at the new size has to beat.
        ref = model
        if os.path.exists(BEST):
            ref = EffNetClassifier(arch)
            ref.load_state_dict(torch.load(BEST, map_location="cpu")["model"])
            ref = ref.to(memory_format=torch.channels_last)
        m = measure(ref)
        log(f"best re-measured with tta={args.tta}, side {data.PRODUCT_SIDE}, {select_name}: "
            f"{state['best'].get('select', state['best']['auc']):.4f} -> {m['select']:.4f}")
        state["best"] = dict(state["best"], **m, tta=args.tta, val_side=data.PRODUCT_SIDE,
                             remeasured=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        model.train()
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    peak = args.lr or (1e-3 if args.resume else 2e-3)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": no_decay, "weight_decay": 0.0}], lr=peak)
    if opt_state is not None:
        opt.load_state_dict(opt_state)
    lossf = torch.nn.BCEWithLogitsLoss()
    kind_lossf = torch.nn.BCEWithLogitsLoss(reduction="sum")
    recipe = {"arch": arch, "input": n_in, "batch": args.batch, "optimizer": "AdamW",
              "peak_lr": peak, "wd": args.wd, "schedule": "linear warmup "
              f"{args.warmup_min} min + cosine to 2% over the run's minutes (warm restart)",
              "sbi_frac": args.sbi, "sbi_lowres": args.sbi_lowres, "soften": args.soften,
              "sbi_mouth": args.sbi_mouth,
              "val": f"md5(source_video) % 1000 < {data.VAL_PER_MILLE}",
              "aug": "square crop side 0.90-1.45 of the stored crop (mirrored beyond it), centre "
                     "dx +-0.08, dy -0.02..+0.14, random resample filter, "
                     "colour jitter, down/up-resize, blur, noise, JPEG q30-95, hflip",
              "balance": "every fake once per epoch, reals resampled to match",
              "val_crop": f"product median framing at margin {data.PRODUCT_MARGIN}: side "
                          f"{data.PRODUCT_SIDE}, centre dy +{data.PRODUCT_DY}, mirrored",
              "tta": args.tta, "mean": data.MEAN.tolist(), "std": data.STD.tolist(),
              "mixed": (f"faces-mixed shown {args.mixed_weight}x per epoch"
                        + "".join(f", {k} {n}x" for k, n in sorted(parse_boost(args.boost).items()))
                        + ", split "
                        f"{data.MIXED_VAL_PER_MILLE / 10:g}% of source groups per stratum "
                        "(data.mixed_val_groups); "
                        f"extra: double JPEG (p .2), grayscale (p {data.GRAY_P:g}), gamma (p .15)")
              if mixed_rows else "none", "holdout": args.holdout or None,
              "kind_head": (f"synthetic (gan, diffusion) vs replaced (swap, reenactment, DFDC, "
                            f"self-blends), BCE on fakes, weight {args.kind_weight}")
              if kind_head else None, "select": select_name}
    state["cycles"].append({"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                            "minutes": args.minutes, "peak_lr": peak, "git": git_rev()})

    stop = {"now": False}

    def on_signal(signum, _frame):
        log(f"signal {signum}: finishing with an evaluation and checkpoint")
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    exported = {"sha": None}

    def checkpoint_and_eval():
        t0 = time.time()
        m = measure(model)
        m.update({"tta": args.tta, "val_side": data.PRODUCT_SIDE, "input": n_in, "epoch": state["epoch"], "steps": state["steps"], "images": state["images"],
                  "train_minutes": round(state["train_seconds"] / 60, 1),
                  "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "eval_seconds": round(time.time() - t0, 1)})
        state["history"].append(m)
        log("VAL " + " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in m.items()))
        improved = state["best"] is None or m["select"] > state["best"].get("select", -1)
        if improved:
            state["best"] = dict(m)
            torch.save({"model": model.state_dict(), "arch": arch, "input": n_in,
                        "metrics": m}, BEST)
            if dfs_io.converter_available():
                header = dfs_io.build_header(arch, n_in, data.MEAN, data.STD, m, args.tta, {
                    "val_auc": m["auc"], "val_logloss": m["logloss"],
                    "val_split": recipe["val"], "epochs": state["epoch"],
                    "train_minutes": m["train_minutes"], "trainer": "tools/train/train.py"},
                    terms=dfs_io.TERMS_MIXED if mixed_rows else dfs_io.TERMS)
                nbytes, sha = dfs_io.export_dfs(model, args.out, header)
                state["best"]["dfs_sha256"] = sha
                exported["sha"] = sha
                log(f"exported {args.out} ({nbytes} bytes, sha256 {sha[:16]}...)")
            else:
                log("converter tools/convert/effnet_import.py not there yet: best kept in "
                    f"{BEST}, export later with export.py")
        save_last()
        return improved

    def save_last():
        state["recipe"] = recipe
        ck = {"model": model.state_dict(), "opt": opt.state_dict(), "arch": arch,
              "input": n_in, "state": state}
        torch.save(ck, LAST + ".tmp")
        os.replace(LAST + ".tmp", LAST)
        if not args.tag:
            checkpoint.save(ck)  # the repository's copy, for a session on a fresh machine
        train_state.save(state, state_path)

    total, warm = args.minutes * 60, args.warmup_min * 60
    t_start = time.time()
    last_eval = last_save = t_start
    run_loss, seen, t_log = 0.0, 0, time.time()
    done = False
    while not done:
        ds.epoch = state["epoch"]
        for batch in loader():
            x, y = batch[0], batch[1]
            t = time.time() - t_start
            if t >= total or stop["now"]:
                done = True
                break
            for g in opt.param_groups:
                g["lr"] = lr_at(t, total, peak, warm)
            x = x.contiguous(memory_format=torch.channels_last)
            if kind_head:
                x, y, kt = batch
                x = x.contiguous(memory_format=torch.channels_last)
                logit, klogit = model(x, return_kind=True)
                loss = lossf(logit, y)
                has = kt >= 0
                if has.any():
                    loss = loss + args.kind_weight * kind_lossf(klogit[has], kt[has]) / len(y)
            else:
                loss = lossf(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            state["steps"] += 1
            state["images"] += len(y)
            run_loss += float(loss) * len(y)
            seen += len(y)
            if state["steps"] % 50 == 0:
                dt = time.time() - t_log
                log(f"ep {state['epoch']} step {state['steps']} loss {run_loss / seen:.4f} "
                    f"lr {opt.param_groups[0]['lr']:.2e} {seen / dt:.1f} img/s")
                state["train_seconds"] += dt
                run_loss, seen, t_log = 0.0, 0, time.time()
            if time.time() - last_eval >= args.eval_every * 60:
                checkpoint_and_eval()
                last_eval = last_save = t_log = time.time()
                run_loss, seen = 0.0, 0
            elif time.time() - last_save >= args.save_every * 60:
                save_last()
                last_save = time.time()
                log(f"checkpoint {LAST} (no validation)")
        else:
            state["epoch"] += 1
            ds.items = data.epoch_items(train_idx, labels, rng, args.sbi, weights)
            log(f"epoch {state['epoch']} done")
    checkpoint_and_eval()
    # The exported file's calibration was fitted on PyTorch logits; refit it on the scores the
    # product itself gives (wasm engine, detector crop) when that engine is built here.
    if (exported["sha"] and not args.no_product_calibration and shutil.which("node")
            and os.path.exists(os.path.join(dfs_io.REPO, "dist", "deepfake-shield.wasm"))):
        log("calibrating the export on the product's own scores (calibrate_product.py)")
        rep = calibrate_product.run(args.val_dir, args.out, args.max_fpr, write=True, log=log)
        state["best"]["product_calibration"] = rep["product_calibration"]
        state["best"]["dfs_sha256"] = rep["dfs_sha256"]
        log("product calibration " + json.dumps(rep["product_calibration"]))
        train_state.save(state, state_path)
    log("done")


def heap_only_malloc():
    """glibc gives every block over its mmap threshold (at most 32 MB: most activations and
    their gradients at batch 32) a fresh mapping and unmaps it on free, so each step faults in
    and zeroes those pages again. Measured on the eighth cycle's weights, one thread, batch 32:
    a third of the CPU time in the kernel and 35k page faults a step at input 128; with every
    block on the heap and the heap never trimmed, 80.8 against 32.0 images per CPU-second (160:
    63.1 against 49.8). malloc reads these variables at start-up only, so re-exec once."""
    if os.environ.get("MALLOC_MMAP_MAX_") is None:
        env = dict(os.environ, MALLOC_MMAP_MAX_="0", MALLOC_TRIM_THRESHOLD_=str(1 << 36))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == "__main__":
    heap_only_malloc()
    sys.exit(main())
