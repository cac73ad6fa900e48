// The game page's bootstrap: take the session key from the URL fragment, hide it, load the session state
// from the Session API and mount the game. No message from the parent window is needed.

import { clear, h, setText } from "./dom.js";
import { icon } from "./icons.js";
import { applyTexts, pickLanguage, pickLocale, translator } from "./i18n.js";
import { formatMoney, parseStake } from "./money.js";

const body = document.body;
const sessionId = body.dataset.sessionId;
const apiBase = body.dataset.api;
const KEY_STORE = `igsp:key:${sessionId}`;

// 1. The key: read it, then remove the fragment from the address bar at once. It is kept for this tab only
//    (sessionStorage) so a "refresh" asked for by the casino reloads the page into the same session.
function takeKey() {
  const match = /(?:^#|&)key=([^&]*)/.exec(window.location.hash || "");
  let key = match ? decodeURIComponent(match[1]) : "";
  if (window.location.hash) {
    window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
  }
  try {
    if (key) window.sessionStorage.setItem(KEY_STORE, key);
    else key = window.sessionStorage.getItem(KEY_STORE) || "";
  } catch (_) { /* storage may be blocked in third-party iframes: the fragment is enough */ }
  return key;
}

const sessionKey = takeKey();

// ------------------------------------------------------------------ API --

export class ApiError extends Error {
  constructor(payload, httpStatus) {
    const data = payload && typeof payload === "object" ? payload : {};
    super(typeof data.message === "string" ? data.message : "");
    this.code = String(data.error || data.code || codeForStatus(httpStatus));
    this.status = Number(data.status || httpStatus || 0);
    this.action = data.action || "";
    this.actionData = data.actionData || "";
    this.serverMessage = typeof data.message === "string" ? data.message : "";
  }
}

function codeForStatus(status) {
  return { 0: "network", 401: "unauthorized", 404: "session_not_found", 410: "session_expired",
    429: "too_many_requests", 502: "partner_unreachable", 503: "partner_unreachable" }[status] || "generic";
}

async function api(method, path, payload) {
  const headers = { "X-Casino-Key": sessionKey, Accept: "application/json" };
  const init = { method, headers, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" };
  if (payload !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(payload);
  }
  let response;
  try {
    response = await fetch(apiBase + path, init);
  } catch (_) {
    throw new ApiError({ error: "network" }, 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (_) { /* an empty or non-JSON body */ }
  if (!response.ok) throw new ApiError(data, response.status);
  return data;
}

// --------------------------------------------------------------- shell --

const els = {
  gameName: document.getElementById("game-name"),
  demoBadge: document.getElementById("demo-badge"),
  balance: document.querySelector('[data-testid="balance"]'),
  deposit: document.getElementById("deposit"),
  back: document.getElementById("return"),
  error: document.getElementById("error"),
  errorText: document.getElementById("error-text"),
  errorRefresh: document.getElementById("error-refresh"),
  errorDeposit: document.getElementById("error-deposit"),
  errorClose: document.getElementById("error-close"),
  main: document.getElementById("game"),
  overlay: document.getElementById("overlay"),
  toasts: document.getElementById("toasts"),
};

const ctx = {
  sessionId,
  api,
  t: translator(pickLanguage(body.dataset.language || navigator.language)),
  locale: pickLocale(body.dataset.language || navigator.language),
  currency: "",
  state: null,
  balance: null,
  expired: false,
  limits: {},
};

function safeUrl(url) {
  if (!url) return "";
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : "";
  } catch (_) {
    return "";
  }
}

ctx.money = (value) => formatMoney(value, ctx.currency, ctx.locale);

ctx.setBalance = (value) => {
  if (value === null || value === undefined || value === "") return;
  const changed = ctx.balance !== String(value);
  ctx.balance = String(value);
  els.balance.dataset.amount = ctx.balance;
  setText(els.balance, ctx.money(ctx.balance));
  if (changed) {
    els.balance.classList.remove("bump");
    void els.balance.offsetWidth; // restart the highlight animation
    els.balance.classList.add("bump");
    ctx.post("igsp:balance", { balance: ctx.balance, currency: ctx.currency });
  }
};

ctx.refreshBalance = async () => {
  try {
    const data = await api("GET", "balance");
    ctx.setBalance(data.balance);
  } catch (err) {
    if (err.status === 410) ctx.showError(err);
  }
};

// The sites allowed to embed this page (the partner's configured origins, the same list as the page's
// frame-ancestors); none configured: only the hub's own pages, i.e. this page's origin.
const parentOrigins = (body.dataset.parentOrigins || "").split(/\s+/).filter(Boolean);
if (!parentOrigins.length) parentOrigins.push(window.location.origin);

function parentTargets() {
  // Where the browser tells us the embedding page's origin, post there only (if it is allowed); elsewhere post
  // to each allowed origin: the browser delivers a message only when its target origin is the parent's.
  const ancestors = window.location.ancestorOrigins;
  if (ancestors && ancestors.length) return parentOrigins.includes(ancestors[0]) ? [ancestors[0]] : [];
  return parentOrigins;
}

/** Events for hosts that listen, and only for the allowed ones; nothing secret goes out (never the key). */
ctx.post = (type, data) => {
  if (window.parent === window) return;
  for (const origin of parentTargets()) {
    try {
      window.parent.postMessage({ type, sessionId, ...data }, origin);
    } catch (_) { /* a host that can't receive messages is fine */ }
  }
};

/** The error in plain words: the code's localized text, else the server's message. */
ctx.errorText = (err) => {
  const key = `err_${err.code}`;
  if (ctx.t.has(key)) {
    return ctx.t(key, { min: ctx.money(ctx.limits.minStake || "0"), max: ctx.money(ctx.limits.maxStake || "0") });
  }
  return err.serverMessage || ctx.t("err_generic");
};

ctx.showError = (err) => {
  if (!(err instanceof ApiError)) err = new ApiError({ error: "generic" }, 0);
  if (err.status === 410 || ["session_expired", "session_closed"].includes(err.code)) {
    showExpired(err.code === "session_closed");
    return;
  }
  setText(els.errorText, ctx.errorText(err));
  els.error.dataset.code = err.code;
  els.errorRefresh.hidden = err.action !== "refresh";
  const deposit = safeUrl(ctx.state?.session?.depositUrl || "");
  els.errorDeposit.hidden = !(deposit && err.code === "insufficient_funds");
  if (deposit) els.errorDeposit.href = deposit;
  els.error.hidden = false;
  els.error.classList.remove("shake");
  void els.error.offsetWidth;
  els.error.classList.add("shake");
};

ctx.clearError = () => {
  els.error.hidden = true;
  delete els.error.dataset.code;
};

ctx.toast = (text, kind = "info") => {
  const toast = h("div", { class: `toast toast-${kind}`, role: "status", testid: "toast" }, text);
  els.toasts.append(toast);
  setTimeout(() => toast.classList.add("leaving"), 3200);
  setTimeout(() => toast.remove(), 3600);
};

/** A stake field with quick chips; returns {root, value()} where value() is a decimal string or null. */
ctx.stakeField = (initial) => {
  const input = h("input", {
    id: "stake", class: "stake-input", type: "text", inputmode: "decimal", autocomplete: "off",
    spellcheck: "false", testid: "stake-input", "aria-label": ctx.t("stake"), value: initial,
  });
  const symbol = h("span", { class: "stake-currency" }, ctx.currency);
  const chips = h("div", { class: "chips" }, ["1", "5", "10", "25", "100"].map((amount) => h("button", {
    type: "button", class: "chip", onclick: () => { input.value = amount; input.dispatchEvent(new Event("input")); },
  }, formatMoney(amount, ctx.currency, ctx.locale).replace(/[.,]00(?!\d)/, ""))));
  const root = h("div", { class: "stake" },
    h("label", { class: "field-label", for: "stake" }, ctx.t("stake")),
    h("div", { class: "stake-field" }, input, symbol),
    chips,
    h("p", { class: "hint" }, ctx.t("stakeHint", { min: ctx.money(ctx.limits.minStake || "0"),
      max: ctx.money(ctx.limits.maxStake || "0") })));
  return {
    root,
    input,
    value() {
      const amount = parseStake(input.value);
      if (!amount) {
        ctx.showError(new ApiError({ error: "invalid_amount" }, 400));
        input.focus();
      }
      return amount;
    },
  };
};

/** A modal dialog; resolves true on confirm. */
ctx.confirm = ({ title, lines, confirmText, testid }) => new Promise((resolve) => {
  const close = (answer) => {
    dialog.remove();
    document.removeEventListener("keydown", onKey);
    resolve(answer);
  };
  const onKey = (event) => { if (event.key === "Escape") close(false); };
  const confirmButton = h("button", { type: "button", class: "btn btn-primary", testid: `${testid}-confirm`,
    onclick: () => close(true) }, confirmText);
  const dialog = h("div", { class: "modal-backdrop", onclick: (event) => { if (event.target === dialog) close(false); } },
    h("div", { class: "modal", role: "dialog", "aria-modal": "true", "aria-label": title, testid },
      h("h2", {}, title),
      lines,
      h("div", { class: "modal-actions" },
        h("button", { type: "button", class: "btn btn-ghost", testid: `${testid}-cancel`, onclick: () => close(false) },
          ctx.t("cancel")),
        confirmButton)));
  document.addEventListener("keydown", onKey);
  document.body.append(dialog);
  confirmButton.focus();
});

function overlay(kind, title, text, actions) {
  clear(els.overlay);
  els.overlay.append(h("div", { class: "overlay-card", testid: kind === "expired" ? "session-expired" : "fatal" },
    h("div", { class: `overlay-icon overlay-${kind}` }, icon(kind === "expired" ? "clock" : "alert", 32)),
    h("h1", {}, title),
    h("p", {}, text),
    h("div", { class: "overlay-actions" }, actions)));
  els.overlay.hidden = false;
}

function returnButton() {
  const url = safeUrl(ctx.state?.session?.returnUrl || body.dataset.returnUrl || "");
  return url ? h("a", { class: "btn btn-primary", href: url, target: "_top", rel: "noopener noreferrer" },
    ctx.t("returnToCasino")) : null;
}

function showExpired(closed = false) {
  if (ctx.expired) return;
  ctx.expired = true;
  ctx.stop?.();
  // A session the casino closed (responsible gaming, account closure) says so rather than "expired".
  overlay("expired", ctx.t(closed ? "closedTitle" : "expiredTitle"),
    closed ? ctx.t("err_session_closed") : ctx.t("expiredBody"), [returnButton()]);
  ctx.post("igsp:expired", {});
}

function showFatal(text) {
  overlay("fatal", ctx.t("fatalTitle"), text, [
    h("button", { type: "button", class: "btn btn-primary", onclick: () => window.location.reload() }, ctx.t("tryAgain")),
  ]);
}

// ----------------------------------------------------------- bootstrap --

function applySession(state) {
  const session = state.session || {};
  const lang = pickLanguage(session.language);
  ctx.t = translator(lang);
  ctx.locale = pickLocale(session.language);
  ctx.currency = state.currency;
  document.documentElement.lang = lang;
  applyTexts(document, ctx.t);
  document.title = state.game?.name || document.title;
  setText(els.gameName, state.game?.name || "");
  els.demoBadge.hidden = !session.isDemo;
  body.classList.add(`game-${state.game?.slug || "unknown"}`);
  const deposit = safeUrl(session.depositUrl || "");
  const back = safeUrl(session.returnUrl || "");
  els.deposit.hidden = !deposit;
  if (deposit) els.deposit.href = deposit;
  els.back.hidden = !back;
  if (back) els.back.href = back;
}

async function loadGame(slug) {
  if (slug === "prediction-markets") return import("./markets.js");
  if (slug === "traderhero-jackpot") return import("./traderhero.js");
  return null;
}

els.errorClose.addEventListener("click", () => ctx.clearError());
els.errorRefresh.addEventListener("click", () => window.location.reload());

async function start() {
  applyTexts(document, ctx.t);
  if (!sessionKey) {
    showFatal(ctx.t("missingKey"));
    return;
  }
  let state;
  try {
    state = await api("GET", "state");
  } catch (err) {
    if (err.status === 410) ctx.showError(err);
    else showFatal(ctx.errorText(err));
    return;
  }
  ctx.state = state;
  ctx.limits = state.limits || state.jackpot || {};
  applySession(state);
  ctx.setBalance(state.balance);
  const module = await loadGame(state.game?.slug);
  clear(els.main);
  if (!module) {
    showFatal(ctx.t("err_game_not_found"));
    return;
  }
  const game = module.mount(ctx, els.main, state);
  body.classList.add("ready");
  ctx.post("igsp:ready", { game: state.game?.slug, currency: state.currency, balance: state.balance,
    language: state.session?.language });

  // Live updates: the game decides how often; paused while the page is hidden.
  let timer = null;
  const tick = async () => {
    timer = null;
    if (ctx.expired) return;
    if (!document.hidden) {
      try {
        await game.refresh();
      } catch (err) {
        if (err instanceof ApiError && err.status === 410) ctx.showError(err);
      }
    }
    if (!ctx.expired) timer = setTimeout(tick, game.refreshEvery || 5000);
  };
  ctx.stop = () => { if (timer) clearTimeout(timer); timer = null; };
  timer = setTimeout(tick, game.refreshEvery || 5000);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && !ctx.expired && timer) {
      clearTimeout(timer);
      tick();
    }
  });
}

start();
