"""Score scale, master scale, warning levels."""

import numpy as np
import pytest

from models.scale import (
    GRADE_PD_UPPER,
    GRADES,
    ScoreScale,
    grade_index,
    grades,
    warning_levels,
)


def test_600_points_at_odds_50_to_1():
    assert ScoreScale().points(np.array([1 / 51]))[0] == 600


def test_40_points_double_the_odds():
    odds = np.array([50.0, 100.0, 200.0, 25.0])
    points = ScoreScale().points(1 / (1 + odds))
    assert points.tolist() == [600, 640, 680, 560]


def test_scores_are_clipped_to_300_900():
    points = ScoreScale().points(np.array([1e-9, 0.5, 0.999999]))
    assert points[0] == 900 and points[2] == 300
    assert 300 < points[1] < 900


def test_score_never_rises_with_pd():
    assert np.all(np.diff(ScoreScale().points(np.linspace(0.0001, 0.9999, 1000))) <= 0)


def test_grade_bands_cover_the_nine_grades_in_order():
    just_below = np.array([u * 0.999 for u in GRADE_PD_UPPER] + [0.9])
    assert grades(just_below).tolist() == list(GRADES)
    assert grades(np.array(GRADE_PD_UPPER)).tolist() == list(GRADES[:-1])  # upper bound inclusive
    assert grade_index(np.array([0.0]))[0] == 0


def test_warning_levels():
    levels = warning_levels(np.array([0.1, 0.5, 0.7, 0.9]), amber=0.5, red=0.8)
    assert levels.tolist() == ["none", "amber", "amber", "red"]
    with pytest.raises(ValueError, match="must not exceed"):
        warning_levels(np.array([0.1]), amber=0.9, red=0.5)
