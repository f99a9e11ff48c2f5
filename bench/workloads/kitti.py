"""KITTI*: the paper's compute-intensive steering-angle benchmark (RQ2, RQ4), offline.

Each query compares two driving systems: 8 `steering_angle` calls (4 scenes per system) run
real stereo matching, two `self` calls average each group and a third takes the difference, the
FRG of the paper's Figure 3. The paper ran Stereo R-CNN on 1,600 KITTI images; here a scene is a
deterministic crop and photometric/mirror augmentation of a real rectified stereo pair, scikit-
image's `stereo_motorcycle()` (Middlebury 2014, bundled in the scikit-image wheel, loads
offline). OpenCV's semi-global matcher (8-path mode, one thread) computes the disparity both ways
with a left-right consistency check, and the steering angle turns away from the nearer side.
Without OpenCV a numpy block matcher does the same job, slower.

Timings on a 2-core AMD EPYC VM, one thread per call: the default `scale=1.3` takes ~0.75 s
(medians 0.72-0.81 s over runs), `TINY_SCALE` (0.45) ~0.03 s; the numpy fallback ~2 s.

Example:
    ```python
    from bench.workloads import kitti

    angle = kitti.steering_angle(scene=3, scale=kitti.TINY_SCALE)
    print(kitti.plan(0, scale=kitti.TINY_SCALE))
    ```
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from statistics import fmean
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from bench.workloads import Registry

__all__ = [
    "DEFAULT_SCALE",
    "TINY_SCALE",
    "TOOLS",
    "answer_self",
    "plan",
    "query",
    "reference_answer",
    "scenes",
    "steering_angle",
    "stereo_source",
]

DEFAULT_SCALE = 1.3  # linear image scale: ~0.8 s per call on one core (see the module doc)
TINY_SCALE = 0.45  # for CI: ~0.03 s per call
_CROP = 0.9  # every scene is a 90% crop, so all calls cost the same (homogeneous, as in RQ4)
_DISPARITIES = 128  # search range at scale 1.0 (the pair's true disparities reach 60)
_BLOCK = 5
_SEED = 0x4B495454  # "KITT"

if TYPE_CHECKING:
    Image = NDArray[np.uint8]


def _synthetic_pair() -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """A deterministic textured scene: a receding ground plane and three boxes."""
    rng = np.random.default_rng(_SEED)
    h, w = 500, 741
    texture = rng.integers(0, 256, (h, w + _DISPARITIES)).astype(np.float64)
    texture = (texture + np.roll(texture, 1, 0) + np.roll(texture, 1, 1)) / 3
    disparity = np.repeat(np.linspace(8, 60, h)[:, None], w, axis=1)
    for y, x, d in ((200, 120, 90), (260, 420, 70), (150, 600, 40)):
        disparity[y : y + 160, x : x + 110] = d
    cols = np.arange(w)[None, :] + disparity.astype(np.int64)
    left = texture[:, :w]
    right = np.take_along_axis(texture, np.clip(cols, 0, w + _DISPARITIES - 1), axis=1)
    return left.astype(np.uint8), right.astype(np.uint8)


@cache
def _pair() -> tuple[NDArray[np.uint8], NDArray[np.uint8], str]:
    try:
        from skimage.data import stereo_motorcycle  # noqa: PLC0415 - optional, heavy

        left_rgb, right_rgb, _ = stereo_motorcycle()  # type: ignore[no-untyped-call]
    except Exception:  # no scikit-image, or no data: fall back to a synthetic pair
        left, right = _synthetic_pair()
        return left, right, "synthetic"
    weights = np.array([0.299, 0.587, 0.114])
    left = (left_rgb @ weights).round().astype(np.uint8)
    right = (right_rgb @ weights).round().astype(np.uint8)
    return left, right, "skimage.data.stereo_motorcycle"


def stereo_source() -> str:
    """Name the stereo pair in use: `"skimage.data.stereo_motorcycle"` or `"synthetic"`.

    Returns:
        Where the scenes come from on this machine.

    Example:
        ```python
        assert stereo_source() in {"skimage.data.stereo_motorcycle", "synthetic"}
        ```
    """
    return _pair()[2]


def _scene(scene: int, scale: float) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    left, right, _ = _pair()
    rng = np.random.default_rng([scene, _SEED])
    h, w = left.shape
    ch, cw = int(h * _CROP), int(w * _CROP)
    y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    pair = [left[y0 : y0 + ch, x0 : x0 + cw], right[y0 : y0 + ch, x0 : x0 + cw]]
    if rng.random() < 0.5:  # mirror: the flipped right view becomes the left one
        pair = [pair[1][:, ::-1], pair[0][:, ::-1]]
    gain, bias = rng.uniform(0.8, 1.2), rng.uniform(-20.0, 20.0)
    out = []
    for img in pair:
        resized = _resize(img, max(16, round(ch * scale)), max(64, round(cw * scale)))
        noisy = resized * gain + bias + rng.normal(0.0, 2.0, resized.shape)
        out.append(noisy.clip(0, 255).astype(np.uint8))
    return out[0], out[1]


def _resize(img: NDArray[np.uint8], h: int, w: int) -> NDArray[np.float64]:
    """Bilinear resize in numpy (the same pixels with or without OpenCV)."""
    ys = np.linspace(0, img.shape[0] - 1, h)
    xs = np.linspace(0, img.shape[1] - 1, w)
    y0, x0 = ys.astype(np.int64), xs.astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, img.shape[0] - 1), np.minimum(x0 + 1, img.shape[1] - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    f = img.astype(np.float64)
    top = f[np.ix_(y0, x0)] * (1 - fx) + f[np.ix_(y0, x1)] * fx
    bottom = f[np.ix_(y1, x0)] * (1 - fx) + f[np.ix_(y1, x1)] * fx
    return np.asarray(top * (1 - fy) + bottom * fy, dtype=np.float64)


def _disparity_cv2(left: Image, right: Image, nd: int) -> NDArray[np.float64]:
    import cv2  # noqa: PLC0415 - optional dependency

    cv2.setNumThreads(1)  # one call, one processor
    matcher = cv2.StereoSGBM.create(
        minDisparity=0,
        numDisparities=nd,
        blockSize=_BLOCK,
        P1=8 * _BLOCK**2,
        P2=32 * _BLOCK**2,
        disp12MaxDiff=1,
        uniquenessRatio=10,
        speckleWindowSize=100,
        speckleRange=2,
        mode=cv2.STEREO_SGBM_MODE_HH,
    )
    return np.asarray(matcher.compute(left, right), dtype=np.float64) / 16.0


def _disparity_numpy(left: Image, right: Image, nd: int) -> NDArray[np.float64]:
    """Sum-of-absolute-differences block matching, box-filtered with cumulative sums."""
    a, b = left.astype(np.float32), right.astype(np.float32)
    h, w = a.shape
    best = np.full((h, w), np.inf, dtype=np.float32)
    disparity = np.full((h, w), -1.0)
    r = _BLOCK // 2 + 1
    for d in range(nd):
        cost = np.full((h, w), 255.0, dtype=np.float32)
        cost[:, d:] = np.abs(a[:, d:] - b[:, : w - d])
        padded = np.pad(cost, r, mode="edge").cumsum(0).cumsum(1)
        box = padded[2 * r :, 2 * r :] - padded[: -2 * r, 2 * r :]
        box = box - padded[2 * r :, : -2 * r] + padded[: -2 * r, : -2 * r]
        better = box[:h, :w] < best
        best[better], disparity[better] = box[:h, :w][better], d
    disparity[:, :nd] = -1.0
    return disparity


def _disparity(left: Image, right: Image, nd: int) -> NDArray[np.float64]:
    try:
        return _disparity_cv2(left, right, nd)
    except ImportError:
        return _disparity_numpy(left, right, nd)


def steering_angle(scene: int, scale: float = DEFAULT_SCALE) -> float:
    """Detect the steering angle of a stereo scene, in degrees (positive: steer right).

    Args:
        scene: the scene number (any integer; each one is a different crop/augmentation).
        scale: image scale; the default takes ~0.75 s on one core, `TINY_SCALE` ~0.03 s.
    """
    if not 0.05 <= scale <= 4.0:
        msg = f"steering_angle: scale must be in [0.05, 4], got {scale}"
        raise ValueError(msg)
    left, right = _scene(scene, scale)
    nd = max(16, 16 * round(_DISPARITIES * scale / 16))
    disp_left = _disparity(left, right, nd)
    disp_right = _disparity(right[:, ::-1].copy(), left[:, ::-1].copy(), nd)[:, ::-1]
    # Left-right consistency: keep pixels whose match in the right view agrees within 1 px.
    h, w = disp_left.shape
    cols = np.arange(w)[None, :] - np.rint(disp_left).astype(np.int64)
    back = np.take_along_axis(disp_right, cols.clip(0, w - 1), axis=1)
    valid = (disp_left > 0) & (cols >= 0) & (np.abs(disp_left - back) <= 1.0)
    # The road ahead (not the sky), right of the band the matcher cannot see (x < nd).
    near = np.where(valid, disp_left / nd, np.nan)[h // 3 :, nd:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: nothing seen there
        profile = np.nan_to_num(np.nanpercentile(near, 80, axis=0), nan=0.0)
    third = profile.size // 3
    closer_left = float(profile[:third].mean() - profile[-third:].mean())
    return round(float(np.degrees(np.arctan(3.0 * closer_left))), 3)


def scenes(q: int) -> tuple[list[int], list[int]]:
    """The scenes of query q: system A (odd numbers) and system B (even), 4 each.

    Args:
        q: the query number, from 0.

    Returns:
        `([8q+1, 8q+3, 8q+5, 8q+7], [8q+2, 8q+4, 8q+6, 8q+8])`.

    Example:
        ```python
        assert scenes(0) == ([1, 3, 5, 7], [2, 4, 6, 8])
        ```
    """
    return [8 * q + i for i in (1, 3, 5, 7)], [8 * q + i for i in (2, 4, 6, 8)]


def query(q: int) -> str:
    """The user query of KITTI* query q, after the paper's example.

    Args:
        q: the query number, from 0.

    Returns:
        The query text.

    Example:
        ```python
        assert "000001" in query(0)
        ```
    """
    a, b = scenes(q)
    names = ", ".join(f"{s:06d}.png" for s in sorted(a + b))
    return (
        f"We collect stereo images for both systems A and B: {names}, with odd-numbered "
        "images for system A and even-numbered images for system B. Process all images with "
        "steering_angle to detect the steering angle of each scene. Average the steering "
        "angles of each system, then calculate the difference of the averages (A minus B) to "
        "quantify the difference in their stability."
    )


def plan(q: int, *, scale: float | None = None) -> str:
    """The plan of query q: 8 steering calls, 2 `self` averages, 1 `self` difference.

    Args:
        q: the query number, from 0.
        scale: written into every steering call when given (None: the tool's default).

    Returns:
        Plan-language text, one call per line.

    Example:
        ```python
        assert plan(0).splitlines()[0] == "s1: steering_angle(scene=1)"
        ```
    """
    extra = "" if scale is None else f", scale={scale}"
    a, b = scenes(q)
    lines = [f"s{i}: steering_angle(scene={s}{extra})" for i, s in enumerate(a + b, start=1)]
    lines += [
        's9: self(prompt="Average the steering angles of system A: {s1}, {s2}, {s3}, {s4}")',
        's10: self(prompt="Average the steering angles of system B: {s5}, {s6}, {s7}, {s8}")',
        's11: self(prompt="Difference of the average steering angles, A minus B: {s9}, {s10}")',
    ]
    return "\n".join(lines)


_FLOAT = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def answer_self(prompt: str) -> str:
    """What a correct LLM answers to the plan's `self` prompts (for the scripted LLM).

    Args:
        prompt: a `self` prompt of `plan()`, references already interpolated.

    Returns:
        The average (or the difference) of the numbers after the prompt's last colon.

    Example:
        ```python
        assert answer_self("Average ... of system A: 1, 2, 3, 6") == "3.0"
        ```
    """
    numbers = [float(x) for x in _FLOAT.findall(prompt.rsplit(":", 1)[-1])]
    if prompt.startswith("Difference") and len(numbers) == 2:
        return str(round(numbers[0] - numbers[1], 4))
    return str(round(fmean(numbers), 4)) if numbers else "I found no numbers."


def reference_answer(q: int, *, scale: float = DEFAULT_SCALE) -> float:
    """The correct answer of query q: runs the 8 steering calls here, sequentially.

    Args:
        q: the query number, from 0.
        scale: the scale the plan uses.

    Returns:
        Average angle of system A minus average angle of system B, rounded to 4 places.

    Example:
        ```python
        print(reference_answer(0, scale=TINY_SCALE))
        ```
    """
    a, b = scenes(q)
    avg_a = fmean(steering_angle(s, scale) for s in a)
    avg_b = fmean(steering_angle(s, scale) for s in b)
    return round(round(avg_a, 4) - round(avg_b, 4), 4)


TOOLS: Registry = {
    "steering_angle": (
        steering_angle,
        "compute",
        (
            f"steering_angle(scene: int, scale: float = {DEFAULT_SCALE}) -> float: Run stereo "
            "matching on "
            "scene number `scene` and return the detected steering angle in degrees."
        ),
    ),
}
"""KITTI*: one compute tool; `self` is the agent's built-in."""
