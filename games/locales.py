"""Locales: what the Public API and IGSP accept, and which advertised locale a code means (pure functions).

The Core API's locale is "IETF BCP 47 (ISO 639-1 language code with optional ISO 3166-1 country code), using
underscore as separator" (``en_us``); partners also send ``en``, ``pt``, ``en-US`` or ``pt_BR``. Every such form
resolves to one of the advertised locales (``catalog.LOCALES``, the ones the game pages are translated into):
the exact locale when advertised, else the language's own (``es_ar`` → ``es``, ``en_gb`` → ``en_us``,
``pt`` → ``pt_br``). A language we do not speak resolves to ``None``.
"""

from __future__ import annotations

import re

from . import catalog

_FORM = re.compile(r"([a-z]{2})(?:[_-]([a-z]{2}))?")


def resolve_locale(code: str | None) -> str | None:
    """The advertised locale for a code in any documented form, or ``None`` (unknown language or malformed)."""
    match = _FORM.fullmatch(str(code or "").strip().lower())
    if match is None:
        return None
    language, country = match.groups()
    if country and f"{language}_{country}" in catalog.LOCALES:
        return f"{language}_{country}"
    if language in catalog.LOCALES:
        return language
    return next((loc for loc in catalog.LOCALES if loc.split("_")[0] == language), None)


# The Django language (``locale/<dir>/LC_MESSAGES/django.po``) that speaks each advertised locale. English is the
# source language (the msgids); every other one has its own catalog.
UI_LANGUAGES = {
    "pt_br": "pt-br",
    "en_us": "en",
    "es": "es",
    "es_mx": "es-mx",
    "ru": "ru",
    "zh_tw": "zh-hant",
    "ko": "ko",
    "th": "th",
    "vi": "vi",
    "hi": "hi",
    "ja": "ja",
    "fr": "fr",
    "tr": "tr",
    "de": "de",
    "id": "id",
    "uz": "uz",
}
SOURCE_LANGUAGE = "en"
SOURCE_LOCALE = "en_us"


def ui_language(code: str | None) -> str:
    """The Django language for a locale or language code in any form (English when we do not speak it)."""
    locale = resolve_locale(code)
    return UI_LANGUAGES[locale] if locale else SOURCE_LANGUAGE
