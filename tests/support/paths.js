// Where the tests find the checkout and the demo's exported models (TFJS_BRIDGE_MODELS points them elsewhere).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODELS_ROOT = process.env.TFJS_BRIDGE_MODELS ?? path.join(ROOT, 'web', 'models');
