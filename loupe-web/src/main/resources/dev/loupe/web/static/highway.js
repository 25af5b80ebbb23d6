// Loupe explorer, Highway view: the gates of a highway-gated model on the analysed prompt
// (GET /api/runs/{id}/highway, see HighwayView.java). Loaded after app.js, whose viridis() and
// colourBar() it reuses; it follows app.js's runs by watching the token row, so app.js needs no hook.
"use strict";
(function () {
  const el = (id) => document.getElementById(id);
  const CELL = 22, LEFT = 64, TOP = 8;
  const KINDS = { mean_gate: "mean gate T (1 = transform, 0 = carry)", transform_share: "transform share at the sublayer ⟨T⊙F, y⟩/‖y‖²",
    final_share: "share of the final stream through the sublayer" };
  let data = null, lastRun = null;

  async function get(path) {
    const r = await fetch(path);
    if (!r.ok) {
      let msg = r.status + " " + r.statusText;
      try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return r.json();
  }

  async function start() {
    const m = await get("/api/model");
    if (!m.highway) return;                                   // a plain model: the section stays hidden
    el("highway-section").hidden = false;
    el("highway-info").textContent = `${m.highway.mode}, ${m.highway.gate} gates on ${m.highway.sublayers.join(" and ")}; rows: sublayers, columns: positions`;
    el("highway-kind").addEventListener("change", draw);
    el("highway-map").addEventListener("mousemove", hover);
    new MutationObserver(refresh).observe(el("tokens"), { childList: true });
    refresh();
  }

  async function refresh() {
    const run = window.loupe && window.loupe.state.run;
    if (!run || run === lastRun) return;
    lastRun = run;
    el("highway-map").removeAttribute("data-loaded");
    try {
      data = await get(`/api/runs/${run}/highway`);
      draw();
      el("highway-map").dataset.loaded = run;
    } catch (e) {
      el("highway-hover").textContent = "error: " + e.message;
    }
  }

  function draw() {
    if (!data) return;
    const grid = data[el("highway-kind").value], rows = data.rows, tokens = window.loupe.state.tokens;
    const T = grid[0].length, c = el("highway-map"), ctx = c.getContext("2d");
    // colours run from 0 to the grid's largest value (gates of a carry-biased model sit near 0.1); negatives clamp to 0
    const top = Math.max(1e-6, ...grid.map((row) => Math.max(...row)));
    c.width = LEFT + CELL * T + 4;
    c.height = TOP + CELL * rows.length + 70;
    el("highway-scale").height = CELL * rows.length + 16;
    colourBar(el("highway-scale"), viridis, "0", top.toFixed(2));
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.font = "11px monospace";
    ctx.textBaseline = "middle";
    rows.forEach((label, s) => {
      ctx.fillStyle = "#333";
      ctx.fillText(label, 2, TOP + s * CELL + CELL / 2);
      for (let t = 0; t < T; t++) {
        const [r, g, b] = viridis(grid[s][t] / top);
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fillRect(LEFT + t * CELL, TOP + s * CELL, CELL - 1, CELL - 1);
      }
    });
    ctx.fillStyle = "#333";
    for (let t = 0; t < T; t++) {            // token labels, rotated under the columns
      ctx.save();
      ctx.translate(LEFT + t * CELL + CELL / 2, TOP + rows.length * CELL + 6);
      ctx.rotate(Math.PI / 3);
      ctx.fillText(tokens[t] ? tokens[t].display : String(t), 0, 0);
      ctx.restore();
    }
    el("highway-caption").textContent = KINDS[el("highway-kind").value] + (el("highway-kind").value === "final_share"
      ? `; carried from the embedding: ${data.embed_final_share.map((v) => v.toFixed(2)).join(" ")}` : "");
  }

  function hover(ev) {
    if (!data) return;
    const r = el("highway-map").getBoundingClientRect();
    const t = Math.floor((ev.clientX - r.left - LEFT) / CELL), s = Math.floor((ev.clientY - r.top - TOP) / CELL);
    if (s < 0 || s >= data.rows.length || t < 0 || t >= data.mean_gate[0].length) return;
    const tok = window.loupe.state.tokens[t];
    el("highway-hover").textContent = `${data.rows[s]}, position ${t} ${tok ? JSON.stringify(tok.display) : ""}: gate ${data.mean_gate[s][t].toFixed(3)}, `
      + `transform share ${data.transform_share[s][t].toFixed(3)}, final share ${data.final_share[s][t].toFixed(3)}`;
  }

  start().catch((e) => { el("highway-hover").textContent = "error: " + e.message; });
})();
