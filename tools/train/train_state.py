"""tools/train/state.json: the committed record of training (epoch, steps, best validation, the
recipe, every evaluation). Its `best` describes the shipped models/classifier.dfs."""

import json
import os

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "state.json")


def load(path=PATH):
    """The record, or None when there is none yet."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def save(state, path=PATH):
    """Writes the record atomically (a reader never sees half a file)."""
    with open(path + ".tmp", "w") as f:
        json.dump(state, f, indent=1)
    os.replace(path + ".tmp", path)
