// Turn a drawing into an MNIST-style input: white ink on black, cropped, scaled so its longer side is
// 20 px, placed in 28×28 and shifted so its centre of mass is the centre (as MNIST was prepared).

/** Grey levels 0..1 of a canvas (ink taken from the red channel of white-on-black drawing). */
function greyLevels(ctx, width, height) {
  const { data } = ctx.getImageData(0, 0, width, height);
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = data[4 * i] / 255;
  return out;
}

/** Bounding box {x, y, w, h} of pixels above a threshold, or null for an empty drawing. */
export function inkBox(grey, width, height, threshold = 0.1) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (grey[y * width + x] > threshold) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** Shift a 28×28 image by whole pixels so its centre of mass lands on (14, 14). */
export function centreByMass(img, size = 28) {
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = img[y * size + x];
      mass += v; cx += v * x; cy += v * y;
    }
  }
  if (mass === 0) return img;
  const dx = Math.round(size / 2 - 0.5 - cx / mass);
  const dy = Math.round(size / 2 - 0.5 - cy / mass);
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = x - dx, sy = y - dy;
      if (sx >= 0 && sx < size && sy >= 0 && sy < size) out[y * size + x] = img[sy * size + sx];
    }
  }
  return out;
}

/** 784 values in 0..1 for the MLP from a drawing canvas, or null when nothing is drawn. */
export function canvasToMnist(canvas) {
  const grey = greyLevels(canvas.getContext('2d', { willReadFrequently: true }), canvas.width, canvas.height);
  const box = inkBox(grey, canvas.width, canvas.height);
  if (!box) return null;
  const scale = 20 / Math.max(box.w, box.h);
  const w = Math.max(1, Math.round(box.w * scale));
  const h = Math.max(1, Math.round(box.h * scale));
  const small = document.createElement('canvas');
  small.width = 28;
  small.height = 28;
  const ctx = small.getContext('2d', { willReadFrequently: true });
  ctx.fillStyle = 'black';
  ctx.fillRect(0, 0, 28, 28);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high'; // area-averaging when shrinking ~10x, like MNIST's anti-aliasing
  ctx.drawImage(canvas, box.x, box.y, box.w, box.h, Math.floor((28 - w) / 2), Math.floor((28 - h) / 2), w, h);
  return centreByMass(greyLevels(ctx, 28, 28));
}

/** Paint 784 values (0..1) onto a canvas, scaled to its size. */
export function paintDigit(canvas, values) {
  const tmp = document.createElement('canvas');
  tmp.width = 28;
  tmp.height = 28;
  const ctx = tmp.getContext('2d');
  const image = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, values[i])));
    image.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
  const out = canvas.getContext('2d');
  out.imageSmoothingEnabled = canvas.width > 28;
  out.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}
