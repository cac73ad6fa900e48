"""The pages speak every locale GET /games advertises: every text (pages/messages.py) is translated in every
advertised locale's gettext catalog (locale/<lang>/LC_MESSAGES/django.po, placeholders kept, the committed .mo
compiled from it), and the game page, the launch page and the demo casino render in the player's language over
real HTTP, with the JavaScript's catalog rendered into the page from the same files."""

from __future__ import annotations

import gettext
import json
import re
from pathlib import Path

import httpx
import pytest
from django.utils.translation import to_locale

from games import catalog
from games.locales import SOURCE_LANGUAGE, UI_LANGUAGES, resolve_locale
from pages.i18n import catalog_for
from pages.messages import MESSAGES

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
PLACEHOLDER = re.compile(r"\{\w+\}")
ENGLISH = {key: str(text._args[1]) for key, text in MESSAGES.items()}  # pgettext_lazy(context, msgid)


def _unquote(chunks: list[str]) -> str:
    return "".join(json.loads(c) for c in chunks)


def read_po(path: Path) -> dict[tuple[str, str], tuple[str, set[str]]]:
    """(msgctxt, msgid) → (msgstr, flags) of a .po file (enough of the format for our catalogs)."""
    entries, flags, field, parts = {}, set(), None, {}

    def flush():
        nonlocal flags, parts
        if "msgid" in parts and _unquote(parts["msgid"]):
            key = (_unquote(parts.get("msgctxt", [])), _unquote(parts["msgid"]))
            entries[key] = (_unquote(parts.get("msgstr", [])), flags)
        flags, parts = set(), {}

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
            field = None
        elif line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            parts[field].append(line)
        else:
            field, _, rest = line.partition(" ")
            if field in parts:  # a new entry without a blank line between
                flush()
            parts[field] = [rest]
    return entries


TRANSLATED = sorted(language for language in UI_LANGUAGES.values() if language != SOURCE_LANGUAGE)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated_with_its_placeholders_and_compiled(language):
    po = LOCALE_DIR / to_locale(language) / "LC_MESSAGES" / "django.po"
    entries = read_po(po)
    mo = gettext.GNUTranslations((po.parent / "django.mo").open("rb"))
    for key, english in ENGLISH.items():
        assert (key, english) in entries, f"{po}: {key!r} ({english!r}) is missing: run `make messages`"
        text, flags = entries[(key, english)]
        assert text.strip(), f"{po}: {key!r} is not translated"
        assert "fuzzy" not in flags, f"{po}: {key!r} is fuzzy"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english)), (po, key, text)
        assert mo.pgettext(key, english) == text, f"{po.parent / 'django.mo'} is stale: run `make messages`"


def test_the_advertised_locales_are_exactly_the_translated_ones(games_catalog):
    dirs = {p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / "django.po").exists()}
    assert dirs == {to_locale(language) for language in TRANSLATED}
    assert set(UI_LANGUAGES) == set(catalog.LOCALES)  # each advertised locale has its language, and no more
    for game in games_catalog.values():  # what GET /games returns per game
        assert set(game.locales) <= set(UI_LANGUAGES), game.slug
    assert {resolve_locale(loc) for loc in catalog.LOCALES} == set(catalog.LOCALES)


def test_every_language_catalog_differs_from_english_where_a_real_translation_must():
    # A catalog that silently falls back to English would pass the .po test only if its msgstr were English.
    for language in TRANSLATED:
        texts = catalog_for(language)
        assert texts["err_insufficient_funds"] != ENGLISH["err_insufficient_funds"], language
        assert texts["noMarkets"] != ENGLISH["noMarkets"], language


def _page_catalog(html: str) -> dict:
    match = re.search(r'<script id="hub-i18n" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no JSON catalog in the page"
    return json.loads(match.group(1))


def test_the_launch_page_and_the_demo_casino_render_in_the_players_language(
    live_server, transactional_db, games_catalog
):
    from wallet import services as wallet_services

    game = games_catalog[catalog.TRADERHERO_JACKPOT_SLUG]
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        for language, expected, tag in (("pt", "Saldo", "pt-BR"), ("ja", "残高", "ja"), ("zz", "Balance", "en")):
            created = wallet_services.session_create(
                protocol="igsp",
                game=game,
                player_id="p",
                currency="USD",
                is_demo=True,
                demo_balance=10,
                language=language,
            )
            resp = http.get(f"/launch/{created.session.pk}")
            assert resp.status_code == 200
            html = resp.text
            assert f'<html lang="{tag}">' in html, language
            assert f'data-i18n="balance">{expected}<' in html, language
            texts = _page_catalog(html)
            assert texts["balance"] == expected and set(texts) == set(MESSAGES)
        demo = http.get("/demo/", params={"lang": "de"}).text
        assert '<html lang="de">' in demo and "Spiel zum Spaß" in demo and 'data-locale="de"' in demo
        assert _page_catalog(demo)["playDemo"] == "Demo spielen"
        assert '<option value="de" selected>Deutsch</option>' in demo
        assert demo.count("<option ") == len(catalog.LOCALES)
        browser = http.get("/demo/", headers={"Accept-Language": "es-MX,es;q=0.9"}).text
        assert 'data-locale="es_mx"' in browser and "Jugar demo" in browser
        english = http.get("/demo/", headers={"Accept-Language": "xx"}).text
        assert '<html lang="en">' in english and "Play for fun" in english
