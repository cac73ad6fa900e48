"""The pages' translations: the JSON catalog rendered into each page for ``static/hub/i18n.js``.

The texts live in gettext catalogs (``locale/<lang>/LC_MESSAGES/django.po``, compiled to ``.mo``), keyed by
``pages/messages.py``; the server picks the language (the session's locale on the game page, ``?lang=`` on the
demo casino), renders the templates in it and hands the JavaScript the same texts as ``{key: text}``.
"""

from __future__ import annotations

from functools import cache

from django.utils import translation

from games import catalog
from games.locales import UI_LANGUAGES, resolve_locale, ui_language

from .messages import MESSAGES

# How each advertised locale is named in its own language (the demo casino's picker).
NATIVE_NAMES = {
    "en_us": "English",
    "pt_br": "Português (Brasil)",
    "es": "Español",
    "es_mx": "Español (México)",
    "ru": "Русский",
    "zh_tw": "繁體中文",
    "ko": "한국어",
    "th": "ไทย",
    "vi": "Tiếng Việt",
    "hi": "हिन्दी",
    "ja": "日本語",
    "fr": "Français",
    "tr": "Türkçe",
    "de": "Deutsch",
    "id": "Bahasa Indonesia",
    "uz": "Oʻzbekcha",
}


@cache
def catalog_for(language: str) -> dict[str, str]:
    """Every page text in ``language`` (a Django language code), English where a catalog lacks one."""
    with translation.override(language):
        return {key: str(text) for key, text in MESSAGES.items()}


def page_language(code: str | None) -> tuple[str, str]:
    """(advertised locale, Django language) for a session's language or a picker's value."""
    by_language = {language: locale for locale, language in UI_LANGUAGES.items()}
    locale = by_language.get(str(code or "").lower()) or resolve_locale(code) or "en_us"
    return locale, ui_language(locale)


def html_lang(language: str) -> str:
    """The ``<html lang>`` (BCP 47) for a Django language code: ``pt-br`` → ``pt-BR``, ``zh-hant`` → ``zh-Hant``."""
    return translation.to_locale(language).replace("_", "-")


def picker() -> list[tuple[str, str]]:
    return [(locale, NATIVE_NAMES[locale]) for locale in catalog.LOCALES if locale in UI_LANGUAGES]
