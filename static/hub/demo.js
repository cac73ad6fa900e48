// The demo casino lobby: create a demo session from the browser, then embed its launch URL like a partner would.

import { h } from "./dom.js";
import { applyTexts, pickLanguage, pickLocale, translator } from "./i18n.js";
import { formatMoney } from "./money.js";

const body = document.body;
const languageSelect = document.getElementById("language");
const tiles = document.getElementById("tiles");
const hero = document.getElementById("hero");
const features = document.getElementById("features");
const stage = document.getElementById("stage");
const stageFrame = document.getElementById("stage-frame");
const stageTitle = document.getElementById("stage-title");
const errorBox = document.getElementById("lobby-error");
const lobbyBalance = document.getElementById("lobby-balance");

const CURRENCY = "USD";
const BALANCE = "1000";
// The server rendered the page in its language (?lang=, else the browser's); the session gets the same locale.
const locale = body.dataset.locale || "en_us";
const lang = pickLanguage(locale);
const t = translator(lang);

function randomHex(bytes) {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
}

function applyLanguage() {
  languageSelect.value = locale;
  applyTexts(document, t);
  lobbyBalance.textContent = t("lobbyBalance", { value: formatMoney(BALANCE, CURRENCY, pickLocale(locale)) });
}

// Another language: the page again, rendered in it.
languageSelect.addEventListener("change", () => {
  const url = new URL(window.location.href);
  url.searchParams.set("lang", languageSelect.value);
  window.location.assign(url.href);
});

function showError(message) {
  errorBox.textContent = t("lobbyError", { message });
  errorBox.hidden = false;
}

async function startGame(tile) {
  const slug = tile.dataset.game;
  const cta = tile.querySelector(".tile-cta");
  errorBox.hidden = true;
  for (const other of tiles.querySelectorAll(".tile")) other.disabled = true;
  cta.textContent = t("starting");
  try {
    const player = `guest-${randomHex(6)}`;
    const response = await fetch(body.dataset.demoSessions, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "omit",
      body: JSON.stringify({
        game_id: slug,
        player_id: player,
        player_name: "Guest",
        currency: CURRENCY,
        session_id: `demo-${randomHex(12)}`,
        balance: BALANCE,
        language: locale,
        device: window.matchMedia("(max-width: 700px)").matches ? "mobile" : "desktop",
        return_url: new URL(body.dataset.lobby, window.location.href).href,
        is_demo: true,
      }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status !== 201 || !data.url) throw new Error(data.message || `HTTP ${response.status}`);
    embed(data.url, tile.querySelector(".tile-title").textContent);
  } catch (err) {
    showError(err.message || String(err));
  } finally {
    for (const other of tiles.querySelectorAll(".tile")) other.disabled = false;
    cta.textContent = t("playDemo");
  }
}

function embed(url, title) {
  stageFrame.replaceChildren(h("iframe", {
    src: url, title, testid: "game-frame", allow: "clipboard-write", referrerpolicy: "no-referrer",
  }));
  stageTitle.textContent = title;
  hero.hidden = true;
  tiles.hidden = true;
  features.hidden = true;
  stage.hidden = false;
  body.classList.add("playing");
}

function backToLobby() {
  stageFrame.replaceChildren();
  stage.hidden = true;
  hero.hidden = false;
  tiles.hidden = false;
  features.hidden = false;
  body.classList.remove("playing");
}

// Events the game page posts to its host (a partner may listen the same way).
window.addEventListener("message", (event) => {
  const frame = stageFrame.querySelector("iframe");
  if (!frame || event.source !== frame.contentWindow || !event.data || typeof event.data.type !== "string") return;
  if (event.data.type === "igsp:balance") body.dataset.lastBalance = event.data.balance;
  if (event.data.type === "igsp:ready") body.dataset.gameReady = "1";
});

tiles.addEventListener("click", (event) => {
  const tile = event.target.closest(".tile");
  if (tile && !tile.disabled) startGame(tile);
});
document.getElementById("back").addEventListener("click", backToLobby);

applyLanguage();
