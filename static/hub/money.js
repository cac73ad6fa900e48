// Exact decimal arithmetic on the API's decimal strings (BigInt, never floats), and localized display.

const DECIMAL_RE = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Parse "12.50" → {n: 1250n, s: 2}; null when the text is not a plain decimal. */
export function dec(value) {
  if (value && typeof value === "object" && typeof value.n === "bigint") return value;
  const m = DECIMAL_RE.exec(String(value ?? "").trim());
  if (!m) return null;
  const frac = m[3] || "";
  const n = BigInt(m[2] + frac);
  return { n: m[1] ? -n : n, s: frac.length };
}

function align(a, b) {
  const s = Math.max(a.s, b.s);
  return [a.n * 10n ** BigInt(s - a.s), b.n * 10n ** BigInt(s - b.s), s];
}

export function cmp(a, b) {
  const [x, y] = align(dec(a), dec(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

export function eq(a, b) {
  const x = dec(a), y = dec(b);
  return x !== null && y !== null && cmp(x, y) === 0;
}

export function add(a, b) {
  const [x, y, s] = align(dec(a), dec(b));
  return { n: x + y, s };
}

export function sub(a, b) {
  const [x, y, s] = align(dec(a), dec(b));
  return { n: x - y, s };
}

export function mul(a, b) {
  const x = dec(a), y = dec(b);
  return { n: x.n * y.n, s: x.s + y.s };
}

/** Round toward minus infinity to ``places`` decimals. */
export function floorTo(value, places) {
  const a = dec(value);
  if (a.s <= places) return { n: a.n * 10n ** BigInt(places - a.s), s: places };
  const d = 10n ** BigInt(a.s - places);
  let q = a.n / d;
  if (a.n < 0n && a.n % d !== 0n) q -= 1n;
  return { n: q, s: places };
}

/** Canonical text of a decimal, keeping its scale: {n: 1250n, s: 2} → "12.50". */
export function str(value) {
  const a = dec(value);
  const neg = a.n < 0n;
  const digits = (neg ? -a.n : a.n).toString().padStart(a.s + 1, "0");
  const int = digits.slice(0, digits.length - a.s);
  const frac = digits.slice(digits.length - a.s);
  return (neg ? "-" : "") + int + (a.s ? `.${frac}` : "");
}

/** Trailing zeros off: "2.0000" → "2", "1.50" → "1.5". */
export function normalize(value) {
  let text = str(value);
  if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  return text === "-0" ? "0" : text;
}

export function places(value) {
  const a = dec(value);
  return a ? a.s : 0;
}

const separatorCache = new Map();

function separators(locale) {
  if (!separatorCache.has(locale)) {
    let group = ",", decimal = ".";
    try {
      for (const part of new Intl.NumberFormat(locale).formatToParts(12345.6)) {
        if (part.type === "group") group = part.value;
        if (part.type === "decimal") decimal = part.value;
      }
    } catch (_) { /* keep the defaults */ }
    separatorCache.set(locale, { group, decimal });
  }
  return separatorCache.get(locale);
}

/** A plain number in the locale's style, exact digits: "1234.5" → "1.234,5" (es). */
export function formatNumber(value, locale) {
  const a = dec(value);
  if (a === null) return "—";
  const text = str(a);
  const neg = text.startsWith("-");
  const [int, frac] = text.replace("-", "").split(".");
  const sep = separators(locale);
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, sep.group);
  return (neg ? "-" : "") + grouped + (frac ? sep.decimal + frac : "");
}

/** Money in the locale's style with the currency's symbol; exact digits from the server's string. */
export function formatMoney(value, currency, locale) {
  const a = dec(value);
  if (a === null) return "—";
  const neg = a.n < 0n;
  const number = formatNumber({ n: neg ? -a.n : a.n, s: a.s }, locale);
  let parts;
  try {
    parts = new Intl.NumberFormat(locale, { style: "currency", currency, currencyDisplay: "narrowSymbol" })
      .formatToParts(neg ? -1 : 1);
  } catch (_) {
    return `${neg ? "-" : ""}${number} ${currency}`;
  }
  let out = "";
  let placed = false;
  for (const part of parts) {
    if (["integer", "group", "decimal", "fraction"].includes(part.type)) {
      if (!placed) out += number;
      placed = true;
    } else {
      out += part.value;
    }
  }
  return out;
}

/** Parse what a player typed ("2,50", " 10 ") into a decimal string, or null. */
export function parseStake(text) {
  const clean = String(text || "").trim().replace(/\s/g, "").replace(",", ".");
  if (!/^\d+(\.\d+)?$/.test(clean) && !/^\.\d+$/.test(clean)) return null;
  const value = clean.startsWith(".") ? `0${clean}` : clean;
  const a = dec(value);
  return a && a.n > 0n ? value : null;
}
