// TraderHero provably-fair check, recomputed in the browser (algorithm version 1, see games/traderhero/fairness.py):
//   hash  = hex(SHA-256(ascii(serverSeed)))                      must equal the committed serverSeedHash
//   d     = HMAC-SHA256(key = ascii(serverSeed), msg = utf8(clientSeed + ":" + nonce))
//   draw  = first 6 bytes of d, big-endian (< 2^48)
//   tier  = first tier with draw < threshold, else lose (×0); thresholds from the RTP's tier table
//   path  = 21 moves 2·d[6+i] − 255, negated when their sum's sign disagrees with
//           "ends up" = (win and direction up) or (lose and direction down); prices start at 10000
//   payout = stake × multiplier, rounded down to the stake's precision

import { dec, eq, floorTo, mul, str } from "./money.js";

export const ALGORITHM_VERSION = 1;
const DRAW_BYTES = 6;
const PATH_MOVES = 21;
const PATH_START = 10000;
const DRAW_SPACE = 2n ** 48n;

// (name, multiplier, relative weight among winning rounds) — games.traderhero.fairness.TIERS, version 1.
const TIERS_V1 = [["jackpot", "100", 2n], ["x5", "5", 998n], ["x2", "2", 3000n], ["x1.5", "1.5", 6000n]];

const encoder = new TextEncoder();

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fraction(value) {
  const a = dec(value);
  return { num: a.n, den: 10n ** BigInt(a.s) };
}

/** The integer tier table for ``rtp``, computed exactly like games.traderhero.fairness.tier_table. */
export function tierTable(rtp) {
  const r = fraction(rtp);
  // Σ(m·w) as a fraction over a common denominator
  let sumNum = 0n;
  const scale = 10n ** 8n;
  for (const [, m, w] of TIERS_V1) {
    const f = fraction(m);
    sumNum += (f.num * scale / f.den) * w;
  }
  // p_i = R · w_i / Σ(m·w) = (r.num / r.den) · w_i · scale / sumNum ; width = floor(p_i · 2^48)
  let cumulative = 0n;
  return TIERS_V1.map(([name, multiplier, w]) => {
    cumulative += (r.num * w * scale * DRAW_SPACE) / (r.den * sumNum);
    return { name, multiplier, threshold: cumulative };
  });
}

function sameTable(computed, published) {
  if (!published || !Array.isArray(published.tiers) || published.tiers.length !== computed.length) return false;
  return computed.every((tier, i) => {
    const other = published.tiers[i];
    return other.name === tier.name && eq(other.multiplier, tier.multiplier)
      && BigInt(other.threshold) === tier.threshold;
  });
}

/**
 * Verify a settled round. ``round`` is the Session API's bet view; ``published`` the state's
 * jackpot.table (checked against the recomputed one when it is for the same RTP).
 * Resolves to {ok, reason?, tier, multiplier, payout, path}.
 */
export async function verifyRound(round, published) {
  if (!globalThis.crypto || !crypto.subtle) return { ok: false, reason: "unavailable" };
  const seed = String(round.serverSeed || "");
  const seedHash = hex(await crypto.subtle.digest("SHA-256", encoder.encode(seed)));
  if (!/^[0-9a-f]{64}$/.test(seed) || seedHash !== String(round.serverSeedHash || "").toLowerCase()) {
    return { ok: false, reason: "hash" };
  }
  const key = await crypto.subtle.importKey("raw", encoder.encode(seed), { name: "HMAC", hash: "SHA-256" },
    false, ["sign"]);
  const digest = new Uint8Array(await crypto.subtle.sign("HMAC", key,
    encoder.encode(`${round.clientSeed}:${round.nonce}`)));

  const draw = BigInt(`0x${hex(digest.slice(0, DRAW_BYTES))}`);
  const table = tierTable(round.rtp);
  if (published && eq(published.rtp, round.rtp) && !sameTable(table, published)) {
    return { ok: false, reason: "outcome" };
  }
  const hit = table.find((tier) => draw < tier.threshold);
  const tier = hit ? hit.name : "lose";
  const multiplier = hit ? hit.multiplier : "0";

  const win = hit !== undefined;
  const endsUp = win === (round.direction === "up");
  let moves = Array.from(digest.slice(DRAW_BYTES, DRAW_BYTES + PATH_MOVES), (b) => 2 * b - 255);
  if ((moves.reduce((a, b) => a + b, 0) > 0) !== endsUp) moves = moves.map((m) => -m);
  const path = [PATH_START];
  for (const move of moves) path.push(path[path.length - 1] + move);

  const payout = str(floorTo(mul(round.stake, multiplier), dec(round.stake).s));
  const result = { tier, multiplier, payout, path, draw: draw.toString() };
  if (tier !== round.tier || !eq(multiplier, round.multiplier)) return { ...result, ok: false, reason: "outcome" };
  const serverPath = Array.isArray(round.path) ? round.path.map(Number) : [];
  if (serverPath.length !== path.length || path.some((p, i) => p !== serverPath[i])) {
    return { ...result, ok: false, reason: "path" };
  }
  if (!eq(payout, round.payout)) return { ...result, ok: false, reason: "payout" };
  return { ...result, ok: true };
}

/** A fresh client seed: 16 hex characters from the browser's CSPRNG. */
export function newClientSeed() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return hex(bytes);
}
