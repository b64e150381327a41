#!/usr/bin/env node
// Print the kernels each tf.js backend registers (tf.getKernelsForBackend), as export/tfjs_kernels.json stores them:
//   node scripts/tfjs_kernels.js > export/tfjs_kernels.json
// The exporter reads that file to warn when a graph uses an op one backend has no kernel for.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

const BACKENDS = ['cpu', 'wasm', 'webgl'];
const kernels = Object.fromEntries(BACKENDS.map((b) => [b, tf.getKernelsForBackend(b).map((k) => k.kernelName).sort()]));
console.log(JSON.stringify({ tfjs: tf.version.tfjs, kernels }, null, 1));
