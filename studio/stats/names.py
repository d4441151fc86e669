"""Names a person reads in the figures: countries and months in the page's language, numbers as that language
writes them (CLDR data through Babel, offline)."""

from __future__ import annotations

import datetime as dt
import functools
import re

from babel import Locale
from babel.dates import format_date
from babel.numbers import get_group_symbol

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
UNKNOWN_COUNTRY = "ZZ"


def is_month(value: str) -> bool:
    return bool(MONTH.match(value))


def country_name(code: str, lang: str = "id") -> str:
    """`ID` -> "Indonesia", `NL` -> "Belanda"; an unknown code is shown as it is."""
    return Locale.parse(lang).territories.get(code.upper(), code)


def month_name(month: str | None, lang: str = "id", all_time: str = "") -> str:
    """`2026-11` -> "November 2026" (`all_time` for None)."""
    if month is None or not is_month(month):
        return all_time if month is None else month
    year, number = (int(p) for p in month.split("-"))
    return format_date(dt.date(year, number, 1), "MMMM y", locale=lang)


def day_name(day: str, lang: str = "id", pattern: str = "d MMM") -> str:
    """`2026-11-03` -> "3 Nov"."""
    try:
        return format_date(dt.date.fromisoformat(day), pattern, locale=lang)
    except ValueError:
        return day


def number(value: int, lang: str = "id") -> str:
    """1234567 -> "1.234.567" (Indonesian), "1,234,567" (English): a whole number with the language's grouping
    (a page of figures formats thousands of them: babel's format_decimal takes 0.1 ms each)."""
    return f"{value:,}".replace(",", _group(lang))


@functools.lru_cache(maxsize=8)
def _group(lang: str) -> str:
    return get_group_symbol(locale=lang)


def shift_month(month: str, by: int) -> str:
    """The month `by` months after `month` (before, when negative)."""
    year, number = (int(p) for p in month.split("-"))
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
