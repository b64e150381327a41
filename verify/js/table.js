// Parity result rows as table cells (strings), shared by the Node harness's text table and the page's
// parity panel, so both show the same columns worked out the same way.

export const HEADER = ['model', 'format', 'quant', 'backend', 'goldens', 'max |Δ|', 'tolerance', 'argmax', 'bytes', 'leaked', 'ms', 'result'];

/** One row's cells, in HEADER's order; a row that failed before parity shows its error as the result. */
export function rowCells(r) {
  if (r.unsupported) return [r.model, r.format ?? '-', r.quantization ?? '-', r.backend, '-', '-', '-', '-', '-', '-', '-', `UNSUPPORTED: ${r.unsupported}`];
  if (r.error) return [r.model, r.format ?? '-', r.quantization ?? '-', r.backend, '-', '-', '-', '-', '-', '-', '-', `FAIL: ${r.error}`];
  return [
    r.model, r.format, r.quantization, r.backend, String(r.count), r.maxAbsDiff.toExponential(2),
    r.tolerance.toExponential(1),
    r.argmaxAgreement === null ? 'n/a' : `${(100 * r.argmaxAgreement).toFixed(1)}%`,
    r.bytes.toLocaleString('en-US'), String(r.leakedTensors), r.ms.toFixed(1), r.pass ? 'pass' : 'FAIL',
  ];
}

/** Header and body cells of a list of rows. */
export function tableCells(rows) {
  return { header: HEADER, body: rows.map(rowCells) };
}

/** Fixed-width text table of the shared cells, columns two spaces apart (the Python tests split on that). */
export function formatTable(rows) {
  const { header, body } = tableCells(rows);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Per model, the fastest passing row's backend and ms (among two or more passing rows), for the closing lines. */
export function fastest(rows) {
  const best = new Map();
  for (const r of rows.filter((row) => row.pass && Number.isFinite(row.ms))) {
    const seen = best.get(r.folder) ?? { count: 0 };
    best.set(r.folder, { count: seen.count + 1, row: !seen.row || r.ms < seen.row.ms ? r : seen.row });
  }
  return [...best.values()].filter((b) => b.count > 1).map(({ row }) => ({ model: row.model, folder: row.folder, backend: row.backend, ms: row.ms }));
}
