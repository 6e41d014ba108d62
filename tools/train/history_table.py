"""Prints every validation in tools/train/state.json as the Markdown table of models/MODELS.md.

    python3 tools/train/history_table.py [state.json]
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def table(history):
    lines = ["| time (UTC) | images seen | val TTA | AUC | log loss | cal. log loss | T | threshold "
             "| TPR | FPR | acc@0.5 |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for h in history:
        lines.append("| {} | {:,} | {} | {:.4f} | {:.4f} | {:.4f} | {:.3f} | {:.4f} | {:.3f} | {:.3f} "
                     "| {:.3f} |".format(h["time"][:16].replace("T", " "), h["images"],
                                         h.get("tta", "none"), h["auc"], h["logloss"],
                                         h["logloss_cal"], h["temperature"], h["threshold"],
                                         h["tpr@thr"], h["fpr@thr"], h["acc@0.5"]))
    return "\n".join(lines)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "state.json")
    with open(path) as f:
        print(table(json.load(f)["history"]))


if __name__ == "__main__":
    main()
