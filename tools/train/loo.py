#!/usr/bin/env python3
"""Leave-one-generator-family-out runs: for each faces-mixed fake kind, a training run that never
sees it, scored on every crop of it against the pooled faces-mixed validation reals.

  nice -n 5 /usr/bin/python3 tools/train/loo.py --minutes 14 [--kinds gan diffusion ...]
  python3 tools/train/loo.py --table        # the Markdown table from tools/train/loo.json

Each run starts from the same frozen DFDC-only model (--init, default cache/dfdc_only.dfs: the
classifier shipped before faces-mixed existed, so no run has seen any faces-mixed crop), trains
with train.py's recipe on DFDC + faces-mixed minus the held-out kind for --minutes, and writes
its checkpoints under cache/loo-<kind>/ (the shipped model is never touched). A "none" run of
0 minutes measures the init model itself: the before column. Results accumulate in
tools/train/loo.json (committed), one entry per kind, so an interrupted series resumes.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import train_state  # noqa: E402

OUT = os.path.join(HERE, "loo.json")


def load():
    return train_state.load(OUT) or {"runs": {}}


def store(keys, value):
    """Sets loo.json[keys...] = value on the file as it is now, so that runs of several loo.py
    processes side by side (one per recipe) keep each other's results."""
    res = load()
    node = res
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    train_state.save(res, OUT)
    return res


def run_one(kind, minutes, init, threads, extra=(), recipe=""):
    tag = f"loo-{kind}" + (f"-{recipe}" if recipe else "")
    side = os.path.join(data.CACHE, tag)
    for f in ("last.pt", "best.pt", "state.json"):  # each run is a fresh start from init
        if os.path.exists(os.path.join(side, f)):
            os.remove(os.path.join(side, f))
    cmd = [sys.executable, os.path.join(HERE, "train.py"), "--resume", "--init", init, "--tag", tag,
           "--minutes", str(minutes), "--eval-every", "1e9", "--threads", str(threads),
           "--max-fpr", "0.05", "--lr", "6e-4"]
    if kind != "none":
        cmd += ["--holdout", kind]
    cmd += list(extra)
    log_path = os.path.join(data.CACHE, f"{tag}.log")
    t0 = time.time()
    with open(log_path, "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    return result_of(side, minutes, (time.time() - t0) / 60, init, extra)


def result_of(side, minutes, wall_minutes, init, extra):
    """loo.json's entry for a finished run: its side run's last validation."""
    st = train_state.load(os.path.join(side, "state.json"))
    m = st["history"][-1]
    keep = {k: v for k, v in m.items() if k.startswith(("auc", "heldout", "dfdc_auc", "mixed_auc",
                                                         "kind_", "fpr_by"))}
    return {"minutes": minutes, "wall_minutes": round(wall_minutes, 1),
            "images": m.get("images"), "init": os.path.basename(init), "metrics": keep,
            "train_args": list(extra), "time": m.get("time")}


def score_kinds(model, n_in, kinds, min_reals=20):
    """A model on every crop of each fake kind in kinds against the pooled faces-mixed
    validation reals (PyTorch, validation framing, flip TTA), and against each real source
    (generator) with at least min_reals of them: which reals a held-out family is confused with.
    "paired": the same fakes against the validation reals of their own source repository
    (paired_check.paired_aucs), where the repository holds both labels.
    Returns {kind: {"auc": pooled AUC, "n": fakes, "by_source": {source: [AUC, n reals]},
    "paired": {repo: [AUC, n fakes, n reals]}}}."""
    import numpy as np

    import metrics
    import paired_check
    from train import cache_size_for, predict, val_tensor
    rows = data.read_mixed_manifest()
    val = data.mixed_val_groups(rows)
    crops = data.build_mixed_cache(rows, cache_size_for(n_in))
    kind = np.array([r["kind"] for r in rows])
    gen = np.array([r["generator"] for r in rows])
    reals = np.flatnonzero((kind == "real") & np.array([r["source_group"] in val for r in rows]))
    z_real = predict(model, val_tensor(crops, reals, n_in))
    auc = metrics.auc_fakes_vs_reals

    out = {}
    for k in kinds:
        fk = np.flatnonzero(kind == k)
        z = predict(model, val_tensor(crops, fk, n_in))
        by = {}
        for g in sorted(set(gen[reals])):
            sel = gen[reals] == g
            if sel.sum() >= min_reals:
                by[g] = [round(auc(z, z_real[sel]), 4), int(sel.sum())]
        score, use = np.zeros(len(rows)), np.zeros(len(rows), bool)
        score[reals], score[fk], use[reals], use[fk] = z_real, z, True, True
        paired = paired_check.paired_aucs(rows, score, use)
        paired.pop("pooled")
        out[k] = {"auc": auc(z, z_real), "n": int(len(z)), "by_source": by,
                  "paired": {rp: v[k] for rp, v in paired.items()}}
    return out


def baseline(init):
    """The init model (never saw faces-mixed) on every crop of each fake kind: the same
    measurement as a run's held-out AUC (the before column), with its per-source split."""
    import torch

    import dfs_io
    torch.set_num_threads(2)
    model, header = dfs_io.load_dfs_into_model(init)
    return score_kinds(model, header["input"]["height"], data.FAKE_KINDS)


def by_source(res, threads):
    """Each leave-one-out run's final model (best.pt of its side run: with --eval-every 1e9 the
    one evaluation is the final one) scored again on its held-out kind, split by real source."""
    import torch

    from effnet_model import EffNetClassifier
    torch.set_num_threads(threads)
    out = {}
    for name, runs in [("runs", res["runs"])] + list(res.get("recipes", {}).items()):
        for k in data.FAKE_KINDS:
            if k not in runs:
                continue
            tag = f"loo-{k}" + ("" if name == "runs" else f"-{name}")
            path = os.path.join(data.CACHE, tag, "best.pt")
            if not os.path.exists(path):
                print(f"{path} missing: skipped", flush=True)
                continue
            ck = torch.load(path, map_location="cpu")
            model = EffNetClassifier(ck["arch"])
            model.load_state_dict(ck["model"])
            out.setdefault(name, {})[k] = score_kinds(model, ck["input"], [k])[k]
            print(name, k, json.dumps(out[name][k]), flush=True)
    return out


def table(res):
    """Markdown: per held-out kind, AUC before (init model) and after a run that never saw it,
    one column per recipe ("runs": the sixth cycle's recipe; "recipes": later ones)."""
    recipes = [("sixth cycle", res["runs"])] + list(res.get("recipes", {}).items())
    base = res.get("baseline", {})
    head = "| held-out family | n fakes (all its crops) | AUC, DFDC-only model |"
    rule = "|---|---:|---:|"
    for name, _ in recipes:
        head += f" AUC without it: {name} | its DFDC val AUC |"
        rule += "---:|---:|"
    lines = [head, rule]
    for k in data.FAKE_KINDS:
        cells, n = [], ""
        for _, runs in recipes:
            r = runs.get(k)
            if not r:
                cells += ["", ""]
                continue
            m = r["metrics"]
            n = m.get("heldout_n", n)
            cells += [f"{m[f'heldout_{k}_auc']:.3f}", f"{m['dfdc_auc']:.3f}"]
        if not any(cells):
            continue
        b = base.get(k, {}).get("auc")
        lines.append(f"| {k} | {n} | {'' if b is None else f'{b:.3f}'} | " + " | ".join(cells) + " |")
    for name, runs in recipes:
        r = next((r for r in runs.values() if r["minutes"]), None)
        if r:
            lines.append("")
            lines.append(f"{name}: {r['minutes']} minutes per run, train.py args "
                         f"{' '.join(r.get('train_args', [])) or '(defaults)'}")
    return "\n".join(lines)


def scored_models(res):
    """[(row label, {kind: score_kinds entry})] for the DFDC-only model and each recipe's runs,
    only the entries that score_kinds wrote (an old baseline held bare AUCs)."""
    names = {"runs": "sixth cycle"}
    return [(name, {k: v for k, v in r.items() if isinstance(v, dict) and "by_source" in v})
            for name, r in [("DFDC-only model", res.get("baseline", {}))] + [
                (f"without it, {names.get(n, n)} recipe", r)
                for n, r in res.get("by_source", {}).items()]]


def source_table(res):
    """Markdown: each held-out family's AUC against each real source (n >= 20 validation reals),
    for the DFDC-only model and each recipe's run that never saw the family."""
    rows = scored_models(res)
    srcs = sorted({s for _, r in rows for v in r.values() for s in v.get("by_source", {})})
    n_of = {s: n for _, r in rows for v in r.values() for s, (_, n) in v.get("by_source", {}).items()}
    lines = ["| held-out family | model | all reals | " + " | ".join(
        f"{s} ({n_of[s]})" for s in srcs) + " |", "|---|---|---:|" + "---:|" * len(srcs)]
    for k in data.FAKE_KINDS:
        for name, r in rows:
            v = r.get(k)
            if v:
                lines.append(f"| {k} | {name} | {v['auc']:.3f} | " + " | ".join(
                    f"{v['by_source'][s][0]:.3f}" if s in v["by_source"] else "" for s in srcs)
                    + " |")
    return "\n".join(lines)


def paired_table(res):
    """Markdown: each held-out family against the reals of its own source repositories (the
    ones that hold both labels), per model, beside the pooled AUC."""
    rows = scored_models(res)
    lines = ["| held-out family | model | all reals | against its own source's reals: AUC "
             "(n fakes / reals) |", "|---|---|---:|---|"]
    for k in data.FAKE_KINDS:
        for name, r in rows:
            v = r.get(k)
            if v and "paired" in v:
                cells = "; ".join(f"{rp.split('/')[0]} {a:.3f} ({nf}/{nr})"
                                  for rp, (a, nf, nr) in sorted(v["paired"].items()))
                lines.append(f"| {k} | {name} | {v['auc']:.3f} | {cells} |")
    return "\n".join(lines)


def tables(res):
    """The tables as MODELS.md has them: the per-run one and, once measured, the per-source and
    the within-source ones."""
    out = table(res)
    if res.get("by_source"):
        out += f"\n\n{source_table(res)}"
        if any("paired" in v for r in res["by_source"].values() for v in r.values()):
            out += f"\n\n{paired_table(res)}"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=14)
    ap.add_argument("--kinds", nargs="*", default=["none"] + list(data.FAKE_KINDS))
    ap.add_argument("--init", default=os.path.join(data.CACHE, "dfdc_only.dfs"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--redo", action="store_true", help="run kinds already in loo.json again")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--recipe", default="",
                    help="name of a later recipe: results go to loo.json's recipes[NAME], "
                         "checkpoints to cache/loo-KIND-NAME (default: the sixth cycle's, runs)")
    ap.add_argument("--train-args", default="",
                    help="extra train.py arguments of that recipe, e.g. \"--sbi 0.3\"")
    ap.add_argument("--baseline", action="store_true",
                    help="measure the init model on every crop of each kind (the before column)")
    ap.add_argument("--by-source", action="store_true",
                    help="score each run's final model on its held-out kind against each real "
                         "source (loo.json by_source)")
    a = ap.parse_args()
    res = load()
    if a.by_source:
        store(["by_source"], by_source(res, a.threads))
        return 0
    if a.baseline:
        res = store(["baseline"], baseline(a.init))
        print(json.dumps(res["baseline"]))
        return 0
    if a.table:
        print(tables(res))
        return 0
    if not os.path.exists(a.init):
        sys.exit(f"{a.init} missing: git show <rev>:models/classifier.dfs > {a.init}")
    where = ["recipes", a.recipe] if a.recipe else ["runs"]
    for kind in a.kinds:
        done = res
        for k in where:
            done = done.get(k, {})
        if kind in done and not a.redo:
            continue
        print(time.strftime("%H:%M:%S"), "leave out", kind, a.recipe, flush=True)
        entry = run_one(kind, 0 if kind == "none" else a.minutes, a.init, a.threads,
                        a.train_args.split(), a.recipe)
        res = store(where + [kind], entry)
        print(json.dumps(entry["metrics"]), flush=True)
    print(table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
