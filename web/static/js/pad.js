// A drawing pad on a canvas: white ink on black, drawn with mouse, pen or finger (pointer events, so touch
// works; the canvas's CSS sets touch-action: none so a stroke does not scroll the page).

/** Make canvas drawable; onStroke() runs when a stroke ends. Returns { clear, paintImage }. */
export function drawingPad(canvas, { onStroke, onStart = () => {}, lineWidth = canvas.width / 14 } = {}) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const clear = () => {
    ctx.fillStyle = 'black';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let last = null;
  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  const line = (from, to) => {
    Object.assign(ctx, { strokeStyle: 'white', lineWidth, lineCap: 'round', lineJoin: 'round' });
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  };
  canvas.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    canvas.setPointerCapture?.(e.pointerId);
    last = point(e);
    line(last, last); // a tap leaves a dot
    onStart();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = point(e);
    line(last, p);
    last = p;
  });
  const end = () => {
    if (!last) return;
    last = null;
    onStroke();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  /** Draw an image source (bitmap, canvas) over the whole pad, scaled to cover it and centred. */
  const paintImage = (source, width = source.width, height = source.height) => {
    clear();
    const scale = Math.max(canvas.width / width, canvas.height / height);
    const [w, h] = [width * scale, height * scale];
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(source, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
  };
  return { clear, paintImage, ctx };
}
