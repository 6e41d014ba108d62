#!/usr/bin/env python3
"""Re-encodes a classifier .dfs with the export's weight storage (dfs_io.WEIGHT_DTYPE, int8 per
output channel from dfs_io.I8_MIN_ELEMENTS elements, f16 below); header and tensor order kept.
For a file exported before the rule (or by a run that started before it changed).

    /usr/bin/python3 tools/train/reencode.py IN.dfs OUT.dfs
"""

import sys

import dfs_io


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    header, tensors = dfs_io.read_dfs(sys.argv[1])
    n, sha = dfs_io.write_weights(sys.argv[2], header, tensors)
    print(f"{sys.argv[2]}: {n} bytes, sha256 {sha}")


if __name__ == "__main__":
    main()
