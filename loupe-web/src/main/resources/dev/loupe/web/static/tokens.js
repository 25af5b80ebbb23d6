// Loupe explorer, attention by token (after CircuitsVis' attention_patterns): the prompt's tokens as
// text; hovering a token (or clicking it to pin it) colours every token by its attention weight from
// or to the focused one, for the heads picked in the thumbnail grid, each head in its own colour.
// Uses app.js' globals: $, state (tokens, patterns, active, picks, hovered, pinned, direction), weight.
"use strict";

// one colour per picked head (Tableau 10); a pick takes the first colour no other pick holds
const HEAD_COLOURS = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [255, 127, 14], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [23, 190, 207], [188, 189, 34], [127, 127, 127]];
const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

function initTokenView() {
  const box = $("tokens");
  box.addEventListener("mouseover", (ev) => { const t = ev.target.closest(".tok"); if (t) focusToken(+t.dataset.pos); });
  box.addEventListener("mouseleave", () => focusToken(null));
  box.addEventListener("click", (ev) => { const t = ev.target.closest(".tok"); if (t) pinToken(+t.dataset.pos); });
  for (const r of document.querySelectorAll('input[name="direction"]')) {
    r.addEventListener("change", () => { state.direction = r.value; highlightTokens(); });
  }
  $("overlay-clear").addEventListener("click", () => { state.picks = []; showPicks(); highlightTokens(); });
}

function focusToken(pos) {
  state.hovered = pos;
  highlightTokens();
}

// click: pin this token (hovering elsewhere no longer moves the focus); click it again to unpin
function pinToken(pos) {
  state.pinned = state.pinned === pos ? null : pos;
  highlightTokens();
}

function togglePick(l, h, on) {
  state.picks = state.picks.filter((p) => p.layer !== l || p.head !== h);
  if (on) {
    const used = new Set(state.picks.map((p) => p.colour));
    const colour = HEAD_COLOURS.find((c) => !used.has(c)) || HEAD_COLOURS[state.picks.length % HEAD_COLOURS.length];
    state.picks.push({ layer: l, head: h, colour });
  }
  showPicks();
  highlightTokens();
}

// the thumbnail boxes, thumbnail borders and the legend follow state.picks
function showPicks() {
  for (const box of document.querySelectorAll("#attention input.pick")) {
    const p = state.picks.find((q) => q.layer === +box.dataset.layer && q.head === +box.dataset.head);
    box.checked = !!p;
    const thumb = box.closest(".head-cell").querySelector("canvas.thumb");
    thumb.style.boxShadow = p ? `0 0 0 3px ${rgb(p.colour)}` : "";
  }
  $("overlay-legend").innerHTML = state.picks.length === 0 ? "heads: the expanded one (tick thumbnails below to overlay others)" :
    "heads: " + state.picks.map((p) => `<span class="swatch" style="background:${rgb(p.colour)}"></span>L${p.layer}H${p.head}`).join(" ");
  $("overlay-clear").hidden = state.picks.length === 0;
}

// the heads shown: the picked ones, or the expanded head in blue when none is picked
function shownHeads() {
  if (state.picks.length > 0) return state.picks;
  return state.active ? [{ layer: state.active[0], head: state.active[1], colour: [0, 0, 255] }] : [];
}

// attention between the focused token f and token i in head (l, h): f as the query (what f attends to)
// or f as the key (how much i attends to f); 0 where the causal mask forbids it
function tokenWeight(l, h, f, i) {
  if (state.direction === "query") return i <= f ? weight(l, h, f, i) : 0;
  return i >= f ? weight(l, h, i, f) : 0;
}

// CircuitsVis' overlay: each head fades white towards its colour by its weight; a token takes the darkest
// channel over the heads, so the strongest head shows through
function overlayColour(weights, heads) {
  const c = [255, 255, 255];
  heads.forEach((hd, k) => {
    const w = Math.min(1, Math.max(0, weights[k]));
    for (let j = 0; j < 3; j++) c[j] = Math.min(c[j], Math.round(255 + w * (hd.colour[j] - 255)));
  });
  return c;
}

function highlightTokens() {
  const els = $("tokens").children, heads = shownHeads();
  const focus = state.pinned !== null ? state.pinned : state.hovered;
  const ready = focus !== null && heads.length > 0 && heads.every((hd) => state.patterns[hd.layer]);
  for (let i = 0; i < els.length; i++) {
    const el = els[i];
    el.classList.toggle("focused", i === focus);
    el.classList.toggle("pinned", i === state.pinned);
    el.classList.toggle("masked", ready && (state.direction === "query" ? i > focus : i < focus));
    if (!ready) {
      el.style.background = ""; el.style.color = "";
      delete el.dataset.weight; delete el.dataset.weights;
      continue;
    }
    const ws = heads.map((hd) => tokenWeight(hd.layer, hd.head, focus, i));
    const c = overlayColour(ws, heads);
    el.style.background = rgb(c);
    el.style.color = (299 * c[0] + 587 * c[1] + 114 * c[2]) / 1000 < 140 ? "#fff" : "";
    el.dataset.weight = String(Math.max(...ws));
    el.dataset.weights = ws.join(",");
  }
  $("tokens").dataset.focus = focus === null ? "" : String(focus);
  $("token-readout").textContent = ready ? readout(focus, heads) : "";
}

// one line per shown head: the focused token and its three strongest partners
function readout(f, heads) {
  const t = state.tokens, query = state.direction === "query";
  return heads.map((hd) => {
    const top = [...t.keys()].map((i) => [i, tokenWeight(hd.layer, hd.head, f, i)]).filter((x) => x[1] > 0)
      .sort((a, b) => b[1] - a[1]).slice(0, 3).map(([i, w]) => `${i} ${t[i].display} ${w.toFixed(2)}`);
    return `L${hd.layer}H${hd.head}: ${query ? "query" : "key"} ${f} ${t[f].display} ${query ? "→ keys" : "← queries"} ${top.join(", ")}`;
  }).join("\n");
}
