"""Validation metrics and calibration for the fake-probability: AUC, log loss, temperature,
and the threshold that keeps false alarms on real faces at or under a target rate.

Convention: label 1 = FAKE; a face is called fake when prob >= threshold.
"""

import math

import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


def auc(scores, labels):
    """ROC AUC by the rank statistic (Mann-Whitney U), ties counted as half."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    npos, nneg = int(y.sum()), int((~y).sum())
    if npos == 0 or nneg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    ss = s[order]
    i = 0
    while i < len(ss):  # average ranks over ties
        j = i
        while j + 1 < len(ss) and ss[j + 1] == ss[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def auc_fakes_vs_reals(fakes, reals):
    """AUC of one group of fake scores against one group of real scores (fakes the positives)."""
    fakes, reals = np.asarray(fakes), np.asarray(reals)
    return auc(np.r_[fakes, reals], np.r_[np.ones(len(fakes)), np.zeros(len(reals))])


def log_loss(logits, labels, temperature=1.0):
    """Mean binary cross-entropy of sigmoid(logit / T), computed stably in logit space."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    y = np.asarray(labels, dtype=np.float64)
    # -[y log s(z) + (1-y) log(1 - s(z))] = softplus(z) - y z
    return float(np.mean(np.logaddexp(0, z) - y * z))


def fit_temperature(logits, labels, lo=0.05, hi=20.0, iters=80):
    """T minimising validation log loss; golden-section search on log T (it is unimodal)."""
    a, b = math.log(lo), math.log(hi)
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = log_loss(logits, labels, math.exp(c)), log_loss(logits, labels, math.exp(d))
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = log_loss(logits, labels, math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = log_loss(logits, labels, math.exp(d))
    return math.exp((a + b) / 2)


def threshold_for_fpr(probs, labels, max_fpr=0.10):
    """The probability threshold with FPR (reals called fake) <= max_fpr, as low as allowed.

    Placed midway between the last real that must stay below it and the next one up, so it
    is not tuned onto a single validation sample.
    """
    p = np.asarray(probs, dtype=np.float64)
    reals = np.sort(p[np.asarray(labels) == 0])[::-1]
    k = int(math.floor(max_fpr * len(reals)))  # reals allowed at or above the threshold
    if k >= len(reals):
        return 0.0
    below = reals[k]  # the highest real that must fall under the threshold
    above = reals[k - 1] if k > 0 else 1.0
    thr = (below + above) / 2 if above > below else np.nextafter(below, 2.0)
    while (reals >= thr).sum() > k:  # ties with `above`
        thr = np.nextafter(thr, 2.0)
    return float(min(thr, 1.0))


def rates(probs, labels, thr):
    p = np.asarray(probs)
    y = np.asarray(labels).astype(bool)
    tpr = float((p[y] >= thr).mean()) if y.any() else float("nan")
    fpr = float((p[~y] >= thr).mean()) if (~y).any() else float("nan")
    return tpr, fpr


def evaluate(logits, labels, max_fpr=0.10):
    """All the numbers we report for one checkpoint on the validation split."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int64)
    t = fit_temperature(logits, labels)
    probs = sigmoid(logits / t)
    thr = threshold_for_fpr(probs, labels, max_fpr)
    tpr, fpr = rates(probs, labels, thr)
    acc_half = float(((sigmoid(logits) >= 0.5) == labels.astype(bool)).mean())
    acc_thr = float(((probs >= thr) == labels.astype(bool)).mean())
    reals, fakes = labels == 0, labels == 1
    bal_acc = 0.5 * ((probs[fakes] >= thr).mean() + (probs[reals] < thr).mean())
    return {"n": int(len(labels)), "n_fake": int(fakes.sum()), "n_real": int(reals.sum()),
            "auc": auc(logits, labels), "logloss": log_loss(logits, labels),
            "logloss_cal": log_loss(logits, labels, t), "temperature": t,
            "acc@0.5": acc_half, "threshold": thr, "acc@thr": acc_thr,
            "bal_acc@thr": float(bal_acc), "tpr@thr": tpr, "fpr@thr": fpr}
