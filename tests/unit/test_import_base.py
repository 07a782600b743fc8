"""The cell parsers every importer shares: a bad cell is a bad row naming its column, never a crash."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.importers.base import BadRow, count, number


@pytest.mark.parametrize("cell", ["¹", "٣", "²³", "-1", "1.5", "many", "1e3"])
def test_a_count_is_ascii_digits_only(cell):
    with pytest.raises(BadRow) as raised:
        count({"best": cell}, "best")
    assert raised.value.column == "best" and "is not a count" in raised.value.reason


@pytest.mark.parametrize("cell", ["nan", "inf", "-inf", "91", "1e400"])
def test_a_number_out_of_its_range_names_the_column(cell):
    with pytest.raises(BadRow) as raised:
        number({"latitude": cell}, "latitude", -90, 90)
    assert raised.value.column == "latitude"


@given(st.text(max_size=12))
def test_any_cell_is_a_value_none_or_a_bad_row(cell):
    for parse in (lambda row: count(row, "c"), lambda row: number(row, "c", -180, 180)):
        try:
            value = parse({"c": cell})
        except BadRow as exc:
            assert exc.column == "c"
        else:
            assert value is None or isinstance(value, int | float)
    assert count({"c": " 12 "}, "c") == 12 and count({"c": ""}, "c") is None
