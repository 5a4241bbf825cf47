import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { ID_PATTERN, SQL_CHECKS, USER_ID_PATTERN } from '../../src/input-rules.js';

// The SQL CHECKs are the last line of defence behind the API's schemas: they must accept and
// refuse exactly what the schemas do, although they are written differently (src/input-rules.ts
// says why). Each generated string is judged by PostgreSQL and by the schema's RegExp.
describe('the SQL CHECKs and the API schemas agree on ids and user ids', () => {
  const db = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 1 });
  after(() => db.end());

  /** PostgreSQL's verdict for each value (text cannot hold U+0000: those are left to the JSON decoder and the schema). */
  async function sqlVerdicts(rule: keyof typeof SQL_CHECKS, values: string[]): Promise<boolean[]> {
    const { rows } = await db.query<{ ok: boolean }>(
      `SELECT coalesce(${SQL_CHECKS[rule]!('v')}, false) AS ok FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n`,
      [values],
    );
    return rows.map((r) => r.ok);
  }

  const edgeCases = [
    '',
    'a',
    'A-z_9',
    'x'.repeat(64),
    'x'.repeat(65),
    'x'.repeat(128),
    'x'.repeat(129),
    '😀'.repeat(128),
    '😀'.repeat(129),
    'a b',
    'tab\there',
    'line\nbreak',
    '\u001f',
    '\u007f',
    '\u0080',
    '\u009f',
    '\u00a0',
    'é',
    '../x',
  ];
  const strings = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 140 }),
    fc.string({ unit: 'binary', maxLength: 140 }),
    fc.string({ maxLength: 70 }),
    fc.stringMatching(/^[A-Za-z0-9_-]{60,70}$/),
    fc.constantFrom(...edgeCases),
  );

  for (const [rule, pattern] of [
    ['ID_CHECK', ID_PATTERN],
    ['USER_ID_CHECK', USER_ID_PATTERN],
  ] as const) {
    it(`${rule} accepts exactly what ${pattern} does`, async () => {
      const schema = new RegExp(pattern, 'u');
      // Well-formed strings without NUL: what reaches PostgreSQL once the JSON decoder has run.
      const values = [...edgeCases, ...fc.sample(strings, { numRuns: 3000, seed: 42 })].filter(
        (v) => v.isWellFormed() && !v.includes('\u0000'),
      );
      const verdicts = await sqlVerdicts(rule, values);
      const disagreements = values.filter((v, i) => verdicts[i] !== schema.test(v));
      assert.deepEqual(disagreements, [], `${disagreements.length} of ${values.length} judged differently`);
    });
  }
});
