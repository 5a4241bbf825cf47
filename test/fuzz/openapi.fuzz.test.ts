import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { request } from 'undici';
import { deleteKeysWithPrefix, scanKeys } from '../../src/redis/client.js';
import { createCampaign, createPartner } from '../claims/helpers.js';
import { ADMIN_TOKEN, createRoom, uniqueId, useListeningInstance } from '../helpers.js';

// The fuzz suite: every route of /openapi.json, with hostile path parameters, bodies and headers
// generated from the route's own schema. Whatever comes in: never a 5xx; every error is the
// documented body; and a 4xx changes nothing (PostgreSQL row counts and the instance's Redis keys
// are the same before and after). Requests go over HTTP, so the request shortcuts are fuzzed too.
// `npm test` runs FUZZ_RUNS (default 250) cases; `npm run fuzz` runs many more.
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

interface Operation {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: string }>;
  body: JsonSchema | null;
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

/** Strings an attacker sends: control characters, NUL, lone surrogates, huge, odd Unicode, injection shapes. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    '\u0000',
    'a\u0000b',
    '\u0007',
    '\u0085',
    '\ud800',
    'x\udfff',
    '😀',
    '../../etc/passwd',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    '%00',
    '{{ID_PATTERN}}',
    '__proto__',
    'constructor',
    'visitor:abc',
    'x'.repeat(129),
    'x'.repeat(5_000),
    '2026-13-45T99:99:99Z',
    'http://127.0.0.1/',
    'javascript:alert(1)',
  ),
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 0.5, -0.0001, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, -1e308),
);

/** A value of any JSON type, hostile where it can be. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

/** A value that often fits the schema and often does not. */
function valueFor(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 3) return anyValue;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => valueFor(v, depth + 1)), anyValue);
  if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum), anyValue);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return fc.oneof(hostileString, fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), anyValue);
    case 'integer':
    case 'number':
      return fc.oneof(
        fc.integer({ min: Math.max(-10, schema.minimum ?? -10), max: Math.min(1_000, schema.maximum ?? 1_000) }),
        hostileNumber,
        anyValue,
      );
    case 'boolean':
      return fc.oneof(fc.boolean(), anyValue);
    case 'array':
      return fc.oneof(fc.array(valueFor(schema.items, depth + 1), { maxLength: 4 }), anyValue);
    case 'object':
      return objectFor(schema, depth + 1);
    default:
      return anyValue;
  }
}

function objectFor(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const known = fc.record(Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, valueFor(value, depth)])), {
    requiredKeys: [],
  });
  return fc.oneof(
    known,
    fc.tuple(known, fc.dictionary(hostileString, anyValue, { maxKeys: 2 })).map(([a, b]) => ({ ...b, ...a })),
    anyValue,
  );
}

/** Raw bodies that are not JSON objects at all. */
const rawBody = fc.oneof(
  fc.constantFrom('', '{', '[]', 'null', '"x"', '{"a":', '\u0000', '{}'.repeat(10_000)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])), // {"a":"\xc3("} invalid UTF-8
);

describe('fuzz: every route of /openapi.json against hostile input', () => {
  const instance = useListeningInstance({}, { background: false });

  it(`never answers 5xx, always the documented error body, and a 4xx changes nothing (${RUNS} cases)`, async (t) => {
    const spec = (await instance.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { parameters?: Operation['parameters']; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>
      >;
    };
    const operations: Operation[] = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content['application/json']?.schema ?? null,
      })),
    );
    assert.ok(operations.length >= 20, `${operations.length} operations`);

    // Real entities, so that generated requests also reach deep code paths.
    const room = await createRoom(instance.app, {
      id: uniqueId('fz'),
      admitPerSecond: 5,
      maxActive: 5,
      sessionSeconds: 60,
      clientRate: null,
    });
    const campaign = await createCampaign(instance.app, { id: uniqueId('fz'), stock: 5 });
    // The key the requests carry belongs to a partner whose id the fuzzer does not know (DELETE
    // /v1/partners/:partnerId would revoke it and turn every later partner request into a 401);
    // the id it knows is another partner's.
    const { apiKey } = await createPartner(instance.app, 'fuzz');
    const { partnerId } = await createPartner(instance.app, 'fuzz-revocable');
    const asAdmin = (url: string, payload: object) =>
      instance.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload });
    const termId = uniqueId('fz');
    assert.equal((await asAdmin('/v1/terms', { id: termId, name: 'Fuzz term', maxCredits: 18 })).statusCode, 201);
    const course = { id: 'FZ101', title: 'Fuzzing', credits: 3, capacity: 5, meetings: [{ day: 'MON', start: '09:00', end: '10:15' }] };
    assert.equal((await asAdmin(`/v1/terms/${termId}/courses`, { courses: [course] })).statusCode, 201);
    assert.equal((await asAdmin(`/v1/terms/${termId}/students`, { students: [{ id: 'fuzz-student', group: 'A' }] })).statusCode, 201);
    const known = {
      termId,
      courseId: course.id,
      studentId: 'fuzz-student',
      requestId: '1.AAAAAAAAAAAAAAAAAAAAAA',
      roomId: room.id,
      campaignId: campaign.id,
      partnerId,
      userId: 'fuzz-user',
      ticketId: '1.AAAAAAAAAAAAAAAAAAAAAA',
      claimId: 'cl_1_AAAAAAAAAAAA',
    };

    const pathValue = (name: string) =>
      fc.oneof(fc.constant((known as Record<string, string>)[name] ?? 'x'), hostileString.map(encodePathSegment));
    const headersArb = fc.record(
      {
        // Mostly credentials and types that pass, so that hostile values reach the code behind them.
        authorization: fc.oneof(
          { arbitrary: fc.constant(`Bearer ${ADMIN_TOKEN}`), weight: 3 },
          fc.constantFrom('Bearer nope', 'Basic x', `Bearer ${'a'.repeat(5000)}`),
        ),
        'x-api-key': fc.oneof({ arbitrary: fc.constant(apiKey), weight: 3 }, fc.constantFrom('fgk_nope', '')),
        'content-type': fc.oneof(
          { arbitrary: fc.constant('application/json'), weight: 6 },
          fc.constantFrom(
            'application/json; charset=utf-8',
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=latin1',
          ),
        ),
        cookie: fc.constantFrom('fg_visitor=abc.def', 'fg_visitor=\u00e9', 'a=b'),
        'idempotency-key': fc.oneof(fc.uuid(), fc.constantFrom('', 'k', 'x'.repeat(300), '../k', '%00')),
        'x-forwarded-for': fc.constantFrom('1.2.3.4', 'not-an-ip', '::1'),
      },
      { requiredKeys: ['content-type'] },
    );
    const caseArb = fc.constantFrom(...operations).chain((op) =>
      fc.record({
        op: fc.constant(op),
        params: fc.tuple(...(op.parameters.filter((p) => p.in === 'path').map((p) => pathValue(p.name)) as [fc.Arbitrary<string>])),
        query: fc.option(fc.dictionary(fc.constantFrom('archived', 'cursor', 'x'), hostileString, { maxKeys: 2 }), { nil: undefined }),
        body: op.body
          ? fc.oneof({ arbitrary: valueFor(op.body).map((v) => JSON.stringify(v) ?? 'null'), weight: 5 }, rawBody)
          : fc.option(rawBody, { nil: undefined, freq: 4 }),
        headers: headersArb,
      }),
    );

    const prefix = instance.prefix;
    let lastFailure = '';
    const statuses = new Map<string, number>();
    await fc
      .assert(
        fc.asyncProperty(caseArb, async ({ op, params, query, body, headers }) => {
          let i = 0;
          const path = op.path.replace(/\{[^}]+\}/g, () => String(params[i++]));
          const search = query ? `?${new URLSearchParams(query as Record<string, string>).toString()}` : '';
          const send = async () => {
            const res = await request(`${instance.origin}${path}${search}`, {
              method: op.method as 'GET',
              headers: headers as Record<string, string>,
              ...(body !== undefined && op.method !== 'GET' ? { body } : {}),
            });
            return { statusCode: res.statusCode, text: await res.body.text() };
          };
          const before = await fingerprint(instance.ctx.infra, prefix);
          const res = await send();
          const text = res.text;
          const label = `${op.method} ${path}${search} ${String(body).slice(0, 200)} → ${res.statusCode} ${text.slice(0, 300)}`;
          lastFailure = label;
          const tally = `${op.method} ${op.path} ${res.statusCode}`;
          statuses.set(tally, (statuses.get(tally) ?? 0) + 1);
          assert.ok(res.statusCode < 500, label);
          if (res.statusCode >= 400) {
            const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
            assert.equal(typeof parsed.error?.code, 'string', label);
            assert.equal(typeof parsed.error?.message, 'string', label);
            assert.doesNotMatch(text, /at .+\.(ts|js):\d+/, `${label}: no stack trace`);
            if (!isDeepStrictEqual(await fingerprint(instance.ctx.infra, prefix), before)) {
              // Work started by an earlier request may still be running (an entity restored into
              // this key prefix in the background): let it settle, then send the same request
              // again, which must change nothing either.
              await new Promise((r) => setTimeout(r, 1_500));
              const settled = await fingerprint(instance.ctx.infra, prefix);
              const again = await send();
              assert.equal(again.statusCode, res.statusCode, `${label}: the same request again`);
              assert.deepEqual(await fingerprint(instance.ctx.infra, prefix), settled, `${label}: a 4xx changed state`);
            }
          }
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
      )
      .catch((err: unknown) => {
        const cause = (err as { cause?: unknown }).cause;
        throw new Error(`${(err as Error).message}\n${cause instanceof Error ? cause.message : ''}\nlast request: ${lastFailure}`);
      });
    t.diagnostic(
      `answers: ${[...statuses]
        .sort()
        .map(([k, n]) => `${k} ×${n}`)
        .join('; ')}`,
    );
    await deleteKeysWithPrefix(instance.ctx.infra.redis, prefix);
  });
});

/** Percent-encodes a path segment the way a client would (lone surrogates become invalid UTF-8 bytes). */
function encodePathSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value.replace(/[\ud800-\udfff]/g, '%ED%A0%80');
  }
}

/** What a 4xx must not change: every table's row count, and every Redis key of this instance with its size. */
async function fingerprint(
  infra: { pool: import('../../src/db/pool.js').Pool; redis: import('../../src/redis/client.js').RedisClient },
  prefix: string,
) {
  const tables = await infra.pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const counts = await infra.pool.query<{ t: string; n: number }>(
    tables.rows.map((r) => `SELECT '${r.table_name}' AS t, count(*)::int AS n FROM "${r.table_name}"`).join(' UNION ALL '),
  );
  const keys: string[] = [];
  for await (const batch of scanKeys(infra.redis, `${prefix}:*`)) keys.push(...batch);
  keys.sort();
  const sizes = await Promise.all(keys.map(async (key) => `${key}:${await sizeOf(infra.redis, key)}`));
  return { rows: Object.fromEntries(counts.rows.map((r) => [r.t, r.n])), keys: sizes };
}

async function sizeOf(redis: import('../../src/redis/client.js').RedisClient, key: string): Promise<string> {
  const type = await redis.type(key);
  switch (type) {
    case 'hash':
      return `h${await redis.hlen(key)}`;
    case 'zset':
      return `z${await redis.zcard(key)}`;
    case 'stream':
      return `x${await redis.xlen(key)}`;
    case 'list':
      return `l${await redis.llen(key)}`;
    case 'set':
      return `s${await redis.scard(key)}`;
    default:
      return type;
  }
}
