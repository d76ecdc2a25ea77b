// The map page: points drawn from the JSON in the page; hover names a paper, a click opens it; drag pans,
// the wheel and the buttons zoom. No library: an SVG and its viewBox.
(function () {
  "use strict";
  const data = document.getElementById("map-data");
  const svg = document.getElementById("map-svg");
  if (!data || !svg) return;
  const map = JSON.parse(data.textContent);
  const tip = document.getElementById("map-tip");
  const NS = "http://www.w3.org/2000/svg";
  const home = { x: -0.03, y: -0.03, w: 1.06, h: 1.06 };
  let view = Object.assign({}, home);
  const radius = map.points.length > 2000 ? 0.0025 : map.points.length > 300 ? 0.005 : 0.009;

  const fragment = document.createDocumentFragment();
  map.points.forEach((p, i) => {
    const dot = document.createElementNS(NS, "circle");
    dot.setAttribute("cx", p.x);
    dot.setAttribute("cy", p.y);
    dot.setAttribute("r", radius);
    dot.setAttribute("class", "c" + (p.cluster % 12) + (p.mark ? " " + p.mark : ""));
    dot.dataset.i = i;
    fragment.appendChild(dot);
  });
  svg.appendChild(fragment);
  // Each cluster's first keyphrase that a larger cluster has not taken, at the middle of its points; it keeps
  // its size on screen as the map zooms.
  const taken = new Set();
  const labels = map.clusters.map((c) => {
    const members = map.points.filter((p) => p.cluster === c.number);
    const text = document.createElementNS(NS, "text");
    text.setAttribute("x", members.reduce((sum, p) => sum + p.x, 0) / members.length);
    text.setAttribute("y", members.reduce((sum, p) => sum + p.y, 0) / members.length);
    text.setAttribute("text-anchor", "middle");
    text.textContent = c.keyphrases.find((phrase) => !taken.has(phrase)) || c.label;
    taken.add(text.textContent);
    svg.appendChild(text);
    return text;
  });

  function show() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
    svg.style.setProperty("--stroke", (view.w / 400).toString());
    labels.forEach((text) => {
      text.setAttribute("font-size", view.w * 0.026);
      text.setAttribute("stroke-width", view.w * 0.006);
    });
  }
  function zoom(factor, cx, cy) {
    const w = Math.min(home.w * 2, Math.max(home.w / 40, view.w * factor));
    const f = w / view.w;
    view = { x: cx - (cx - view.x) * f, y: cy - (cy - view.y) * f, w: w, h: view.h * f };
    show();
  }
  function at(event) {
    const box = svg.getBoundingClientRect();
    return {
      x: view.x + ((event.clientX - box.left) / box.width) * view.w,
      y: view.y + ((event.clientY - box.top) / box.height) * view.h,
    };
  }
  const point = (event) => (event.target.dataset && event.target.dataset.i ? map.points[+event.target.dataset.i] : null);

  svg.addEventListener("mouseover", (event) => {
    const p = point(event);
    if (!p) return;
    tip.textContent = p.title;
    const box = svg.getBoundingClientRect();
    tip.style.left = event.clientX - box.left + 12 + "px";
    tip.style.top = event.clientY - box.top + 12 + "px";
    tip.hidden = false;
  });
  svg.addEventListener("mouseout", (event) => {
    if (point(event)) tip.hidden = true;
  });
  let drag = null;
  svg.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, view: Object.assign({}, view), moved: false };
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
    if (!drag.moved) return;
    const box = svg.getBoundingClientRect();
    view.x = drag.view.x - (dx / box.width) * view.w;
    view.y = drag.view.y - (dy / box.height) * view.h;
    show();
  });
  svg.addEventListener("pointerup", (event) => {
    const moved = drag && drag.moved;
    drag = null;
    const p = point(event);
    if (!moved && p) window.location.assign("/papers/" + p.id);
  });
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const c = at(event);
    zoom(event.deltaY > 0 ? 1.2 : 1 / 1.2, c.x, c.y);
  }, { passive: false });
  const centre = () => [view.x + view.w / 2, view.y + view.h / 2];
  document.getElementById("map-zoom-in").addEventListener("click", () => zoom(1 / 1.5, ...centre()));
  document.getElementById("map-zoom-out").addEventListener("click", () => zoom(1.5, ...centre()));
  document.getElementById("map-reset").addEventListener("click", () => { view = Object.assign({}, home); show(); });
  show();
})();
