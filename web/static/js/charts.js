// Minimal SVG/DOM charts: no chart library to pin or serve.
const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#2f6feb', '#e8590c', '#12805c'];

function el(name, attrs, parent) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  parent?.appendChild(node);
  return node;
}

/** Horizontal bars for class scores, the largest highlighted; values outside 0..1 (logits) are scaled to the largest. */
export function barChart(container, values, labels) {
  const top = values.indexOf(Math.max(...values));
  const probabilities = values.every((v) => v >= 0 && v <= 1);
  const largest = Math.max(...values.map(Math.abs)) || 1;
  container.replaceChildren(
    ...values.flatMap((v, i) => {
      const width = probabilities ? v : Math.abs(v) / largest;
      const name = Object.assign(document.createElement('span'), { textContent: labels?.[i] ?? String(i), className: 'label' });
      const track = document.createElement('div');
      track.className = 'track';
      track.innerHTML = `<div class="fill" style="width:${(100 * width).toFixed(1)}%"></div>`;
      const value = Object.assign(document.createElement('span'), { textContent: probabilities ? `${(100 * v).toFixed(1)}%` : v.toPrecision(3), className: 'value' });
      [name, track, value].forEach((node) => node.classList.toggle('top', i === top));
      return [name, track, value];
    }),
  );
}

/**
 * Draw into svg now and again whenever its width changes: each chart's viewBox is its rendered size, so its
 * text is drawn at the CSS font size (12 px) on a phone as on a desktop instead of being scaled down.
 */
export function responsive(svg, draw) {
  svg.redraw = draw;
  draw();
  if (!svg.observed) {
    let width = svg.clientWidth;
    new ResizeObserver(() => {
      if (svg.clientWidth && svg.clientWidth !== width) {
        width = svg.clientWidth;
        svg.redraw();
      }
    }).observe(svg);
    svg.observed = true;
  }
}

/** Axes with a few ticks; returns scale functions from data to SVG coordinates. */
function axes(svg, xs, ys, { xLabel = '', yLabel = '', xTicks = null } = {}) {
  svg.replaceChildren();
  const w = Math.max(240, svg.clientWidth || 420);
  const h = Number(svg.dataset.height || 240);
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const m = { l: 58, r: 14, t: 14, b: 36 };
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = 0.06 * (y1 - y0);
  [y0, y1] = [y0 - pad, y1 + pad];
  const sx = (x) => m.l + ((x - x0) / (x1 - x0 || 1)) * (w - m.l - m.r);
  const sy = (y) => h - m.b - ((y - y0) / (y1 - y0)) * (h - m.t - m.b);
  el('line', { x1: m.l, y1: h - m.b, x2: w - m.r, y2: h - m.b, stroke: '#c9ced6' }, svg);
  el('line', { x1: m.l, y1: m.t, x2: m.l, y2: h - m.b, stroke: '#c9ced6' }, svg);
  for (let i = 0; i <= 4; i++) {
    const yv = y0 + ((y1 - y0) * i) / 4;
    el('text', { x: m.l - 6, y: sy(yv) + 4, 'text-anchor': 'end' }, svg).textContent = +yv.toPrecision(3);
  }
  for (const xv of xTicks ?? [0, 1, 2, 3, 4].map((i) => x0 + ((x1 - x0) * i) / 4)) {
    el('text', { x: sx(xv), y: h - m.b + 16, 'text-anchor': 'middle' }, svg).textContent = +xv.toPrecision(3);
  }
  el('text', { x: (m.l + w - m.r) / 2, y: h - 4, 'text-anchor': 'middle' }, svg).textContent = xLabel;
  const mid = (m.t + h - m.b) / 2;
  el('text', { x: 14, y: mid, 'text-anchor': 'middle', transform: `rotate(-90 14 ${mid})` }, svg).textContent = yLabel;
  return { sx, sy };
}

/** Line chart of named series over a shared x. */
export function lineChart(svg, x, series, opts = {}) {
  const all = series.flatMap((s) => s.values);
  const { sx, sy } = axes(svg, x, all, { xTicks: x.length <= 12 ? x : null, ...opts });
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    el('polyline', { points: s.values.map((v, i) => `${sx(x[i])},${sy(v)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }, svg);
    s.values.forEach((v, i) => el('circle', { cx: sx(x[i]), cy: sy(v), r: 2.5, fill: color }, svg));
    el('text', { x: sx(x[x.length - 1]) - 4, y: sy(s.values[s.values.length - 1]) - 6, 'text-anchor': 'end', style: `fill:${color}` }, svg).textContent = s.name;
  });
}

/** Scatter of points with a line through the model's predictions. */
export function pointsAndLine(svg, points, line, opts = {}) {
  const xs = [...points.map((p) => p[0]), ...line.map((p) => p[0])];
  const ys = [...points.map((p) => p[1]), ...line.map((p) => p[1])];
  const { sx, sy } = axes(svg, xs, ys, opts);
  el('polyline', { points: line.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' '), fill: 'none', stroke: COLORS[0], 'stroke-width': 2 }, svg);
  points.forEach(([x, y]) => el('circle', { cx: sx(x), cy: sy(y), r: 5, fill: COLORS[1] }, svg));
}

/** A vector's values as bars up (positive) and down (negative) from a middle line, scaled to the largest |v|. */
export function vectorBars(svg, values) {
  const largest = Math.max(...values.map(Math.abs)) || 1;
  const height = 40;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${values.length} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  el('line', { x1: 0, y1: height / 2, x2: values.length, y2: height / 2, stroke: '#c9ced6', 'stroke-width': 0.5, 'vector-effect': 'non-scaling-stroke' }, svg);
  values.forEach((v, i) => {
    const size = (Math.abs(v) / largest) * (height / 2 - 1);
    el('rect', { x: i + 0.1, width: 0.8, y: v >= 0 ? height / 2 - size : height / 2, height: size, fill: v >= 0 ? COLORS[0] : COLORS[1] }, svg);
  });
}

/** rows × cols values (row-major) as a heat map on a canvas, one pixel per value: blue positive, orange negative. */
export function heatMap(canvas, values, rows, cols) {
  Object.assign(canvas, { width: cols, height: rows });
  const largest = Math.max(...values.map(Math.abs)) || 1;
  const image = new ImageData(cols, rows);
  const [pos, neg] = [[47, 111, 235], [232, 89, 12]];
  values.forEach((v, i) => {
    const t = Math.abs(v) / largest;
    const rgb = (v >= 0 ? pos : neg).map((c) => Math.round(255 + t * (c - 255))); // white at 0
    image.data.set([...rgb, 255], 4 * i);
  });
  canvas.getContext('2d').putImageData(image, 0, 0);
}
