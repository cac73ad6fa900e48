"""The player's pages in a real browser: the demo lobby embeds the game page, which plays through the Session API.

Every test checks, on teardown, that the page logged no console error, threw nothing, and requested
nothing from any host but the hub (see ``conftest.Watched``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import httpx
from django.utils import timezone
from playwright.sync_api import expect

from games.models import JackpotRound, Position
from wallet.currency import money_str
from wallet.models import GameSession

from .conftest import DESKTOP, MOBILE, needs_chromium, screenshot

pytestmark = needs_chromium


def ledger(session_id=None) -> Decimal:
    """The demo wallet's balance, as the hub's ledger holds it."""
    qs = GameSession.objects.filter(pk=session_id) if session_id else GameSession.objects.all()
    return qs.values_list("demo_balance", flat=True).get()


def expect_balance(game, amount: Decimal) -> None:
    """The balance the player sees is exactly ``amount``: the hook for automation and the text."""
    exact = money_str(amount, "USD")
    balance = game.get_by_test_id("balance")
    expect(balance).to_have_attribute("data-amount", exact)
    expect(balance).to_have_text(f"${Decimal(exact):,.2f}")


def start_from_lobby(watched, hub, tile: str):
    """Open /demo/, pick a game: the lobby creates a demo session and embeds its launch URL."""
    page = watched.page
    page.goto(f"{hub.url}/demo/")
    expect(page.get_by_test_id(f"tile-{tile}")).to_be_visible()
    page.get_by_test_id(f"tile-{tile}").click()
    frame_el = page.get_by_test_id("game-frame")
    expect(frame_el).to_be_attached()
    game = page.frame_locator('[data-testid="game-frame"]')
    expect(game.get_by_test_id("balance")).to_have_attribute("data-amount", "1000.00")
    return page, game


def demo_session(hub, game: str, language: str = "en", balance: str = "1000") -> tuple[str, str]:
    """A demo session created over HTTP; returns (session id, launch URL)."""
    resp = httpx.post(
        f"{hub.url}/igsp/v1/demo/sessions",
        json={
            "game_id": game,
            "player_id": "p-browser",
            "player_name": "Guest",
            "currency": "USD",
            "session_id": f"browser-{timezone.now().timestamp()}",
            "balance": balance,
            "language": language,
            "return_url": f"{hub.url}/demo/",
        },
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    url = resp.json()["url"]
    return url.split("/launch/")[1].split("#")[0], url


def launch_frame_url(page) -> str:
    return next(f.url for f in page.frames if "/launch/" in f.url)


# ----------------------------------------------------------------- games --


def test_prediction_markets_bet_and_cash_out_from_the_lobby(open_page, hub, open_markets):
    watched = open_page(DESKTOP)
    page = watched.page
    page.goto(f"{hub.url}/demo/")
    expect(page.get_by_test_id("tile-traderhero-jackpot")).to_be_visible()
    screenshot(page, "demo-lobby-desktop.png")
    page, game = start_from_lobby(watched, hub, "prediction-markets")
    assert "#" not in launch_frame_url(page), "the session key must leave the address bar"
    expect(game.get_by_test_id("market-row")).to_have_count(len(open_markets))
    expect(game.get_by_test_id("market-row").first).to_contain_text(open_markets[0].title)
    expect(page.locator("body")).to_have_attribute("data-game-ready", "1")  # igsp:ready reached the host

    # Bet YES 10.00 on the first market
    game.get_by_test_id("stake-input").fill("10")
    game.get_by_test_id("market-row").first.get_by_test_id("bet-yes").click()
    expect(game.get_by_test_id("position-row")).to_have_count(1)
    assert ledger() == Decimal("990.00")
    expect_balance(game, ledger())
    position = Position.objects.get()
    assert position.outcome == "YES"
    assert position.stake == Decimal("10")
    cash_out = game.get_by_test_id("cash-out")
    expect(cash_out).to_be_enabled()
    screenshot(page, "prediction-markets-desktop.png")

    # Cash out: preview, then confirm
    cash_out.click()
    dialog = game.get_by_test_id("cash-out-dialog")
    expect(dialog).to_be_visible()
    value = Decimal(game.get_by_test_id("cash-out-value").get_attribute("data-amount"))
    assert Decimal("0") < value < Decimal("10")
    game.get_by_test_id("cash-out-dialog-confirm").click()
    expect(game.get_by_test_id("position-row")).to_have_attribute("data-status", "cashed_out")
    assert ledger() == Decimal("990.00") + value
    expect_balance(game, ledger())
    expect(page.locator("body")).to_have_attribute("data-last-balance", money_str(ledger(), "USD"))  # igsp:balance

    # The same session on a phone, opened straight from the launch URL: a NO bet of 2,50
    phone = open_page(MOBILE).page
    phone.goto(page.get_by_test_id("game-frame").get_attribute("src"))
    assert "#" not in phone.url
    expect(phone.get_by_test_id("market-row")).to_have_count(len(open_markets))
    expect_balance(phone, ledger())
    phone.get_by_test_id("stake-input").fill("2,50")
    phone.get_by_test_id("market-row").nth(1).get_by_test_id("bet-no").click()
    expect(phone.get_by_test_id("position-row")).to_have_count(2)
    assert ledger() == Decimal("987.50") + value
    expect_balance(phone, ledger())
    expect(phone.get_by_test_id("position-row").first).to_have_attribute("data-status", "open")
    phone.wait_for_timeout(400)  # let the toast settle in
    screenshot(phone, "prediction-markets-mobile.png")


def test_traderhero_round_settles_pays_and_verifies(open_page, hub, games_catalog):
    watched = open_page(DESKTOP)
    page, game = start_from_lobby(watched, hub, "traderhero-jackpot")
    game.get_by_test_id("stake-input").fill("5")
    game.get_by_test_id("bet-up").click()
    result = game.get_by_test_id("round-result")
    expect(result).to_be_visible()
    first = JackpotRound.objects.get()
    assert first.status == "settled"
    assert first.direction == "up"
    expect(result).to_have_attribute("data-payout", money_str(first.payout, "USD"))
    assert ledger() == Decimal("995.00") + first.payout
    expect_balance(game, ledger())

    game.get_by_test_id("verify").click()
    verdict = game.get_by_test_id("verify-result")
    expect(verdict).to_have_attribute("data-ok", "true")
    expect(verdict).to_contain_text("Verified ✓")
    expect(game.get_by_test_id("server-seed")).to_have_text(first.server_seed)
    screenshot(page, "traderhero-desktop.png")

    # The same session on a phone: a round the other way, verified there too
    phone = open_page(MOBILE).page
    phone.goto(page.get_by_test_id("game-frame").get_attribute("src"))
    expect(phone.locator(".history-chip")).to_have_count(1)
    expect_balance(phone, ledger())
    phone.get_by_test_id("stake-input").fill("2.5")
    phone.get_by_test_id("bet-down").click()
    expect(phone.locator(".history-chip")).to_have_count(2)
    second = JackpotRound.objects.order_by("-created_at").first()
    assert second.direction == "down"
    assert second.status == "settled"
    expect(phone.get_by_test_id("round-result")).to_have_attribute("data-payout", money_str(second.payout, "USD"))
    assert ledger() == Decimal("992.50") + first.payout + second.payout
    expect_balance(phone, ledger())
    phone.get_by_test_id("verify").click()
    expect(phone.get_by_test_id("verify-result")).to_have_attribute("data-ok", "true")
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, "traderhero-mobile.png")


# ---------------------------------------------------------------- errors --


def test_expired_session_shows_a_clear_message_in_the_players_language(open_page, hub, games_catalog):
    session_id, url = demo_session(hub, "traderhero-jackpot", language="es")
    GameSession.objects.filter(pk=session_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    watched = open_page(MOBILE)
    watched.allow_http_errors(410)
    watched.page.goto(url)
    expired = watched.page.get_by_test_id("session-expired")
    expect(expired).to_be_visible()
    expect(expired).to_contain_text("Sesión caducada")
    expect(expired.get_by_role("link", name="Volver al casino")).to_have_attribute("href", re.compile(r"/demo/$"))
    screenshot(watched.page, "session-expired-mobile.png")


def test_partner_errors_show_in_plain_words(open_page, hub, open_markets):
    session_id, url = demo_session(hub, "prediction-markets", language="pt_br", balance="1000")
    GameSession.objects.filter(pk=session_id).update(demo_balance=Decimal("5.00"))
    watched = open_page(DESKTOP)
    watched.allow_http_errors(400, 402)
    page = watched.page

    def with_deposit_url(route):  # as a Public API partner's session would carry one
        response = route.fetch()
        state = response.json()
        state["session"]["depositUrl"] = "https://casino.example/cashier"
        route.fulfill(response=response, json=state)

    page.route("**/state", with_deposit_url)
    page.goto(url)
    expect(page.get_by_test_id("balance")).to_have_attribute("data-amount", "5.00")
    expect(page.get_by_test_id("bet-yes").first).to_have_text(re.compile(r"Sim"))
    expect(page.get_by_test_id("deposit")).to_have_attribute("href", "https://casino.example/cashier")
    expect(page.get_by_test_id("deposit")).to_have_attribute("target", "_top")
    expect(page.get_by_test_id("return")).to_have_attribute("href", f"{hub.url}/demo/")

    # More than the balance: the wallet's insufficient_funds, in Portuguese
    page.get_by_test_id("stake-input").fill("10")
    page.get_by_test_id("bet-yes").first.click()
    error = page.get_by_test_id("error")
    expect(error).to_have_attribute("data-code", "insufficient_funds")
    expect(error).to_contain_text("Você não tem saldo suficiente")
    expect(page.get_by_test_id("error-deposit")).to_be_visible()
    expect(page.get_by_test_id("refresh")).to_be_hidden()
    screenshot(page, "error-insufficient-funds-desktop.png")
    assert ledger(session_id) == Decimal("5.00")
    assert not Position.objects.exists()

    # Above the game's maximum stake
    page.get_by_test_id("stake-input").fill("600")
    page.get_by_test_id("bet-no").first.click()
    expect(error).to_have_attribute("data-code", "stake_too_high")
    expect(error).to_contain_text("acima do máximo")

    # A partner's responsible-gaming refusal asking for a refresh (faked at the network layer)
    page.route(
        "**/bet",
        lambda route: route.fulfill(
            status=402,
            json={"error": "loss_limit", "message": "Loss limit reached", "status": 402, "action": "refresh"},
        ),
    )
    page.get_by_test_id("stake-input").fill("1")
    page.get_by_test_id("bet-yes").first.click()
    expect(error).to_have_attribute("data-code", "loss_limit")
    expect(error).to_contain_text("limite de perdas")
    expect(page.get_by_test_id("refresh")).to_be_visible()

    # An unknown code shows the partner's own message
    page.unroute("**/bet")
    page.route(
        "**/bet",
        lambda route: route.fulfill(
            status=400, json={"error": "kyc_required", "message": "Please verify your identity first.", "status": 400}
        ),
    )
    page.get_by_test_id("bet-yes").first.click()
    expect(error).to_have_attribute("data-code", "kyc_required")
    expect(error).to_have_text(re.compile("Please verify your identity first."))
    assert ledger(session_id) == Decimal("5.00")


# -------------------------------------------------------------- fairness --


def _fair_case(server_seed: str, client_seed: str, nonce: int, direction: str, rtp: Decimal, stake: str = "10.00"):
    from games.traderhero import fairness as jackpot

    out = jackpot.play(server_seed, client_seed, nonce, direction, rtp)
    return {
        "serverSeed": server_seed,
        "serverSeedHash": jackpot.hash_server_seed(server_seed),
        "clientSeed": client_seed,
        "nonce": nonce,
        "direction": direction,
        "rtp": str(rtp),
        "stake": stake,
        "tier": out.tier,
        "multiplier": str(out.multiplier),
        "payout": str(jackpot.payout(Decimal(stake), out.multiplier, 2)),
        "path": out.path,
    }


def test_browser_fairness_check_agrees_with_the_server_algorithm(open_page, hub):
    """fair.js against games.traderhero.fairness on every tier (jackpot included), two RTPs, and tampered rounds."""
    from games.traderhero import fairness as jackpot

    seed = "7" * 64
    cases, wanted = [], {"jackpot", "x5", "x2", "x1.5", "lose"}
    for rtp in (Decimal("0.95"), Decimal("0.88")):
        found = set()
        for nonce in range(400_000):
            tier = jackpot.play(seed, "browser", nonce, "up", rtp).tier
            if tier not in found:
                found.add(tier)
                cases.append(_fair_case(seed, "browser", nonce, "up" if nonce % 2 else "down", rtp))
            if found == wanted:
                break
        assert found == wanted
    cases.append(_fair_case("ab" * 32, "ünïcode seed ✓", 12, "down", Decimal("0.97"), stake="0.35"))
    tampered = [
        dict(cases[0], payout="999.00"),
        dict(cases[1], serverSeed="0" * 64),
        dict(cases[2], path=[*cases[2]["path"][:-1], 1]),
        dict(cases[3], tier="jackpot", multiplier="100"),
    ]
    published = jackpot.tier_table(Decimal("0.95")).as_dict()

    page = open_page(MOBILE).page
    page.goto(f"{hub.url}/demo/")
    expect(page.get_by_test_id("tile-prediction-markets")).to_be_visible()
    screenshot(page, "demo-lobby-mobile.png")
    results = page.evaluate(
        """async ([cases, published]) => {
        const fair = await import("/static/hub/fair.js");
        const out = [];
        for (const c of cases) out.push(await fair.verifyRound(c, published));
        const table = fair.tierTable("0.88").map((t) => [t.name, t.threshold.toString()]);
        return {out, table};
    }""",
        [cases + tampered, published],
    )
    verdicts = results["out"]
    assert [v["ok"] for v in verdicts[: len(cases)]] == [True] * len(cases), verdicts
    assert [v["reason"] for v in verdicts[len(cases) :]] == ["payout", "hash", "path", "outcome"]
    expected = [[t.name, str(t.threshold)] for t in jackpot.tier_table(Decimal("0.88")).tiers]
    assert results["table"] == expected
