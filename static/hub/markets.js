// Prediction Markets: open markets with live YES/NO prices, a stake, bets, "my bets" with live cash-out values.

import { h, setText } from "./dom.js";
import { dec } from "./money.js";

const REFRESH_MS = 4000;

function percent(price) {
  const p = Number.parseFloat(price);
  return Number.isFinite(p) ? Math.round(p * 1000) / 10 : 0;
}

function cents(price) {
  const p = Number.parseFloat(price);
  return Number.isFinite(p) ? `${Math.round(p * 100)}¢` : "—";
}

function defaultStake(limits) {
  const min = dec(limits.minStake || "0");
  return min && min.n > 0n && Number.parseFloat(limits.minStake) > 10 ? limits.minStake : "10";
}

export function mount(ctx, root, initialState) {
  const { t } = ctx;
  const titles = new Map(); // market id → title, kept after a market leaves the open list
  const rows = new Map(); // market id → row elements
  const positionRows = new Map(); // betId → row elements
  const lastStatus = new Map(); // betId → status, to announce resolutions
  let busy = false;

  const stake = ctx.stakeField(defaultStake(ctx.limits));
  const marketList = h("div", { class: "market-list", testid: "markets" });
  const emptyMarkets = h("p", { class: "empty", hidden: true }, t("noMarkets"));
  const positionList = h("div", { class: "position-list", testid: "my-bets" });
  const emptyPositions = h("p", { class: "empty" }, t("noBets"));

  root.append(h("div", { class: "pm-layout" },
    h("section", { class: "card pm-markets" },
      h("div", { class: "section-head" },
        h("h2", {}, t("openMarkets")),
        h("span", { class: "live" }, h("i", { class: "live-dot" }), t("live"))),
      marketList, emptyMarkets),
    h("aside", { class: "pm-side" },
      h("section", { class: "card slip" }, stake.root, h("p", { class: "hint hint-pick" }, t("pickOutcome"))),
      h("section", { class: "card pm-bets" },
        h("div", { class: "section-head" }, h("h2", {}, t("myBets"))),
        positionList, emptyPositions))));

  function setBusy(value) {
    busy = value;
    root.classList.toggle("busy", value);
    for (const button of root.querySelectorAll("button[data-action]")) button.disabled = value || button.dataset.locked === "1";
  }

  // ------------------------------------------------------------ markets --

  function marketRow(market) {
    const yesButton = h("button", { type: "button", class: "btn-outcome btn-yes", testid: "bet-yes", "data-action": "bet",
      onclick: () => placeBet(market.id, "YES") }, h("span", {}, t("yes")), h("b", {}));
    const noButton = h("button", { type: "button", class: "btn-outcome btn-no", testid: "bet-no", "data-action": "bet",
      onclick: () => placeBet(market.id, "NO") }, h("span", {}, t("no")), h("b", {}));
    const fill = h("span", { class: "prob-fill" });
    const chance = h("span", { class: "prob-text" });
    const title = h("h3", {});
    const closes = h("span", { class: "closes" });
    const el = h("article", { class: "market", testid: "market-row", "data-market-id": market.id },
      h("div", { class: "market-head" }, title, closes),
      h("div", { class: "prob" }, h("div", { class: "prob-bar" }, fill), chance),
      h("div", { class: "market-actions" }, yesButton, noButton));
    return { el, title, closes, fill, chance, yes: yesButton.querySelector("b"), no: noButton.querySelector("b"),
      yesButton, noButton, yesPrice: null };
  }

  function renderMarkets(markets) {
    const seen = new Set();
    for (const market of markets) {
      seen.add(market.id);
      titles.set(market.id, market.title);
      let row = rows.get(market.id);
      if (!row) {
        row = marketRow(market);
        rows.set(market.id, row);
      }
      marketList.append(row.el); // keeps the server's order
      setText(row.title, market.title);
      const date = new Date(market.closeAt);
      setText(row.closes, Number.isNaN(date.getTime()) ? "" : t("closes", {
        date: date.toLocaleDateString(ctx.locale, { day: "numeric", month: "short" }) }));
      const p = percent(market.yesPrice);
      row.fill.style.width = `${p}%`;
      setText(row.chance, t("chance", { p: p.toLocaleString(ctx.locale) }));
      setText(row.yes, cents(market.yesPrice));
      setText(row.no, cents(market.noPrice));
      if (row.yesPrice !== null && row.yesPrice !== market.yesPrice) {
        const up = Number.parseFloat(market.yesPrice) > Number.parseFloat(row.yesPrice);
        row.el.classList.remove("tick-up", "tick-down");
        void row.el.offsetWidth;
        row.el.classList.add(up ? "tick-up" : "tick-down");
      }
      row.yesPrice = market.yesPrice;
      const open = market.status === "open";
      for (const button of [row.yesButton, row.noButton]) {
        button.dataset.locked = open ? "0" : "1";
        button.disabled = busy || !open;
      }
    }
    dropRowsNotIn(rows, seen);
    emptyMarkets.hidden = markets.length > 0;
  }

  function dropRowsNotIn(rowMap, seen) {
    for (const [id, row] of rowMap) {
      if (!seen.has(id)) {
        row.el.remove();
        rowMap.delete(id);
      }
    }
  }

  // ---------------------------------------------------------- positions --

  function positionRow(position) {
    const title = h("h3", {});
    const badge = h("span", { class: `outcome-badge outcome-${position.outcome.toLowerCase()}` },
      position.outcome === "YES" ? t("yes") : t("no"));
    const meta = h("p", { class: "position-meta" });
    const status = h("span", { class: "status" });
    const cashOut = h("button", { type: "button", class: "btn btn-cashout", testid: "cash-out", "data-action": "cash-out",
      onclick: () => cashOutFlow(position.betId) });
    const el = h("article", { class: "position", testid: "position-row", "data-bet-id": position.betId },
      h("div", { class: "position-head" }, badge, title),
      meta,
      h("div", { class: "position-foot" }, status, cashOut));
    return { el, title, meta, status, cashOut };
  }

  function renderPositions(all) {
    // Open bets first (they can be cashed out), then the latest settled ones.
    const positions = [...all.filter((p) => p.status === "open"), ...all.filter((p) => p.status !== "open").slice(0, 6)];
    const seen = new Set();
    for (const position of positions) {
      seen.add(position.betId);
      let row = positionRows.get(position.betId);
      if (!row) {
        row = positionRow(position);
        positionRows.set(position.betId, row);
      }
      positionList.append(row.el);
      setText(row.title, titles.get(position.marketId) || t("resolvedMarket"));
      setText(row.meta, `${t("staked", { value: ctx.money(position.stake) })} · ${t("shares", {
        n: Number.parseFloat(position.shares).toLocaleString(ctx.locale, { maximumFractionDigits: 2 }) })}`);
      row.el.dataset.status = position.status;
      const open = position.status === "open";
      let label = t(`status_${position.status}`);
      if (position.status === "won" && position.payout) label += ` · ${ctx.money(position.payout)}`;
      if (position.status === "cashed_out" && position.cashOutValue) label += ` · ${ctx.money(position.cashOutValue)}`;
      if (position.status === "refunded") label += ` · ${ctx.money(position.payout || position.stake)}`;
      setText(row.status, label);
      row.status.className = `status status-${position.status}`;
      row.cashOut.hidden = !open;
      if (open) {
        const value = position.cashOutValue;
        row.cashOut.dataset.value = value || "";
        row.cashOut.dataset.locked = value ? "0" : "1";
        row.cashOut.disabled = busy || !value;
        setText(row.cashOut, t("cashOut", { value: value ? ctx.money(value) : "—" }));
      }
      announce(position);
    }
    dropRowsNotIn(positionRows, seen);
    emptyPositions.hidden = positions.length > 0;
  }

  function announce(position) {
    const before = lastStatus.get(position.betId);
    lastStatus.set(position.betId, position.status);
    if (before !== "open" || position.status === "open" || position.status === "cashed_out") return;
    if (position.status === "won") ctx.toast(t("resolvedWon", { value: ctx.money(position.payout) }), "win");
    if (position.status === "lost") ctx.toast(t("resolvedLost"), "info");
    if (position.status === "refunded") ctx.toast(t("resolvedRefunded", { value: ctx.money(position.payout || position.stake) }));
  }

  function render(state) {
    ctx.state = state;
    renderMarkets(state.markets || []);
    renderPositions(state.positions || []);
    if (state.balance !== null && state.balance !== undefined && !state.balanceStale) ctx.setBalance(state.balance);
  }

  async function refresh() {
    if (busy) return;
    render(await ctx.api("GET", "state"));
  }

  // ------------------------------------------------------------ actions --

  async function placeBet(marketId, outcome) {
    if (busy) return;
    const amount = stake.value();
    if (!amount) return;
    setBusy(true);
    try {
      const placed = await ctx.api("POST", "bet", { marketId, outcome, amount });
      ctx.clearError();
      if (placed.balance !== null && placed.balance !== undefined) ctx.setBalance(placed.balance);
      else await ctx.refreshBalance();
      ctx.toast(t("betPlaced", { outcome: outcome === "YES" ? t("yes") : t("no"), amount: ctx.money(placed.amount) }), "ok");
      ctx.post("igsp:bet", { game: "prediction-markets", betId: placed.betId, marketId, outcome, amount: placed.amount,
        currency: ctx.currency, balance: placed.balance });
      lastStatus.set(placed.betId, "open");
    } catch (err) {
      ctx.showError(err);
    } finally {
      setBusy(false);
    }
    try {
      await refresh();
    } catch (err) {
      ctx.showError(err);
    }
  }

  async function cashOutFlow(betId) {
    if (busy) return;
    setBusy(true);
    try {
      const quote = await ctx.api("POST", "cash-out/preview", { betId });
      ctx.clearError();
      setBusy(false);
      const ok = await ctx.confirm({
        title: t("cashOutTitle"),
        testid: "cash-out-dialog",
        confirmText: t("confirmCashOut"),
        lines: [
          h("p", { class: "modal-lead" }, t("cashOutBody", { stake: ctx.money(quote.originalStake) })),
          h("p", { class: "modal-value", testid: "cash-out-value", "data-amount": quote.cashOutValue },
            ctx.money(quote.cashOutValue)),
          h("p", { class: "hint" }, t("cashOutNote")),
        ],
      });
      if (!ok) return;
      setBusy(true);
      const sold = await ctx.api("POST", "cash-out", { betId, minValue: quote.cashOutValue });
      ctx.clearError();
      if (sold.balance !== null && sold.balance !== undefined) ctx.setBalance(sold.balance);
      else await ctx.refreshBalance();
      ctx.toast(t("cashedOut", { value: ctx.money(sold.cashOutValue) }), "win");
      ctx.post("igsp:cash-out", { game: "prediction-markets", betId, cashOutValue: sold.cashOutValue, currency: ctx.currency });
    } catch (err) {
      ctx.showError(err);
    } finally {
      setBusy(false);
    }
    try {
      await refresh();
    } catch (err) {
      ctx.showError(err);
    }
  }

  render(initialState);
  return { refresh, refreshEvery: REFRESH_MS };
}
