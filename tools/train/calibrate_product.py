#!/usr/bin/env python3
"""Calibrates the shipped classifier on what the product computes, not on what PyTorch sees.

train.py fits the temperature and the threshold on PyTorch logits of validation crops framed
like the median product crop. The product frames each face with its own detector box, which
varies around that median, so its scores on the same images differ a little (the threshold
picked in PyTorch gave FPR 10.1% through the wasm engine). This tool runs the validation split
through the real pipeline (`deepfake-shield eval --scores`: wasm module, BlazeFace, the
product's crop), recovers each face's logit from its score and the file's temperature, refits
the temperature on those logits, and picks the threshold with FPR <= --max-fpr on the
validation reals. Images where the product finds no face carry no score and are left out (the
product reports "no face found" for them).

  /usr/bin/python3 tools/train/calibrate_product.py [--val-dir /tmp/dfdc-val] \
      [--mixed-dir /tmp/mixed-val] [--max-fpr 0.05] [--write]

With faces-mixed (the default since the seventh cycle) the threshold is the lowest that keeps
FPR <= --max-fpr on every real source with at least --min-reals validation reals (and on the
pooled rest), and the header gains the inconclusive band [lo, hi]: hi is the lowest score at or
above the threshold where calls of "fake" have precision >= 80%, lo the highest score at or
below it where calls of "real" do, both with the two classes weighted equally (a 50% prior).

--write rewrites only the header's `calibration` (and a provenance note) of the .dfs; every
tensor byte stays the same. The validation images are exported with export_val_dir.py when
the folder does not exist yet (outside the repo; DFDC terms: research, non-commercial).
"""
import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools", "pt"))

import data  # noqa: E402
import metrics  # noqa: E402
import paired_check  # noqa: E402
import train_state  # noqa: E402
from dfs_format import _NP_DTYPE, encode_dfs, parse_dfs  # noqa: E402

DEFAULT_DFS = os.path.join(REPO, "models", "classifier.dfs")
SOURCE = "deepfake-shield eval (wasm pipeline: detector crop) on the validation split"
TRAINED_ON = ("DFDC face swaps plus GAN, diffusion, swap and reenactment faces and real photos "
              "from 16 public research sources (faces-mixed); research data")


def product_scores(val_dir, dfs_path):
    """[(file, label 0/1, fake prob or None, source)] from the CLI's eval over val_dir."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "scores.csv")
        cmd = ["node", os.path.join(REPO, "bin", "deepfake-shield.js"), "eval", val_dir,
               "--model", dfs_path, "--scores", out]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode not in (0, 1) or not os.path.exists(out):
            sys.exit(f"eval failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        with open(out, newline="") as f:
            rows = [(row["file"], 1 if row["label"] == "FAKE" else 0,
                     float(row["fake"]) if row["fake"] else None) for row in csv.DictReader(f)]
    with open(os.path.join(val_dir, "labels.csv"), newline="") as f:
        src = {row["file"]: row.get("source") or "dfdc" for row in csv.DictReader(f)}
    return [r + (src.get(r[0], "dfdc"),) for r in rows], summary


def band_edges(p, y, thr, precision=0.8):
    """[lo, hi] around thr: hi the lowest score >= thr where calling fake has precision >=
    `precision`, lo the highest score <= thr where calling real does, classes weighted equally."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y).astype(bool)
    fk, rl = np.sort(p[y]), np.sort(p[~y])

    def frac_ge(a, s):
        return 1.0 - np.searchsorted(a, s, side="left") / len(a)

    cands = np.unique(np.concatenate([[thr], p[p >= thr]]))
    hi = cands[-1]
    for s in cands:
        tpr, fpr = frac_ge(fk, s), frac_ge(rl, s)
        if tpr + fpr > 0 and tpr / (tpr + fpr) >= precision:
            hi = s
            break
    cands = np.unique(np.concatenate([[thr], p[p <= thr]]))[::-1]
    lo = cands[-1]
    for s in cands:
        tnr, fnr = 1 - frac_ge(rl, s), 1 - frac_ge(fk, s)
        if tnr + fnr > 0 and tnr / (tnr + fnr) >= precision:
            lo = s
            break
    return float(min(max(lo, 1e-4), thr)), float(max(min(hi, 1 - 1e-4), thr))


def source_groups(src, y, min_reals=20):
    """The real sources the threshold holds on: each with at least min_reals reals alone, the
    smaller ones pooled."""
    real_src = sorted(set(src[y == 0]))
    small = [s_ for s_ in real_src if ((src == s_) & (y == 0)).sum() < min_reals]
    return [[s_] for s_ in real_src if s_ not in small] + ([small] if small else [])


def threshold_for_sources(p, y, src, groups, max_fpr):
    """The lowest threshold with FPR <= max_fpr on the reals of every group of sources."""
    thr = 0.0
    for g in groups:
        sel = np.isin(src, g) & (y == 0)
        if sel.any():
            thr = max(thr, metrics.threshold_for_fpr(p[sel], np.zeros(sel.sum()), max_fpr))
    return thr


def cross_fit(p, y, src, group, max_fpr, groups, repeats=20):
    """Out-of-fold estimate of what the threshold rule and the band give on faces they were not
    fitted on. The validation groups (source videos, faces-mixed source groups) are split in two
    halves at random, `repeats` times; each half is judged by the threshold and band fitted on
    the other half (the same rule, the same source groups). Returns per real source the mean
    out-of-fold FPR, per fake kind the mean out-of-fold share caught, the inconclusive share,
    and the spread of the fitted thresholds."""
    p, y, src, group = (np.asarray(a) for a in (p, y, src, group))
    kinds = np.array([s_.split(":")[0] for s_ in src], dtype=object)
    ug, inv = np.unique(group, return_inverse=True)
    flagged = np.zeros(len(p))
    inconclusive = np.zeros(len(p))
    thresholds = []
    rng = np.random.default_rng(20261202)
    for _ in range(repeats):
        half = rng.integers(0, 2, len(ug))[inv].astype(bool)
        for fit in (half, ~half):
            thr = threshold_for_sources(p[fit], y[fit], src[fit], groups, max_fpr)
            lo, hi = band_edges(p[fit], y[fit], thr)
            thresholds.append(thr)
            judged = ~fit
            flagged[judged] += p[judged] >= thr
            inconclusive[judged] += (p[judged] >= lo) & (p[judged] < hi)
    flagged /= repeats
    inconclusive /= repeats
    out = {"repeats": repeats, "threshold_range": [float(min(thresholds)), float(max(thresholds))],
           "inconclusive_frac": float(inconclusive.mean()),
           "fpr_by_real_source": {s_: [round(float(flagged[(src == s_) & (y == 0)].mean()), 4),
                                       int(((src == s_) & (y == 0)).sum())]
                                  for s_ in sorted(set(src[y == 0]))}}
    out["real_flagged"] = float(flagged[y == 0].mean())
    big = [g[0] for g in groups if len(g) == 1]  # the sources the rule holds on alone
    if big:
        out["real_flagged_worst_source"] = max(out["fpr_by_real_source"][s_][0] for s_ in big)
    is_dfdc = src == "dfdc"
    if (is_dfdc & (y == 1)).any():
        out["dfdc_tpr"] = float(flagged[is_dfdc & (y == 1)].mean())
    for k in data.FAKE_KINDS:
        sel = (kinds == k) & (y == 1)
        if sel.any():
            out[f"tpr_{k}"] = float(flagged[sel].mean())
    return out


def val_groups():
    """{validation file name: its split group} for both pools: the DFDC source video, the
    faces-mixed source group (file names as export_val_dir.py writes them)."""
    g = {r["file"]: "dfdc:" + r["source_video"] for r in data.read_manifest()}
    g.update({r["file"]: "mixed:" + r["source_group"] for r in data.read_mixed_manifest()})
    return g


def calibrate_sources(rows, temperature, max_fpr, min_reals=20, repos=None, groups_of=None):
    """Temperature on every scored face; the threshold that keeps each real source with at
    least min_reals scored reals (and the pooled smaller ones) at FPR <= max_fpr; the band;
    and the per-source / per-kind report. repos ({file: source repository} of faces-mixed)
    adds "paired": each kind against the reals of its own repository (paired_check)."""
    scored = [r for r in rows if r[2] is not None]
    y = np.array([r[1] for r in scored], dtype=np.int64)
    src = np.array([r[3] for r in scored], dtype=object)
    p0 = np.clip(np.array([r[2] for r in scored], dtype=np.float64), 1e-7, 1 - 1e-7)
    z = temperature * np.log(p0 / (1 - p0))
    m = metrics.evaluate(z, y, max_fpr)
    t = m["temperature"]
    p = metrics.sigmoid(z / t)
    real_src = sorted(set(src[y == 0]))
    groups = source_groups(src, y, min_reals)
    thr = threshold_for_sources(p, y, src, groups, max_fpr)
    lo, hi = band_edges(p, y, thr)
    tpr, fpr = metrics.rates(p, y, thr)
    rep = {"auc": m["auc"], "logloss_cal": metrics.log_loss(z, y, t), "temperature": t,
           "threshold": thr, "inconclusive": [lo, hi], "tpr@thr": tpr, "fpr@thr": fpr,
           "n_scored": int(len(y)), "n_no_face": int(len(rows) - len(y)),
           "inconclusive_frac": float(((p >= lo) & (p < hi)).mean())}
    is_dfdc = src == "dfdc"
    if is_dfdc.any():
        rep["dfdc_auc"] = metrics.auc(p[is_dfdc], y[is_dfdc])
    mixed_reals = (~is_dfdc) & (y == 0)
    kinds = np.array([s_.split(":")[0] for s_ in src], dtype=object)
    for k in ("gan", "diffusion", "swap", "reenactment"):
        sel = (kinds == k) & (y == 1)
        if sel.any() and mixed_reals.any():
            rep[f"auc_{k}"] = metrics.auc_fakes_vs_reals(p[sel], p[mixed_reals])
            rep[f"tpr_{k}"] = float((p[sel] >= thr).mean())
            rep[f"n_{k}"] = int(sel.sum())
    rep["fpr_by_real_source"] = {s_: [round(float((p[(src == s_) & (y == 0)] >= thr).mean()), 4),
                                      int(((src == s_) & (y == 0)).sum())] for s_ in real_src}
    if repos:
        mx = np.flatnonzero(~is_dfdc)
        files = [r[0] for r in scored]
        info = [{"source_repo": repos[files[i]], "kind": kinds[i]} for i in mx]
        rep["paired"] = paired_check.paired_aucs(info, p[mx], np.ones(len(mx), bool))
    if groups_of:
        rep["out_of_fold"] = cross_fit(p, y, src, [groups_of[r[0]] for r in scored], max_fpr,
                                       groups)
    rep["threshold_rule"] = (f"lowest with FPR <= {max_fpr} on each real source with >= "
                             f"{min_reals} scored validation reals and on the pooled smaller ones")
    return t, thr, rep


def calibrate(rows, temperature, max_fpr):
    """Refit on the product's scores. Returns (new temperature, threshold, report dict)."""
    scored = [(r[1], r[2]) for r in rows if r[2] is not None]
    y = np.array([s[0] for s in scored], dtype=np.int64)
    p = np.clip(np.array([s[1] for s in scored], dtype=np.float64), 1e-7, 1 - 1e-7)
    # The engine reports sigmoid(z / T): z = T * logit(p).
    z = temperature * np.log(p / (1 - p))
    m = metrics.evaluate(z, y, max_fpr)
    report = {k: m[k] for k in ("auc", "logloss_cal", "temperature", "threshold",
                                "tpr@thr", "fpr@thr", "bal_acc@thr")}
    report.update(n_scored=int(len(y)), n_no_face=int(len(rows) - len(y)))
    return m["temperature"], m["threshold"], report


def rewrite_calibration(dfs_path, temperature, threshold, report, out_path=None, band=None):
    """Writes the file again with a new header calibration; tensors byte-identical."""
    with open(dfs_path, "rb") as f:
        blob = f.read()
    header, raw = parse_dfs(blob)
    entries = []
    for t in header["tensors"]:
        dt, shape, buf = raw[t["name"]]
        entries.append((t["name"], dt, np.frombuffer(buf, dtype=_NP_DTYPE[dt]).reshape(shape)))
    header = dict(header)
    header["calibration"] = {"temperature": float(temperature), "threshold": float(threshold)}
    if band is not None:
        header["calibration"]["inconclusive"] = [float(band[0]), float(band[1])]
    prov = dict(header.get("provenance", {}))
    if band is not None:
        prov["trained_on"] = TRAINED_ON
    prov["calibration"] = {"fitted_on": SOURCE, "max_fpr": report["max_fpr"],
                           "n_scored": report["n_scored"], "n_no_face": report["n_no_face"],
                           "tpr": report["tpr@thr"], "fpr": report["fpr@thr"]}
    oof = report.get("out_of_fold")
    if oof:
        # What the product states about itself (the page's and the CLI's "measured" line):
        # out-of-fold rates at this threshold, not the in-sample ones it was fitted to.
        caught = {k: round(oof[f"tpr_{k}"], 3) for k in data.FAKE_KINDS if f"tpr_{k}" in oof}
        if "dfdc_tpr" in oof:
            caught = dict({"dfdc": round(oof["dfdc_tpr"], 3)}, **caught)
        prov["calibration"]["held_out"] = {
            "method": f"validation groups halved at random {oof['repeats']} times, each half "
                      "judged by the threshold and band fitted on the other half",
            "real_flagged": round(oof["real_flagged"], 3),
            "real_flagged_worst_source": round(oof.get("real_flagged_worst_source",
                                                       oof["real_flagged"]), 3),
            "inconclusive": round(oof["inconclusive_frac"], 3),
            "fakes_caught": caught}
    if "threshold_rule" in report:
        prov["calibration"]["threshold_rule"] = report["threshold_rule"]
        prov["calibration"]["inconclusive_rule"] = ("precision of either call >= 0.8 with the "
                                                    "classes weighted equally")
    header["provenance"] = prov
    new = encode_dfs(header, entries)
    _, raw2 = parse_dfs(new)
    assert all(raw2[k][2] == raw[k][2] for k in raw), "tensor bytes changed"
    with open(out_path or dfs_path, "wb") as f:
        f.write(new)
    return len(new), hashlib.sha256(new).hexdigest()


def run(val_dir, dfs_path, max_fpr=0.10, write=False, log=print, mixed_dir=None):
    """Scores the validation split through the product, refits; with write, updates dfs_path.
    Returns {"eval", "file_calibration", "product_calibration"[, "dfs_sha256"]}. With mixed_dir
    (faces-mixed validation groups) the threshold holds on every real source and the band is
    fitted (calibrate_sources)."""
    if not os.path.exists(os.path.join(val_dir, "labels.csv")):
        subprocess.run([sys.executable, os.path.join(HERE, "export_val_dir.py"), val_dir], check=True)
    if mixed_dir and not os.path.exists(os.path.join(mixed_dir, "labels.csv")):
        subprocess.run([sys.executable, os.path.join(HERE, "export_val_dir.py"), mixed_dir,
                        "--pool", "mixed"], check=True)
    with open(dfs_path, "rb") as f:
        header, _ = parse_dfs(f.read())
    cal = header.get("calibration", {})
    t_old, thr_old = float(cal.get("temperature", 1.0)), float(cal.get("threshold", 0.5))
    rows, summary = product_scores(val_dir, dfs_path)
    band = None
    if mixed_dir:
        mrows, msummary = product_scores(mixed_dir, dfs_path)
        rows += mrows
        summary = {"dfdc": summary, "mixed": msummary}
        repos = {r["file"]: r["source_repo"] for r in data.read_mixed_manifest()}
        t_new, thr_new, rep = calibrate_sources(rows, t_old, max_fpr, repos=repos,
                                                groups_of=val_groups())
        band = rep["inconclusive"]
    else:
        t_new, thr_new, rep = calibrate(rows, t_old, max_fpr)
    rep["max_fpr"] = max_fpr
    # The file's current calibration, on the same scores, for comparison.
    probs = [r[2] for r in rows if r[2] is not None]
    labels = [r[1] for r in rows if r[2] is not None]
    tpr_old, fpr_old = metrics.rates(probs, labels, thr_old)
    out = {"eval": summary,
           "file_calibration": {"temperature": t_old, "threshold": thr_old, "tpr": tpr_old, "fpr": fpr_old},
           "product_calibration": rep}
    if write:
        n, sha = rewrite_calibration(dfs_path, t_new, thr_new, rep, band=band)
        out["dfs_sha256"] = sha
        log(f"wrote {dfs_path}: {n} bytes, sha256 {sha}")
    return out


REPORT = os.path.join(HERE, "product_report.json")


def tables(rep):
    """Markdown tables of a calibrate_sources report: per fake kind, per real source."""
    pc = rep["product_calibration"]
    out = ["| faces-mixed validation fakes vs the pooled faces-mixed validation reals | n fakes | AUC | "
           "caught at the threshold |", "|---|---:|---:|---:|"]
    for k in ("gan", "diffusion", "swap", "reenactment"):
        if f"auc_{k}" in pc:
            out.append(f"| {k} | {pc[f'n_{k}']} | {pc[f'auc_{k}']:.3f} | {pc[f'tpr_{k}']:.3f} |")
    out.append(f"| DFDC validation (source videos), real vs fake | {rep['eval']['dfdc']['n']} images | "
               f"{pc['dfdc_auc']:.3f} | |")
    oof = pc.get("out_of_fold")
    if oof:
        out[0] += " caught, out of fold |"
        out[1] += "---:|"
        for i, k in enumerate([k for k in data.FAKE_KINDS if f"auc_{k}" in pc]):
            out[2 + i] += f" {oof[f'tpr_{k}']:.3f} |"
        out[-1] += f" {oof['dfdc_tpr']:.3f} |" if "dfdc_tpr" in oof else " |"
    out += ["", "| real source (validation groups) | n scored | FPR at the threshold |"
            + (" FPR out of fold |" if oof else ""), "|---|---:|---:|" + ("---:|" if oof else "")]
    for src, (fpr, n) in sorted(pc["fpr_by_real_source"].items(), key=lambda kv: -kv[1][1]):
        out.append(f"| {src} | {n} | {fpr:.3f} |"
                   + (f" {oof['fpr_by_real_source'][src][0]:.3f} |" if oof else ""))
    if pc.get("paired"):
        out += ["", "| faces-mixed validation fakes vs the reals of the same repository | kind | "
                    "n fakes / reals | AUC |", "|---|---|---:|---:|"]
        for rp, by in sorted(pc["paired"].items()):
            if rp != "pooled":
                for k, (a, nf, nr) in by.items():
                    out.append(f"| {rp} | {k} | {nf} / {nr} | {a:.3f} |")
    lo, hi = pc["inconclusive"]
    out += ["", f"Threshold {pc['threshold']:.4f} (T {pc['temperature']:.4f}); inconclusive band "
                f"[{lo:.4f}, {hi:.4f}) holds {pc['inconclusive_frac']:.1%} of the scored validation "
                f"faces; {pc['n_scored']} scored, {pc['n_no_face']} without a face."]
    if oof:
        out += ["", f"Out of fold ({oof['repeats']} random halvings of the validation groups, each "
                    "half judged by the threshold and band fitted on the other half by the same "
                    f"rule): thresholds {oof['threshold_range'][0]:.4f}-{oof['threshold_range'][1]:.4f}, "
                    f"{oof['inconclusive_frac']:.1%} inconclusive."]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", action="store_true", help="print the tables of the saved report")
    ap.add_argument("--val-dir", default="/tmp/dfdc-val")
    ap.add_argument("--dfs", default=DEFAULT_DFS)
    ap.add_argument("--mixed-dir", default="/tmp/mixed-val",
                    help="faces-mixed validation groups ('' for DFDC only, the old rule)")
    ap.add_argument("--max-fpr", type=float, default=0.05)
    ap.add_argument("--write", action="store_true", help="rewrite the .dfs header's calibration")
    a = ap.parse_args()
    if a.table:
        with open(REPORT) as f:
            print(tables(json.load(f)))
        return 0
    with open(a.dfs, "rb") as f:
        sha_before = hashlib.sha256(f.read()).hexdigest()
    out = run(a.val_dir, a.dfs, a.max_fpr, a.write, mixed_dir=a.mixed_dir or None)
    print(json.dumps(out, indent=1))
    if a.mixed_dir:
        print(tables(out))
    # The committed report describes the shipped file only.
    if a.write and a.mixed_dir and os.path.abspath(a.dfs) == os.path.abspath(DEFAULT_DFS):
        out["dfs"] = os.path.relpath(a.dfs, REPO)
        train_state.save(out, REPORT)
    shipped = os.path.abspath(a.dfs) == os.path.abspath(DEFAULT_DFS)
    st = train_state.load() if a.write and shipped else None
    # Keep state.json's best in step when it described the shipped file we rewrote.
    if st and (st.get("best") or {}).get("dfs_sha256") == sha_before:
        st["best"]["product_calibration"] = out["product_calibration"]
        st["best"]["dfs_sha256"] = out["dfs_sha256"]
        train_state.save(st)
        print(f"updated {train_state.PATH} (best.product_calibration)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
