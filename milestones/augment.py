"""Data augmentation shared by the milestone scripts (data preparation, not course material: no graph)."""
import numpy as np


def random_affine(images, rng, degrees=12.0, scale=0.1, shear=0.15, shift=2.0):
    """A random rotation/scale/shear/shift of each image in a batch (N, 28, 28), bilinear, zero outside."""
    n, h, w = images.shape
    angle = np.deg2rad(rng.uniform(-degrees, degrees, n))[:, None, None]
    zoom = rng.uniform(1 - scale, 1 + scale, n)[:, None, None]
    slant = rng.uniform(-shear, shear, n)[:, None, None]
    dx, dy = (rng.uniform(-shift, shift, (n, 1, 1)) for _ in range(2))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) - np.float32((h - 1) / 2)
    xs = xs + slant * ys  # for each output pixel, where to read in the source image (inverse map)
    src_x = (np.cos(angle) * xs - np.sin(angle) * ys) / zoom + (w - 1) / 2 - dx
    src_y = (np.sin(angle) * xs + np.cos(angle) * ys) / zoom + (h - 1) / 2 - dy
    x0, y0 = np.floor(src_x).astype(np.int64), np.floor(src_y).astype(np.int64)
    fx, fy = (src_x - x0).astype(np.float32), (src_y - y0).astype(np.float32)
    padded = np.pad(images, ((0, 0), (1, 2), (1, 2)))  # reading outside the image gives 0
    x0, y0 = np.clip(x0 + 1, 0, w + 1), np.clip(y0 + 1, 0, h + 1)
    at = lambda yy, xx: padded[np.arange(n)[:, None, None], yy, xx]
    return ((at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx) * (1 - fy)
            + (at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx) * fy).astype(np.float32)
