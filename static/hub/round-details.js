// Round details page (templates/pages/round_details.html): the one-click TraderHero check, in the browser.
// SHA-256 of the revealed server seed (ASCII) must equal the hash committed before the round was played.

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");

async function sha256Hex(text) {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function init() {
  const button = document.getElementById("verify");
  if (!button) return;
  const result = document.getElementById("verify-result");
  button.addEventListener("click", async () => {
    const seed = document.getElementById("server-seed").textContent.trim();
    const committed = document.getElementById("server-seed-hash").textContent.trim().toLowerCase();
    let ok = false;
    let text;
    try {
      ok = (await sha256Hex(seed)) === committed;
      text = ok ? result.dataset.okText : result.dataset.badText;
    } catch (_) {
      text = result.dataset.unavailableText;
    }
    result.dataset.ok = ok ? "true" : "false";
    result.className = `verify-result ${ok ? "is-ok" : "is-bad"}`;
    result.textContent = text;
    result.hidden = false;
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
