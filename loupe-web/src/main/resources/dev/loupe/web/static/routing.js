// The Routing view of a mixture-of-experts model: after each analysis (app.js marks it done with
// body[data-pictures] = the layer count) fetch /api/runs/{run}/routing and draw, per MoE layer, the
// routing matrix R over the prompt and RᵀR with its cosine form as coloured tables.
"use strict";
(() => {
  const el = (id) => document.getElementById(id);
  const style = document.createElement("style");   // this view's rules live here, beside its code
  style.textContent = ".routing-r{max-height:420px;overflow:auto}.routing-table caption{font-weight:bold;text-align:left}"
    + ".routing-table td{min-width:30px;text-align:right}.routing-summary{font:12px monospace}";
  document.head.appendChild(style);
  const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  function shade(w) {   // 0 white … 1 dark red
    const x = Math.min(1, Math.max(0, w)), v = Math.round(255 * (1 - x));
    return `background: rgb(${178 + Math.round(77 * (1 - x))},${v},${v}); color: ${x > 0.55 ? "#fff" : "#111"}`;
  }
  function matrix(title, rows, cols, m, scale) {
    let h = `<table class="routing-table"><caption>${escape(title)}</caption><tr><th></th>`;
    for (const c of cols) h += `<th>${escape(c)}</th>`;
    h += "</tr>";
    m.forEach((row, i) => {
      h += `<tr><th>${escape(rows[i])}</th>`;
      for (const v of row) h += `<td style="${shade(v / scale)}" title="${v.toFixed(4)}">${v === 0 ? "" : v.toFixed(2)}</td>`;
      h += "</tr>";
    });
    return h + "</table>";
  }
  async function load(run, tokens) {
    const r = await fetch(`/api/runs/${run}/routing`);
    if (!r.ok) throw new Error((await r.json()).error || r.statusText);
    const j = await r.json();
    el("routing-section").hidden = !j.enabled;
    if (!j.enabled) return;
    const experts = Array.from({ length: j.experts }, (_, e) => "E" + e);
    const labels = tokens.map((t, i) => `${i} ${t.display === undefined ? t : t.display}`);
    let h = "";
    for (const l of j.layers) {
      const max = Math.max(1e-12, ...l.gram.flat());
      h += `<h3>Layer ${l.layer}</h3><p class="routing-summary">top-${j.top_k} of ${j.experts}; slots ${l.counts.join(" / ")}; load CV ${l.load_cv.toFixed(3)}; `
        + `router entropy ${l.entropy_nats.toFixed(3)} nats (ln ${j.experts} = ${Math.log(j.experts).toFixed(3)}); balance ${l.balance.toFixed(3)}; `
        + `dead: ${l.dead_experts.length ? l.dead_experts.join(", ") : "none"}</p><div class="columns">`
        + `<div class="routing-r">${matrix("R (token × expert)", labels, experts, l.routing, 1)}</div>`
        + matrix("RᵀR", experts, experts, l.gram, max) + matrix("cosine D^-½·RᵀR·D^-½", experts, experts, l.cosine, 1) + "</div>";
    }
    el("routing").innerHTML = h;
    el("routing").dataset.loaded = "1";
  }
  new MutationObserver(() => {
    if (document.body.dataset.pictures === "0" || typeof state === "undefined" || !state.run) return;
    el("routing").removeAttribute("data-loaded");
    load(state.run, state.tokens).catch((e) => { el("routing").textContent = "routing: " + e.message; });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-pictures"] });
})();
