// Array parameters for the batch statements (`unnest($1::bigint[], …)`), written as PostgreSQL
// array literals here. The driver's generic conversion escapes every element through regular
// expressions; for batches of thousands of ids and amounts it was a large share of the writer's
// CPU. Numbers need no escaping; texts are quoted with `"` and `\` escaped (U+0000, which no
// literal can hold, never gets this far: the input rules refuse it).

export function integerArray(values: ReadonlyArray<number | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    out += v === null || v === undefined ? 'NULL' : String(v);
  }
  return `${out}}`;
}

export function textArray(values: ReadonlyArray<string | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    out += v === null || v === undefined ? 'NULL' : `"${v.replace(/["\\]/g, '\\$&')}"`;
  }
  return `${out}}`;
}

/** bytea elements in hex: `\x…`, its backslash escaped for the array literal. */
export function byteaArray(values: readonly Buffer[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += `"\\\\x${values[i]!.toString('hex')}"`;
  }
  return `${out}}`;
}
