"""The pages speak every locale GET /games advertises: every text (pages/messages.py, each {% translate %} and
{% blocktranslate %} of templates/pages/, each t("key") of static/hub/*.js) is translated in every
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
from django.template.loader import get_template
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils.translation import to_locale

from games import catalog
from games.locales import SOURCE_LANGUAGE, UI_LANGUAGES, resolve_locale
from pages.i18n import catalog_for
from pages.messages import MESSAGES

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "locale"
PAGE_TEMPLATES = ROOT / "templates"
JS_DIR = ROOT / "static" / "hub"
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")
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
            entries[key] = (_unquote(parts.get("msgstr", parts.get("msgstr[0]", []))), flags)
        flags, parts = set(), {}

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
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


def template_msgids() -> dict[tuple[str, str], str]:
    """(msgctxt, msgid) → where, of every {% translate %} / {% blocktranslate %} under templates/pages/, read by
    Django's own template parser (what makemessages extracts and what the page asks gettext for)."""
    found = {}
    for path in sorted((PAGE_TEMPLATES / "pages").rglob("*.html")):
        nodelist = get_template(str(path.relative_to(PAGE_TEMPLATES))).template.nodelist
        for node in nodelist.get_nodes_by_type(TranslateNode):
            assert node.filter_expression.var.literal, f"{path}: {{% translate %}} of a variable is not extractable"
            context = node.message_context.resolve({}) if node.message_context else ""
            found[(context, str(node.filter_expression.var.literal))] = path.name
        for node in nodelist.get_nodes_by_type(BlockTranslateNode):
            context = node.message_context.resolve({}) if node.message_context else ""
            found[(context, node.render_token_list(node.singular)[0])] = path.name
    return found


def _first_argument(source: str, start: int) -> str:
    depth, i = 0, start
    while i < len(source):
        ch = source[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        i += 1
    return source[start:i]


def js_keys() -> dict[str, str]:
    """key → file of every literal key the JavaScript translates: ``t("key", …)``, ``ctx.t(a ? "x" : "y")``."""
    found = {}
    for path in sorted(JS_DIR.glob("*.js")):
        source = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        source = re.sub(r"(?m)(^|\s)//[^\n]*", r"\1", source)
        for call in re.finditer(r"(?<![\w$])t\(", source):
            for key in re.findall(r"[\"'](\w+)[\"']", _first_argument(source, call.end())):
                found[key] = path.name
    return found


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


def test_every_js_key_and_data_i18n_attribute_is_a_page_text():
    keys = js_keys()
    # The scan finds the calls (a plain one, one with parameters, a ternary's two keys):
    assert {"closedTitle", "freeRoundsLeft", "expiredTitle", "err_session_closed"} <= set(keys)
    missing = {key: where for key, where in keys.items() if key not in MESSAGES}
    assert not missing, f"t(key) without a text in pages/messages.py (so in no catalog): {missing}"
    for path in (PAGE_TEMPLATES / "pages").rglob("*.html"):
        for key in re.findall(r'data-i18n="(\w+)"', path.read_text(encoding="utf-8")):
            assert key in MESSAGES, f"{path.name}: data-i18n={key!r} is not in pages/messages.py"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_template_text_is_translated_with_its_placeholders_and_compiled(language):
    po = LOCALE_DIR / to_locale(language) / "LC_MESSAGES" / "django.po"
    entries = read_po(po)
    mo = gettext.GNUTranslations((po.parent / "django.mo").open("rb"))
    msgids = template_msgids()
    assert ("", "Round details") in msgids
    assert ("balance", "Balance") in msgids  # the parser finds both forms
    problems = []
    for (context, msgid), where in sorted(msgids.items()):
        text, flags = entries.get((context, msgid), ("", set()))
        compiled = mo.pgettext(context, msgid) if context else mo.gettext(msgid)
        if (context, msgid) not in entries:
            problems.append(f"{where}: {msgid!r} is missing: run `make messages`")
        elif not text.strip() or "fuzzy" in flags:
            problems.append(f"{where}: {msgid!r} is not translated{' (fuzzy)' if 'fuzzy' in flags else ''}")
        elif set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(msgid)):
            problems.append(f"{where}: {msgid!r} loses a placeholder: {text!r}")
        elif compiled != text:
            problems.append(f"{where}: {msgid!r}: {po.parent / 'django.mo'} is stale: run `make messages`")
    assert not problems, f"{po}:\n" + "\n".join(problems)


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
            assert texts["balance"] == expected
            assert set(texts) == set(MESSAGES)
        demo = http.get("/demo/", params={"lang": "de"}).text
        assert '<html lang="de">' in demo
        assert "Spiel zum Spaß" in demo
        assert 'data-locale="de"' in demo
        assert _page_catalog(demo)["playDemo"] == "Demo spielen"
        assert '<option value="de" selected>Deutsch</option>' in demo
        assert demo.count("<option ") == len(catalog.LOCALES)
        browser = http.get("/demo/", headers={"Accept-Language": "es-MX,es;q=0.9"}).text
        assert 'data-locale="es_mx"' in browser
        assert "Jugar demo" in browser
        english = http.get("/demo/", headers={"Accept-Language": "xx"}).text
        assert '<html lang="en">' in english
        assert "Play for fun" in english
