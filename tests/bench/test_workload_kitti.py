"""KITTI*: steering angles are real, deterministic stereo work; the plan has Figure 3's shape."""

from unittest import mock

import numpy as np
import pytest

from bench.workloads import kitti


def test_steering_angle_is_deterministic_for_a_scene() -> None:
    first = kitti.steering_angle(3, kitti.TINY_SCALE)
    assert kitti.steering_angle(3, kitti.TINY_SCALE) == first
    assert isinstance(first, float)
    assert -90.0 < first < 90.0


def test_scenes_are_different_augmentations() -> None:
    left_a, _ = kitti._scene(1, kitti.TINY_SCALE)
    left_b, _ = kitti._scene(2, kitti.TINY_SCALE)
    assert left_a.shape == left_b.shape  # every scene costs the same
    assert not np.array_equal(left_a, left_b)


def test_the_real_stereo_pair_loads_offline() -> None:
    assert kitti.stereo_source() == "skimage.data.stereo_motorcycle"


def test_numpy_block_matching_agrees_with_opencv_on_most_pixels() -> None:
    left, right = kitti._scene(1, kitti.TINY_SCALE)
    ours = kitti._disparity_numpy(left, right, 48)
    opencv = kitti._disparity_cv2(left, right, 48)
    both = (ours > 0) & (opencv > 0)
    assert both.mean() > 0.5
    assert (np.abs(ours - opencv)[both] <= 2).mean() > 0.7


def test_steering_angle_falls_back_to_numpy_without_opencv() -> None:
    with mock.patch.object(kitti, "_disparity_cv2", side_effect=ImportError):
        angle = kitti.steering_angle(1, 0.3)
    assert -90.0 < angle < 90.0


def test_synthetic_pair_is_a_shifted_texture() -> None:
    left, right = kitti._synthetic_pair()
    assert left.shape == right.shape == (500, 741)
    assert np.array_equal(right[0, :100], left[0, 8:108])  # the top rows' disparity is 8 px


def test_scale_out_of_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="scale"):
        kitti.steering_angle(1, 0.0)


def test_plan_has_8_steering_calls_2_averages_and_a_difference() -> None:
    lines = kitti.plan(2, scale=0.5).splitlines()
    assert len(lines) == 11
    assert lines[0] == "s1: steering_angle(scene=17, scale=0.5)"  # system A: odd scenes
    assert lines[4] == "s5: steering_angle(scene=18, scale=0.5)"  # system B: even scenes
    assert "{s1}, {s2}, {s3}, {s4}" in lines[8]
    assert "{s5}, {s6}, {s7}, {s8}" in lines[9]
    assert lines[10].startswith("s11: self(")
    assert "{s9}, {s10}" in lines[10]
    assert "000017.png" in kitti.query(2)
    assert kitti.TOOLS["steering_angle"][1] == "compute"


def test_answer_self_averages_and_subtracts() -> None:
    assert kitti.answer_self("Average the steering angles of system A: 1, 2, 3, -2") == "1.0"
    diff = "Difference of the average steering angles, A minus B: 2.5, -1.25"
    assert kitti.answer_self(diff) == "3.75"


def test_reference_answer_is_the_difference_of_the_group_means() -> None:
    with mock.patch.object(kitti, "steering_angle", side_effect=lambda s, _scale: float(s)):
        assert kitti.reference_answer(0, scale=1.0) == pytest.approx(4.0 - 5.0)
