// Player-facing texts. They are not written here: the server renders each page in its language and embeds that
// language's gettext catalog as JSON (<script type="application/json" id="hub-i18n">, from
// locale/<lang>/LC_MESSAGES/django.po through pages/i18n.py). To add or change a text, edit pages/messages.py and
// the .po files (docs/development.md, "Translations"). Error codes map to plain words; an unknown code shows the server's message.

function readCatalog() {
  try {
    const node = typeof document !== "undefined" && document.getElementById("hub-i18n");
    return node ? JSON.parse(node.textContent || "{}") : {};
  } catch (_) {
    return {};
  }
}

const TEXTS = readCatalog();
// The page's language, as the server chose it (<html lang>: "pt-BR", "zh-Hant", "en").
const PAGE_LANG = (typeof document !== "undefined" && document.documentElement.lang) || "en";

// Intl locales for numbers and dates when the session gives only a language.
const DEFAULT_LOCALE = {
  en: "en-US", "pt-BR": "pt-BR", es: "es-ES", "es-MX": "es-MX", ru: "ru-RU", "zh-Hant": "zh-TW", ko: "ko-KR",
  th: "th-TH", vi: "vi-VN", hi: "hi-IN", ja: "ja-JP", fr: "fr-FR", tr: "tr-TR", de: "de-DE", id: "id-ID", uz: "uz-UZ",
};

/** The UI language: the page's own (the server already resolved the session's locale to it). */
export function pickLanguage(_code) {
  return PAGE_LANG;
}

/** An Intl locale for formatting: the session's own region when it speaks the page's language ("es_ar" → "es-AR"). */
export function pickLocale(code) {
  const fallback = DEFAULT_LOCALE[PAGE_LANG] || "en-US";
  const [base, region] = String(code || "").toLowerCase().split(/[-_]/);
  if (base === PAGE_LANG.split("-")[0].toLowerCase() && region && /^[a-z]{2}$/.test(region)) {
    const tag = `${base}-${region.toUpperCase()}`;
    try {
      if (Intl.NumberFormat.supportedLocalesOf([tag]).length) return tag;
    } catch (_) { /* fall through */ }
  }
  return fallback;
}

/** A translate function: t("key", {param: value}). */
export function translator(lang) {
  const t = (key, params) => {
    let text = Object.hasOwn(TEXTS, key) ? TEXTS[key] : key;
    for (const [name, value] of Object.entries(params || {})) text = text.split(`{${name}}`).join(String(value));
    return text;
  };
  t.has = (key) => Object.hasOwn(TEXTS, key);
  t.lang = lang || PAGE_LANG;
  return t;
}

/** Fill every [data-i18n] element of ``root`` with its text. */
export function applyTexts(root, t) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}
