"""Prints every validation in tools/train/state.json as the Markdown table of models/MODELS.md.

    python3 tools/train/history_table.py [--mixed] [state.json]
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


def mixed_table(history):
    """The validations since training took in faces-mixed (sixth cycle on): pooled AUC, DFDC
    and faces-mixed AUCs, each fake kind against the pooled faces-mixed reals, the kind head."""
    lines = ["| time (UTC) | images seen | pooled AUC | DFDC AUC | faces-mixed AUC | gan | diffusion "
             "| swap | reenactment | kind head AUC | selection score |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for h in history:
        if "mixed_auc" not in h:
            continue
        lines.append("| {} | {:,} | {:.4f} | {:.4f} | {:.4f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} "
                     "| {:.3f} | {:.4f} |".format(
                         h["time"][:16].replace("T", " "), h["images"], h["auc"], h["dfdc_auc"],
                         h["mixed_auc"], h.get("auc_gan", float("nan")),
                         h.get("auc_diffusion", float("nan")), h.get("auc_swap", float("nan")),
                         h.get("auc_reenactment", float("nan")), h.get("kind_auc", float("nan")),
                         h["select"]))
    return "\n".join(lines)


def main():
    args = [a for a in sys.argv[1:] if a != "--mixed"]
    path = args[0] if args else os.path.join(HERE, "state.json")
    with open(path) as f:
        history = json.load(f)["history"]
    print(mixed_table(history) if "--mixed" in sys.argv else table(history))


if __name__ == "__main__":
    main()
