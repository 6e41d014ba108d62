#!/usr/bin/env python3
"""Prints the tables of models/MODELS.md's classifier section from the committed reports, so
every number there comes from a file a command wrote:

  tools/train/product_report.json   calibrate_product.py --write (wasm pipeline, validation)
  tools/train/loo.json              loo.py (leave-one-family-out runs, --baseline, --by-source)
  tools/train/paired_report.json    paired_check.py --write (fakes vs reals of the same source)
  tools/train/state.json            train.py (every validation)
  tools/train/testdata_eval.json    eval on each ../shared/testdata folder (this script, --eval)
  tools/train/stability_report.json stability.py before/after

  /usr/bin/python3 tools/train/report_tables.py [--eval]
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import calibrate_product  # noqa: E402
import data  # noqa: E402
import history_table  # noqa: E402
import loo  # noqa: E402
import paired_check  # noqa: E402
import train_state  # noqa: E402

TESTDATA = os.path.join(data.REPO, "..", "shared", "testdata")
EVAL_OUT = os.path.join(HERE, "testdata_eval.json")
STABILITY = os.path.join(HERE, "stability_report.json")


def run_testdata_eval():
    """`deepfake-shield eval` on each labelled ../shared/testdata folder (not used for any choice)."""
    out = {}
    for d in sorted(os.listdir(TESTDATA)):
        if not os.path.exists(os.path.join(TESTDATA, d, "labels.csv")):
            continue
        r = subprocess.run(["node", os.path.join(data.REPO, "bin", "deepfake-shield.js"), "eval",
                            os.path.join(TESTDATA, d)], capture_output=True, text=True)
        out[d] = json.loads(r.stdout.strip().splitlines()[-1])
    with open(EVAL_OUT, "w") as f:
        json.dump(out, f, indent=1)
    return out


def testdata_table(ev):
    f = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    lines = ["| folder | n | AUC | TPR | FPR | inconclusive | no face |", "|---|---:|---:|---:|---:|---:|---:|"]
    for d, m in ev.items():
        lines.append(f"| {d} | {m['n']} | {f(m['auc'])} | {f(m['tpr'])} | {f(m['fpr'])} | "
                     f"{m.get('inconclusive', '-')} | {m['no_face']} |")
    return "\n".join(lines)


def stability_table(rep):
    lines = ["| change | face found | mean abs. score change | 90th pct | verdicts flipped |",
             "|---|---:|---:|---:|---:|"]
    out = []
    for label, r in rep.items():
        out.append(f"\n{label}:\n")
        out.append("\n".join(lines))
        for v, m in r["variants"].items():
            out.append(f"| {v} | {m['face_found']:.3f} | {m['mean_abs_change']:.3f} | "
                       f"{m['p90_abs_change']:.3f} | {m['verdict_flips']:.3f} |")
    return "\n".join(out)


def main():
    if "--eval" in sys.argv:
        run_testdata_eval()
    with open(calibrate_product.REPORT) as f:
        print(calibrate_product.tables(json.load(f)), "\n")
    print(loo.tables(loo.load()), "\n")
    if os.path.exists(paired_check.OUT):
        print(paired_check.table(train_state.load(paired_check.OUT)), "\n")
    with open(os.path.join(HERE, "state.json")) as f:
        print(history_table.mixed_table(json.load(f)["history"]), "\n")
    if os.path.exists(EVAL_OUT):
        with open(EVAL_OUT) as f:
            print(testdata_table(json.load(f)), "\n")
    if os.path.exists(STABILITY):
        with open(STABILITY) as f:
            print(stability_table(json.load(f)))


if __name__ == "__main__":
    main()
