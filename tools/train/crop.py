"""The engine's region resampling (src/image/resample.cc, resample_region) in numpy, so training
and validation cut faces exactly as the product does. tests/python/test_crop_parity.py holds the
two equal (within 1/255 on 50 regions of every kind: area and bilinear, mirrored, filled).

Per axis, like the engine: a cell wider than AREA_ABOVE source pixels is the exact area average
of what it covers; a narrower one is bilinear at its centre with clamp-to-edge. Mirror border:
the image reflected about its edges (edge pixels repeated, numpy "symmetric"), out to
MIRROR_REACH image sizes; beyond that (or always, for the fill border) `fill` counts in
proportion to the cell's share outside.
"""
import functools
import math

import numpy as np

AREA_ABOVE = 1.5  # src/image/image.h kResampleAreaAbove
MIRROR_REACH = 2  # kMirrorReach


def _mirror_index(k, size):
    period = 2 * size
    m = k % period
    return m if m < size else period - 1 - m


@functools.lru_cache(maxsize=256)
def axis_weights(start, extent, n, size, mirror):
    """(n x size) weights and the n outside shares of one axis; each row sums to 1 with its share.
    Cached: validation cuts every stored crop with the same geometry. (Read-only arrays.)"""
    w = np.zeros((n, size), dtype=np.float64)
    outside = np.zeros(n, dtype=np.float64)
    scale = extent / n
    reach = MIRROR_REACH * size if mirror else 0.0
    lo_edge, hi_edge = -reach, size + reach
    for i in range(n):
        taps, out = [], 0.0
        if scale > AREA_ABOVE:
            a, b = start + i * scale, start + (i + 1) * scale
            ca, cb = max(a, lo_edge), min(b, hi_edge)
            inside = 0.0
            if cb > ca:
                for k in range(math.floor(ca), math.ceil(cb)):
                    overlap = min(b, k + 1.0) - max(a, float(k))
                    if overlap <= 0:
                        continue
                    taps.append((_mirror_index(k, size), overlap))
                    inside += overlap
            out = max(0.0, (b - a) - inside)
        else:
            p = start + (i + 0.5) * scale
            if lo_edge <= p < hi_edge and (p < 0 or p >= size):
                period = 2.0 * size
                p = math.fmod(p, period)
                if p < 0:
                    p += period
                if p >= size:
                    p = max(0.0, period - p)
                p = min(p, math.nextafter(float(size), 0.0))
            if 0 <= p < size:
                u = p - 0.5
                k = math.floor(u)
                f = u - k
                taps.append((min(max(k, 0), size - 1), 1 - f))
                if f > 0:
                    taps.append((min(max(k + 1, 0), size - 1), f))
            else:
                out = 1.0
        total = out + sum(t for _, t in taps)
        for idx, t in taps:
            w[i, idx] += t / total
        outside[i] = out / total
    w.flags.writeable = False
    outside.flags.writeable = False
    return w, outside


def resample_region(img, x, y, w, h, out_w, out_h, fill=0.0, mirror=False):
    """img: HxWx3 uint8 (or float) -> out_h x out_w x 3 float32 in 0..255, as the engine's."""
    img = np.asarray(img, dtype=np.float64)
    wx, ox = axis_weights(float(x), float(w), int(out_w), int(img.shape[1]), bool(mirror))
    wy, oy = axis_weights(float(y), float(h), int(out_h), int(img.shape[0]), bool(mirror))
    hh, ww = img.shape[:2]
    rows = (wy @ img.reshape(hh, ww * 3)).reshape(out_h, ww, 3)             # rows, then columns
    out = (rows.transpose(0, 2, 1) @ wx.T).transpose(0, 2, 1)
    share = ox[None, :] * (1 - oy[:, None]) + oy[:, None]
    return (out + fill * share[:, :, None]).astype(np.float32)


def product_crop(img, box, margin, out, mirror=True):
    """The classifier's crop of a face box (x, y, w, h): a square of side max(w, h) * (1 + 2 *
    margin) centred on the box, resampled to out x out (src/pipeline/classifier.cc)."""
    bx, by, bw, bh = box
    side = max(bw, bh) * (1 + 2 * margin)
    cx, cy = bx + bw / 2, by + bh / 2
    return resample_region(img, cx - side / 2, cy - side / 2, side, side, out, out, 0.0, mirror)
