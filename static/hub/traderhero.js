// TraderHero: stake, up/down, the animated price path of the round, the payout and the browser-side fairness check.

import { clear, h, setText } from "./dom.js";
import { newClientSeed, verifyRound } from "./fair.js";
import { icon } from "./icons.js";
import { dec, normalize, str, sub } from "./money.js";

const REFRESH_MS = 10000;
const ANIMATION_MS = 2200;
const POLL_MS = 700;
const GIVE_UP_AFTER_MS = 30000;
const START = 10000;

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function price(hundredths) {
  return (hundredths / 100).toFixed(2);
}

function chanceText(width, space, locale) {
  const p = (Number(width) / Number(space)) * 100;
  const digits = p < 0.1 ? 3 : p < 10 ? 2 : 1;
  return `${p.toLocaleString(locale, { maximumFractionDigits: digits })}%`;
}

function css(name) {
  return getComputedStyle(document.body).getPropertyValue(name).trim();
}

// ---------------------------------------------------------------- chart --

class Chart {
  constructor(canvas) {
    this.canvas = canvas;
    this.path = null;
    this.progress = 0;
    this.mode = "idle"; // idle | waiting | path
    this.pulse = 0;
    this.raf = 0;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  show(path, progress) {
    this.mode = "path";
    this.path = path;
    this.progress = progress;
    this.draw();
  }

  /** Animate the path; resolves when done. */
  animate(path, onFrame) {
    cancelAnimationFrame(this.raf);
    this.mode = "path";
    this.path = path;
    const started = performance.now();
    return new Promise((resolve) => {
      const frame = (now) => {
        const x = Math.min(1, (now - started) / ANIMATION_MS);
        this.progress = x < 1 ? 1 - (1 - x) ** 1.6 : 1; // ease out
        this.draw();
        onFrame?.(this.current());
        if (x < 1) this.raf = requestAnimationFrame(frame);
        else resolve();
      };
      this.raf = requestAnimationFrame(frame);
    });
  }

  waiting() {
    cancelAnimationFrame(this.raf);
    this.mode = "waiting";
    const frame = (now) => {
      if (this.mode !== "waiting") return;
      this.pulse = now;
      this.draw();
      this.raf = requestAnimationFrame(frame);
    };
    this.raf = requestAnimationFrame(frame);
  }

  current() {
    if (!this.path) return START;
    const span = (this.path.length - 1) * this.progress;
    const i = Math.floor(span);
    const next = this.path[Math.min(i + 1, this.path.length - 1)];
    return this.path[i] + (next - this.path[i]) * (span - i);
  }

  draw() {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);

    const padTop = 18, padBottom = 18, padLeft = 8, padRight = 58;
    const points = this.mode === "path" && this.path ? this.path : null;
    let low = START - 600, high = START + 600;
    if (points) {
      low = Math.min(...points, START);
      high = Math.max(...points, START);
      const margin = Math.max(120, (high - low) * 0.15);
      low -= margin;
      high += margin;
    }
    const plotW = width - padLeft - padRight;
    const plotH = height - padTop - padBottom;
    const y = (v) => padTop + (1 - (v - low) / (high - low)) * plotH;
    const x = (i) => padLeft + (i / 21) * plotW;

    // grid and price axis
    g.font = "11px system-ui, sans-serif";
    g.textBaseline = "middle";
    g.lineWidth = 1;
    const steps = 4;
    for (let s = 0; s <= steps; s += 1) {
      const v = low + ((high - low) * s) / steps;
      const yy = Math.round(y(v)) + 0.5;
      g.strokeStyle = "rgba(255,255,255,0.06)";
      g.beginPath();
      g.moveTo(padLeft, yy);
      g.lineTo(padLeft + plotW, yy);
      g.stroke();
      g.fillStyle = "rgba(200,210,235,0.45)";
      g.fillText(price(v), padLeft + plotW + 8, yy);
    }
    // the entry price
    g.setLineDash([5, 5]);
    g.strokeStyle = "rgba(255,255,255,0.35)";
    g.beginPath();
    g.moveTo(padLeft, Math.round(y(START)) + 0.5);
    g.lineTo(padLeft + plotW, Math.round(y(START)) + 0.5);
    g.stroke();
    g.setLineDash([]);

    if (this.mode === "waiting") {
      const r = 5 + 4 * Math.abs(Math.sin(this.pulse / 260));
      g.fillStyle = css("--accent") || "#8b5cf6";
      g.globalAlpha = 0.35;
      g.beginPath();
      g.arc(x(0), y(START), r * 2, 0, Math.PI * 2);
      g.fill();
      g.globalAlpha = 1;
      g.beginPath();
      g.arc(x(0), y(START), 5, 0, Math.PI * 2);
      g.fill();
      return;
    }
    if (!points) {
      // idle: a calm decorative line
      g.strokeStyle = "rgba(139,92,246,0.35)";
      g.lineWidth = 2;
      g.beginPath();
      for (let i = 0; i <= 21; i += 1) {
        const v = START + Math.sin(i / 2.2) * 260 + Math.sin(i / 0.9) * 90;
        if (i === 0) g.moveTo(x(i), y(v));
        else g.lineTo(x(i), y(v));
      }
      g.stroke();
      return;
    }

    const span = (points.length - 1) * this.progress;
    const last = Math.floor(span);
    const head = this.current();
    const rising = head >= START;
    const color = rising ? (css("--up") || "#22c55e") : (css("--down") || "#f43f5e");
    const trace = [];
    for (let i = 0; i <= last; i += 1) trace.push([x(i), y(points[i])]);
    if (span > last) trace.push([x(span), y(head)]);

    // area under the line
    const area = g.createLinearGradient(0, padTop, 0, padTop + plotH);
    area.addColorStop(0, rising ? "rgba(34,197,94,0.28)" : "rgba(244,63,94,0.05)");
    area.addColorStop(1, rising ? "rgba(34,197,94,0.02)" : "rgba(244,63,94,0.28)");
    g.fillStyle = area;
    g.beginPath();
    g.moveTo(trace[0][0], y(START));
    for (const [px, py] of trace) g.lineTo(px, py);
    g.lineTo(trace[trace.length - 1][0], y(START));
    g.closePath();
    g.fill();

    g.strokeStyle = color;
    g.lineWidth = 2.5;
    g.lineJoin = "round";
    g.beginPath();
    trace.forEach(([px, py], i) => (i ? g.lineTo(px, py) : g.moveTo(px, py)));
    g.stroke();

    const [hx, hy] = trace[trace.length - 1];
    g.fillStyle = color;
    g.globalAlpha = 0.3;
    g.beginPath();
    g.arc(hx, hy, 9, 0, Math.PI * 2);
    g.fill();
    g.globalAlpha = 1;
    g.beginPath();
    g.arc(hx, hy, 4.5, 0, Math.PI * 2);
    g.fill();
    // price tag on the axis
    g.fillStyle = color;
    const tagY = Math.min(Math.max(hy, padTop + 8), padTop + plotH - 8);
    g.fillRect(padLeft + plotW + 2, tagY - 9, padRight - 4, 18);
    g.fillStyle = "#0b0f1a";
    g.font = "bold 11px system-ui, sans-serif";
    g.fillText(price(head), padLeft + plotW + 7, tagY);
  }
}

// ----------------------------------------------------------------- game --

export function mount(ctx, root, initialState) {
  const { t } = ctx;
  const tierLabel = (name) => ({ jackpot: t("tier_jackpot"), lose: t("lose") }[name] || t("tier_win"));
  const config = initialState.jackpot || {};
  const table = config.table || { tiers: [], drawSpace: 2 ** 48 };
  let rounds = initialState.rounds || [];
  let selected = null;
  let busy = false;
  let compactTimer = 0;

  const stake = ctx.stakeField("1");
  // Free rounds granted by the casino (Core API free-rounds campaigns): the state says how many are left.
  let freeLeft = initialState.freeRounds ? Number(initialState.freeRounds.remaining) || 0 : 0;
  const freeRounds = h("p", { class: "hint center free-rounds", testid: "free-rounds", hidden: freeLeft <= 0 });
  const showFreeRounds = () => {
    freeRounds.hidden = freeLeft <= 0;
    setText(freeRounds, t("freeRoundsLeft", { n: freeLeft }));
  };
  showFreeRounds();
  const canvas = h("canvas", { class: "chart", "aria-hidden": "true" });
  const chart = new Chart(canvas);
  const priceNow = h("strong", { class: "price-now", testid: "price" }, price(START));
  const change = h("span", { class: "price-change" }, "0.00%");
  const status = h("span", { class: "round-status", testid: "round-status" }, t("pickDirection"));
  const result = h("div", { class: "round-result", testid: "round-result", hidden: true });
  const upButton = h("button", { type: "button", class: "btn-direction btn-up", testid: "bet-up", "data-action": "bet",
    onclick: () => play("up") }, h("span", { class: "arrow" }, "▲"), t("up"));
  const downButton = h("button", { type: "button", class: "btn-direction btn-down", testid: "bet-down",
    "data-action": "bet", onclick: () => play("down") }, h("span", { class: "arrow" }, "▼"), t("down"));

  const maxMultiplier = table.tiers.reduce((m, tier) => Math.max(m, Number.parseFloat(tier.multiplier)), 0);
  const rtpPercent = normalize(String((Number.parseFloat(config.rtp || "0") * 100).toFixed(2)));

  // fairness panel
  const seedHash = h("code", { class: "mono", testid: "server-seed-hash" }, "—");
  const seed = h("code", { class: "mono", testid: "server-seed" }, "—");
  const usedClientSeed = h("code", { class: "mono" }, "—");
  const nonce = h("code", { class: "mono" }, "—");
  const verifyButton = h("button", { type: "button", class: "btn btn-verify", testid: "verify", disabled: true,
    onclick: () => verify() }, t("verify"));
  const verifyResult = h("div", { class: "verify-result", testid: "verify-result", hidden: true });
  const clientSeedInput = h("input", { class: "seed-input mono", id: "client-seed", type: "text", maxlength: "64",
    autocomplete: "off", spellcheck: "false", value: newClientSeed(), testid: "client-seed" });

  const history = h("div", { class: "history", testid: "history" });
  const tierRow = (name, multiplier, width) => h("tr", {},
    h("td", { class: "mult-cell" }, h("span", { class: `mult mult-${name.replace(".", "_")}` }, `×${normalize(multiplier)}`)),
    h("td", { class: "muted" }, name === "jackpot" || name === "lose" ? tierLabel(name) : ""),
    h("td", { class: "num" }, chanceText(width, table.drawSpace, ctx.locale)));
  const lastThreshold = table.tiers.length ? table.tiers[table.tiers.length - 1].threshold : table.drawSpace;
  const paytable = h("table", { class: "paytable" },
    h("tbody", {},
      table.tiers.map((tier, i) => tierRow(tier.name, tier.multiplier,
        tier.threshold - (i ? table.tiers[i - 1].threshold : 0))),
      table.tiers.length ? tierRow("lose", "0", table.drawSpace - lastThreshold) : null));

  root.append(h("div", { class: "th-layout" },
    h("div", { class: "th-main" },
      h("section", { class: "card th-chart" },
        h("div", { class: "chart-head" },
          h("div", {}, h("span", { class: "eyebrow" }, t("indexName")), h("div", { class: "price-line" }, priceNow, change)),
          status),
        h("div", { class: "chart-wrap" }, canvas, result)),
      h("section", { class: "card th-history" },
        h("div", { class: "section-head" }, h("h2", {}, t("history"))), history),
      h("section", { class: "card th-paytable" },
        h("div", { class: "section-head" }, h("h2", {}, t("paytable")), h("span", { class: "muted" }, t("chanceCol"))),
        paytable)),
    h("div", { class: "th-side" },
      h("section", { class: "card th-controls" },
        stake.root,
        freeRounds,
        h("div", { class: "direction-buttons" }, upButton, downButton),
        h("p", { class: "hint center" }, t("winUpTo", { max: maxMultiplier || 100, rtp: rtpPercent }))),
      h("section", { class: "card th-fair" },
        h("div", { class: "section-head" }, h("h2", {}, icon("shield", 18), t("fairTitle"))),
        h("p", { class: "hint" }, t("fairIntro")),
        h("dl", { class: "fair-list" },
          h("dt", {}, t("serverSeedHash")), h("dd", {}, seedHash),
          h("dt", {}, t("serverSeed")), h("dd", {}, seed),
          h("dt", {}, t("clientSeed")), h("dd", {}, usedClientSeed),
          h("dt", {}, t("nonce")), h("dd", {}, nonce)),
        h("div", { class: "verify-row" }, verifyButton),
        verifyResult,
        h("label", { class: "field-label", for: "client-seed" }, t("nextClientSeed")),
        clientSeedInput))));

  function setBusy(value) {
    busy = value;
    root.classList.toggle("busy", value);
    upButton.disabled = value;
    downButton.disabled = value;
  }

  function showPrice(hundredths) {
    setText(priceNow, price(hundredths));
    const pct = ((hundredths - START) / START) * 100;
    setText(change, `${pct >= 0 ? "+" : ""}${pct.toFixed(2)}%`);
    change.className = `price-change ${pct > 0 ? "is-up" : pct < 0 ? "is-down" : ""}`;
  }

  function showFairness(round) {
    selected = round;
    setText(seedHash, round?.serverSeedHash || "—");
    setText(seed, round?.serverSeed || (round ? t("seedHidden") : "—"));
    setText(usedClientSeed, round?.clientSeed || "—");
    setText(nonce, round ? String(round.nonce) : "—");
    verifyButton.disabled = !(round && round.status === "settled" && round.serverSeed);
    verifyResult.hidden = true;
  }

  function showResult(round, animate = true) {
    clear(result);
    if (!round || round.status !== "settled") {
      result.hidden = true;
      return;
    }
    const won = dec(round.payout || "0").n > 0n;
    const jackpot = round.tier === "jackpot";
    const endsUp = round.path[round.path.length - 1] > START;
    result.dataset.outcome = won ? "win" : "lose";
    result.dataset.payout = round.payout;
    result.className = `round-result ${won ? "is-win" : "is-lose"} ${jackpot ? "is-jackpot" : ""}`;
    result.append(
      h("div", { class: "result-title" }, won ? t(jackpot ? "jackpot" : "youWon", { value: ctx.money(round.payout) }) : t("noWin")),
      h("div", { class: "result-sub" },
        `${t("priceWent", { dir: t(endsUp ? "went_up" : "went_down") })} `,
        won ? t("multiplierLine", { m: normalize(round.multiplier), stake: ctx.money(round.stake) }) : ""),
    );
    result.hidden = false;
    clearTimeout(compactTimer);
    compactTimer = setTimeout(() => result.classList.add("compact"), animate ? 3500 : 0);
  }

  function renderHistory() {
    clear(history);
    const settled = rounds.filter((r) => r.status === "settled").slice(0, 12);
    if (!settled.length) {
      history.append(h("p", { class: "empty" }, t("noRounds")));
      return;
    }
    for (const round of settled) {
      const won = dec(round.payout || "0").n > 0n;
      history.append(h("button", {
        type: "button", class: `history-chip ${won ? "is-win" : "is-lose"} ${selected?.betId === round.betId ? "is-selected" : ""}`,
        title: `${round.direction} · ${ctx.money(round.stake)} → ${ctx.money(round.payout)}`,
        onclick: () => {
          if (busy) return;
          showFairness(round);
          showResult(round, false);
          chart.show(round.path, 1);
          showPrice(round.path[round.path.length - 1]);
          renderHistory();
        },
      }, h("span", { class: "dir" }, round.direction === "up" ? "▲" : "▼"), `×${normalize(round.multiplier || "0")}`));
    }
  }

  async function waitSettled(round) {
    // The server settles the round roundSeconds after the bet; count down on our own clock (no skew issues).
    const dueAt = Date.now() + Number(config.roundSeconds || 0) * 1000;
    const deadline = dueAt + GIVE_UP_AFTER_MS;
    let current = round;
    while (current.status === "open") {
      const due = dueAt - Date.now();
      if (due > 0) {
        setText(status, `${t("roundRunning")} ${Math.ceil(due / 1000)}s`);
        await sleep(Math.min(due, 1000));
        continue;
      }
      setText(status, t("roundRunning"));
      if (Date.now() > deadline) {
        setText(status, t("roundDelayed"));
        return null;
      }
      await sleep(POLL_MS);
      current = await ctx.api("GET", `bets/${encodeURIComponent(round.betId)}`);
    }
    return current;
  }

  async function play(direction) {
    if (busy) return;
    const amount = stake.value();
    if (!amount) return;
    const clientSeed = clientSeedInput.value.trim() || newClientSeed();
    setBusy(true);
    result.hidden = true;
    verifyResult.hidden = true;
    try {
      const placed = await ctx.api("POST", "bet", { direction, amount, clientSeed });
      ctx.clearError();
      const settledNow = placed.status === "settled";
      // Show the stake leaving the balance first; the payout lands when the price path has played.
      if (placed.balance !== null && placed.balance !== undefined) {
        ctx.setBalance(settledNow && placed.payout && ctx.state.session?.isDemo
          ? str(sub(placed.balance, placed.payout)) : placed.balance);
      }
      ctx.post("igsp:bet", { game: "traderhero-jackpot", betId: placed.betId, direction, amount: placed.stake,
        currency: ctx.currency });
      if (placed.freeRound) {
        freeLeft = Math.max(0, freeLeft - 1);
        showFreeRounds();
      }
      showFairness(placed);
      showPrice(START);
      chart.waiting();
      let round = placed;
      if (!settledNow) {
        round = await waitSettled(placed);
        if (!round) {
          chart.mode = "idle";
          chart.draw();
          return;
        }
      }
      setText(status, t("roundRunning"));
      await chart.animate(round.path, showPrice);
      showPrice(round.path[round.path.length - 1]);
      setText(status, t("pickDirection"));
      rounds = [round, ...rounds.filter((r) => r.betId !== round.betId)];
      showFairness(round);
      showResult(round);
      renderHistory();
      clientSeedInput.value = newClientSeed();
      await ctx.refreshBalance();
    } catch (err) {
      ctx.showError(err);
      setText(status, t("pickDirection"));
      if (chart.mode === "waiting") chart.mode = "idle";
      chart.draw();
    } finally {
      setBusy(false);
    }
  }

  async function verify() {
    const round = selected;
    if (!round) return;
    verifyButton.disabled = true;
    setText(verifyButton, t("verifying"));
    clear(verifyResult);
    try {
      const outcome = await verifyRound(round, table);
      verifyResult.dataset.ok = outcome.ok ? "true" : "false";
      verifyResult.className = `verify-result ${outcome.ok ? "is-ok" : "is-bad"}`;
      if (outcome.ok) {
        verifyResult.append(h("strong", {}, t("verified")),
          h("span", {}, t("verifiedDetail", { tier: tierLabel(outcome.tier), m: normalize(outcome.multiplier),
            payout: ctx.money(outcome.payout) })));
      } else {
        const reason = { unavailable: "verifyUnavailable", hash: "verifyHash", outcome: "verifyOutcome",
          path: "verifyPath", payout: "verifyPayout" }[outcome.reason] || "verifyOutcome";
        verifyResult.append(h("strong", {}, t("notVerified")), h("span", {}, t(reason)));
      }
    } catch (_) {
      verifyResult.dataset.ok = "false";
      verifyResult.className = "verify-result is-bad";
      verifyResult.append(h("strong", {}, t("notVerified")), h("span", {}, t("verifyUnavailable")));
    } finally {
      verifyResult.hidden = false;
      setText(verifyButton, t("verify"));
      verifyButton.disabled = false;
    }
  }

  async function refresh() {
    if (busy) return;
    await ctx.refreshBalance();
  }

  // A page opened again shows the last settled round.
  const last = rounds.find((r) => r.status === "settled");
  if (last) {
    showFairness(last);
    showResult(last, false);
    chart.show(last.path, 1);
    showPrice(last.path[last.path.length - 1]);
  } else {
    chart.draw();
  }
  renderHistory();
  return { refresh, refreshEvery: REFRESH_MS };
}
