from datetime import date

import pytest

from policy.cpr import CprError, age_on, birth_date, mask


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("0101121234", date(1912, 1, 1)),
        ("0101124234", date(2012, 1, 1)),
        ("0101905234", date(1890, 1, 1)),
        ("6809144615", date(2014, 9, 8)),  # replacement number: day + 60
        ("2902004000", date(2000, 2, 29)),
    ],
)
def test_birth_date_follows_the_century_digit(cpr: str, born: date) -> None:
    assert birth_date(cpr) == born


@pytest.mark.parametrize("cpr", ["3213101234", "3002101234", "9102101234", "2902014000"])
def test_impossible_dates_are_refused(cpr: str) -> None:
    with pytest.raises(CprError, match="real date"):
        birth_date(cpr)


@pytest.mark.parametrize(
    "cpr",
    [
        "123",
        "01011212345",
        "01011a1234",
        "",
        "6809144615\n",  # `$` matches before a final newline
        "\u0666\u0668\u0660\u0669\u0661\u0664\u0664\u0666\u0661\u0665",  # Arabic-Indic
        "\uff16809144615",  # a fullwidth digit
        " 6809144615",
    ],
)
def test_wrong_shape_is_refused(cpr: str) -> None:
    with pytest.raises(CprError, match="10 digits"):
        birth_date(cpr)


def test_age_counts_whole_years() -> None:
    assert age_on(date(2011, 11, 27), date(2026, 11, 26)) == 14
    assert age_on(date(2011, 11, 26), date(2026, 11, 26)) == 15


def test_mask_hides_the_serial() -> None:
    assert mask("6809144615") == "680914-xxxx"
