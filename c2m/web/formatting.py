"""Money, days and moments as a customer reads them, in one place (issue #15).

Pure functions over Decimal/datetime and the page's language; the Jinja filters `money`,
`day` and `when` (c2m/web/i18n.py) call them, so a price reads the same on the catalogue,
the configurator, at checkout, on the tracking page and in the PDF, instead of "¥8945.08"
on one page and "¥8,945.08" on the next. (The e-mails keep ISO dates: see c2m/mail.py.)

Babel's locale data (CLDR) decides the symbol, grouping and date order; c2m only chooses
the locale per language and rounds the amount itself (see `money`).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, get_currency_precision

DEFAULT_CURRENCY = "CNY"  # the catalogue's prices (product models say "currency: CNY")

# English is en_US: CLDR writes the renminbi "CN¥8,945.08" there. That is what we want on the
# English pages: their readers are often abroad, where a bare "¥" is just as likely the yen;
# Chinese readers see the plain "¥8,945.08" of zh_CN, where ¥ can only mean the renminbi.
LOCALES = {"en": "en_US", "zh": "zh_CN"}

Amount = Decimal | int | str


def locale_of(lang: str) -> Locale:
    """The Babel locale of one of c2m's languages; English for any other."""
    return Locale.parse(LOCALES.get(lang, LOCALES["en"]))


def exact(amount: Amount | float) -> Decimal:
    """The amount as a Decimal; a float goes through its shortest text (0.1 → "0.1") so no
    binary fraction (0.1000000000000000055…) reaches the rounding."""
    if isinstance(amount, Decimal):
        return amount
    if isinstance(amount, float):
        return Decimal(repr(amount))
    return Decimal(str(amount))


def rounded(amount: Amount | float, currency: str) -> Decimal:
    """The amount to the currency's minor unit, halves away from zero (¥0.005 → ¥0.01), as
    an invoice rounds; Babel alone would round halves to even (¥0.125 → ¥0.12)."""
    places = Decimal(1).scaleb(-get_currency_precision(currency))
    return exact(amount).quantize(places, rounding=ROUND_HALF_UP)


def money(amount: Amount | float, currency: str | None, lang: str) -> str:
    """A price with its currency in the reader's language: "CN¥8,945.08", "¥8,945.08",
    "€1,234.50"."""
    code = (currency or DEFAULT_CURRENCY).upper()
    return format_currency(rounded(amount, code), code, locale=locale_of(lang))


def day(moment: datetime, lang: str, zone: tzinfo | None = None) -> str:
    """The calendar day of a moment in the factory's zone: "Dec 10, 2026", "2026年12月10日".
    A naive moment is taken as UTC, as the database stores them."""
    return format_date(_local(moment, zone).date(), "medium", locale=locale_of(lang))


def when(moment: datetime, lang: str, zone: tzinfo | None = None) -> str:
    """A moment in the factory's zone to the minute, with the zone's abbreviation as the
    factory writes it: "Jan 5, 2026, 4:00 PM CST", "2026年1月5日 16:00 CST"."""
    local = _local(moment, zone)
    locale = locale_of(lang)
    # The locale's medium date and short time joined as the locale joins them: its "medium"
    # date-time would add seconds nobody on the shop floor reports.
    joined = str(locale.datetime_formats["medium"]).format(
        locale.time_formats["short"].pattern, locale.date_formats["medium"].pattern
    )
    text = format_datetime(local, joined, tzinfo=local.tzinfo, locale=locale)
    return f"{text} {local.tzname()}" if local.tzname() else text


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone) if zone is not None else aware
