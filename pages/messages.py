"""The player-facing texts of the game page, the launch page and the demo casino: one entry per key.

Each is ``pgettext_lazy(key, English text)``: the key is the gettext context (``msgctxt``) and the name the
JavaScript uses (``t("balance")``), the English text is the msgid translators see. Adding a string: add it here
(and use it as ``t("key")`` in ``static/hub/*.js`` or ``{% translate "Text" context "key" %}`` in a template),
then ``make messages`` and translate it in every ``locale/<lang>/LC_MESSAGES/django.po`` (the test
``tests/pages/test_i18n.py`` fails until every advertised locale has it). See docs/development.md, *Translations*.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

MESSAGES = {
    "balance": pgettext_lazy("balance", "Balance"),
    "demo": pgettext_lazy("demo", "Demo"),
    "deposit": pgettext_lazy("deposit", "Deposit"),
    "lobby": pgettext_lazy("lobby", "Lobby"),
    "loading": pgettext_lazy("loading", "Loading your game…"),
    "close": pgettext_lazy("close", "Close"),
    "refresh": pgettext_lazy("refresh", "Refresh"),
    "tryAgain": pgettext_lazy("tryAgain", "Try again"),
    "returnToCasino": pgettext_lazy("returnToCasino", "Back to the casino"),
    "stake": pgettext_lazy("stake", "Stake"),
    "stakeHint": pgettext_lazy("stakeHint", "Min {min} · Max {max}"),
    "openMarkets": pgettext_lazy("openMarkets", "Open markets"),
    "live": pgettext_lazy("live", "Live"),
    "noMarkets": pgettext_lazy("noMarkets", "No markets are open right now. Please check back soon."),
    "closes": pgettext_lazy("closes", "Closes {date}"),
    "yes": pgettext_lazy("yes", "Yes"),
    "no": pgettext_lazy("no", "No"),
    # xgettext:no-python-format
    "chance": pgettext_lazy("chance", "{p}% chance"),
    "pickOutcome": pgettext_lazy("pickOutcome", "Choose YES or NO on any market to place your stake."),
    "myBets": pgettext_lazy("myBets", "My bets"),
    "noBets": pgettext_lazy("noBets", "You have no bets yet."),
    "cashOut": pgettext_lazy("cashOut", "Cash out {value}"),
    "cashOutTitle": pgettext_lazy("cashOutTitle", "Cash out this bet?"),
    "cashOutBody": pgettext_lazy("cashOutBody", "You staked {stake}. You will receive:"),
    "cashOutNote": pgettext_lazy(
        "cashOutNote", "Prices move: if the value drops before you confirm, we ask you again."
    ),
    "confirmCashOut": pgettext_lazy("confirmCashOut", "Confirm cash-out"),
    "cancel": pgettext_lazy("cancel", "Cancel"),
    "status_open": pgettext_lazy("status_open", "Open"),
    "status_cashed_out": pgettext_lazy("status_cashed_out", "Cashed out"),
    "status_won": pgettext_lazy("status_won", "Won"),
    "status_lost": pgettext_lazy("status_lost", "Lost"),
    "status_refunded": pgettext_lazy("status_refunded", "Refunded"),
    "betPlaced": pgettext_lazy("betPlaced", "Bet placed: {outcome} · {amount}"),
    "cashedOut": pgettext_lazy("cashedOut", "Cashed out {value}"),
    "resolvedWon": pgettext_lazy("resolvedWon", "Market resolved — you won {value}!"),
    "resolvedLost": pgettext_lazy("resolvedLost", "Market resolved — this bet lost."),
    "resolvedRefunded": pgettext_lazy("resolvedRefunded", "Market cancelled — {value} refunded."),
    "staked": pgettext_lazy("staked", "Staked {value}"),
    "shares": pgettext_lazy("shares", "{n} shares"),
    "resolvedMarket": pgettext_lazy("resolvedMarket", "Resolved market"),
    "indexName": pgettext_lazy("indexName", "TraderHero index"),
    "pickDirection": pgettext_lazy("pickDirection", "Will the price end up or down?"),
    "up": pgettext_lazy("up", "Up"),
    "down": pgettext_lazy("down", "Down"),
    # xgettext:no-python-format
    "winUpTo": pgettext_lazy("winUpTo", "Win up to ×{max} · RTP {rtp}%"),
    "roundRunning": pgettext_lazy("roundRunning", "Round in progress…"),
    "roundDelayed": pgettext_lazy(
        "roundDelayed", "The result is taking longer than usual. It will be settled automatically."
    ),
    "youWon": pgettext_lazy("youWon", "You won {value}"),
    "jackpot": pgettext_lazy("jackpot", "JACKPOT! You won {value}"),
    "noWin": pgettext_lazy("noWin", "No win this round"),
    "priceWent": pgettext_lazy("priceWent", "The price went {dir}."),
    "went_up": pgettext_lazy("went_up", "up"),
    "went_down": pgettext_lazy("went_down", "down"),
    "multiplierLine": pgettext_lazy("multiplierLine", "×{m} on {stake}"),
    "paytable": pgettext_lazy("paytable", "Pay table"),
    "chanceCol": pgettext_lazy("chanceCol", "Chance"),
    "lose": pgettext_lazy("lose", "No win"),
    "history": pgettext_lazy("history", "Recent rounds"),
    "noRounds": pgettext_lazy("noRounds", "No rounds yet."),
    "fairTitle": pgettext_lazy("fairTitle", "Provably fair"),
    "fairIntro": pgettext_lazy(
        "fairIntro",
        "Before each round we commit to a secret server seed by publishing its SHA-256 hash. After the round the seed is revealed, so you can recompute the outcome yourself.",
    ),
    "clientSeed": pgettext_lazy("clientSeed", "Your client seed"),
    "freeRoundsLeft": pgettext_lazy("freeRoundsLeft", "Free rounds left: {n}"),
    "nextClientSeed": pgettext_lazy("nextClientSeed", "Client seed for your next round"),
    "tier_jackpot": pgettext_lazy("tier_jackpot", "Jackpot"),
    "tier_win": pgettext_lazy("tier_win", "Win"),
    "serverSeedHash": pgettext_lazy("serverSeedHash", "Server seed hash"),
    "serverSeed": pgettext_lazy("serverSeed", "Server seed (revealed)"),
    "nonce": pgettext_lazy("nonce", "Nonce"),
    "verify": pgettext_lazy("verify", "Verify"),
    "verifying": pgettext_lazy("verifying", "Verifying…"),
    "verified": pgettext_lazy("verified", "Verified ✓"),
    "verifiedDetail": pgettext_lazy(
        "verifiedDetail", "Seed matches its hash · outcome {tier} (×{m}) · payout {payout} · price path identical."
    ),
    "notVerified": pgettext_lazy("notVerified", "Not verified ✗"),
    "verifyHash": pgettext_lazy("verifyHash", "The revealed seed does not match the published hash."),
    "verifyOutcome": pgettext_lazy("verifyOutcome", "The recomputed outcome differs from the server's."),
    "verifyPath": pgettext_lazy("verifyPath", "The recomputed price path differs from the server's."),
    "verifyPayout": pgettext_lazy("verifyPayout", "The recomputed payout differs from the server's."),
    "verifyUnavailable": pgettext_lazy(
        "verifyUnavailable", "Your browser cannot verify here (Web Crypto needs a secure https page)."
    ),
    "seedHidden": pgettext_lazy("seedHidden", "revealed after the round"),
    "expiredTitle": pgettext_lazy("expiredTitle", "Session expired"),
    "closedTitle": pgettext_lazy("closedTitle", "Session closed"),
    "expiredBody": pgettext_lazy(
        "expiredBody", "Your game session has ended. Please reopen the game from the casino to keep playing."
    ),
    "fatalTitle": pgettext_lazy("fatalTitle", "We couldn't open this game"),
    "missingKey": pgettext_lazy("missingKey", "This game link is incomplete. Please reopen the game from the casino."),
    "err_insufficient_funds": pgettext_lazy(
        "err_insufficient_funds", "You don't have enough funds for this bet. Lower your stake or make a deposit."
    ),
    "err_bet_limit": pgettext_lazy("err_bet_limit", "This bet is over your betting limit."),
    "err_loss_limit": pgettext_lazy(
        "err_loss_limit", "You have reached your loss limit, so you can't place more bets for now."
    ),
    "err_time_limit": pgettext_lazy("err_time_limit", "You have reached your playing time limit for now."),
    "err_session_expired": pgettext_lazy(
        "err_session_expired", "Your game session has expired. Please reopen the game from the casino."
    ),
    "err_session_closed": pgettext_lazy(
        "err_session_closed", "This game session is closed. Please reopen the game from the casino."
    ),
    "err_session_not_found": pgettext_lazy(
        "err_session_not_found", "We couldn't find this game session. Please reopen the game from the casino."
    ),
    "err_unauthorized": pgettext_lazy(
        "err_unauthorized", "This game link is not valid any more. Please reopen the game from the casino."
    ),
    "err_account_blocked": pgettext_lazy(
        "err_account_blocked", "Your account is blocked. Please contact the casino's support."
    ),
    "err_partner_unreachable": pgettext_lazy(
        "err_partner_unreachable", "The casino's wallet is not responding. Please try again in a moment."
    ),
    "err_client_connection_error": pgettext_lazy(
        "err_client_connection_error", "The casino's wallet is not responding. Please try again in a moment."
    ),
    "err_network": pgettext_lazy(
        "err_network", "Connection problem. Please check your internet connection and try again."
    ),
    "err_stake_too_low": pgettext_lazy("err_stake_too_low", "The stake is below the minimum of {min}."),
    "err_stake_too_high": pgettext_lazy("err_stake_too_high", "The stake is above the maximum of {max}."),
    "err_invalid_amount": pgettext_lazy("err_invalid_amount", "Please enter a valid stake, for example 10 or 2.50."),
    "err_market_closed": pgettext_lazy("err_market_closed", "This market is closed for betting."),
    "err_market_not_found": pgettext_lazy("err_market_not_found", "This market is no longer available."),
    "err_exposure_limit": pgettext_lazy(
        "err_exposure_limit", "This market can't take a bet this big right now. Try a smaller stake."
    ),
    "err_already_cashed_out": pgettext_lazy("err_already_cashed_out", "This bet has already been cashed out."),
    "err_position_settled": pgettext_lazy("err_position_settled", "This bet is already settled."),
    "err_cashout_limit": pgettext_lazy("err_cashout_limit", "You have reached today's cash-out limit."),
    "err_cash_out_unavailable": pgettext_lazy(
        "err_cash_out_unavailable", "Cash-out isn't available for this bet right now."
    ),
    "err_cash_out_value_changed": pgettext_lazy(
        "err_cash_out_value_changed", "The cash-out value changed. Please check the new value and try again."
    ),
    "err_too_many_requests": pgettext_lazy(
        "err_too_many_requests", "Too many requests. Please wait a moment and try again."
    ),
    "err_game_not_found": pgettext_lazy("err_game_not_found", "This game is not available."),
    "err_currency_not_supported": pgettext_lazy(
        "err_currency_not_supported", "This currency is not supported for this game."
    ),
    "err_bet_not_found": pgettext_lazy("err_bet_not_found", "We couldn't find this bet."),
    "err_generic": pgettext_lazy("err_generic", "Something went wrong. Please try again."),
    "lobbyTitle": pgettext_lazy("lobbyTitle", "Play for fun"),
    "lobbyLead": pgettext_lazy("lobbyLead", "Demo money, real games. Every TraderHero round is provably fair."),
    "lobbyBalance": pgettext_lazy("lobbyBalance", "Demo balance {value}"),
    "language": pgettext_lazy("language", "Language"),
    "playDemo": pgettext_lazy("playDemo", "Play demo"),
    "pmDesc": pgettext_lazy("pmDesc", "Trade YES or NO on real-world questions. Cash out whenever you like."),
    "thDesc": pgettext_lazy("thDesc", "Call the market: up or down. Hit the ×100 jackpot."),
    "starting": pgettext_lazy("starting", "Starting…"),
    "backToLobby": pgettext_lazy("backToLobby", "← Lobby"),
    "lobbyError": pgettext_lazy("lobbyError", "We couldn't start the demo: {message}"),
    "featFairTitle": pgettext_lazy("featFairTitle", "Provably fair"),
    "featFair": pgettext_lazy("featFair", "Check every TraderHero round in your browser."),
    "featCashTitle": pgettext_lazy("featCashTitle", "Cash out any time"),
    "featCash": pgettext_lazy("featCash", "Sell a market position before it resolves."),
    "featMobileTitle": pgettext_lazy("featMobileTitle", "Any screen"),
    "featMobile": pgettext_lazy("featMobile", "Phone or desktop, in your language."),
}
