// The request shortcuts' dispatcher: each capability declares its shortcuts once (capability.ts,
// `Shortcut`); here their matchers are derived from the route templates and the shared parameter
// patterns, bodies are read and checked against the route's own schema, and every answer, error
// and metric goes through one place. Whatever a shortcut does not take reaches the Fastify route.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyBaseLogger } from 'fastify';
import { type ClientInfo, PASS, type Shortcut, type ShortcutAnswer } from '../capability.js';
import { DomainError } from '../errors.js';
import { PATH_PARAMETERS } from '../input-rules.js';
import type { Metrics } from '../metrics/metrics.js';
import { clientResolver } from './client.js';
import type { ErrorAnswer, ErrorTable } from './errors.js';
import { BodyError, parseJsonBody } from './json-body.js';
import { unexpectedErrorAnswer } from './unexpected.js';

/** Hands a request (whose body may already have been read) to the Fastify route, and relays its answer. */
export type RouteFallback = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined) => void;

/** The largest body a shortcut reads; larger ones go to the route. */
const MAX_BODY_BYTES = 2048;

interface Compiled {
  shortcut: Shortcut;
  path: RegExp;
  names: string[];
  validate: ValidateFunction | null;
}

/** `/v1/rooms/:roomId/tickets` → an anchored RegExp with one group per parameter, from PATH_PARAMETERS. */
export function compileRoute(route: string): { path: RegExp; names: string[] } {
  const names: string[] = [];
  const source = route
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const name = segment.slice(1);
      const pattern = PATH_PARAMETERS[name];
      if (!pattern) throw new Error(`shortcut ${route}: no shared pattern for the parameter "${name}" (src/input-rules.ts)`);
      names.push(name);
      return `(${pattern})`;
    })
    .join('/');
  return { path: new RegExp(`^${source}$`), names };
}

export interface ShortcutDeps {
  trustedProxies: readonly string[];
  errors: ErrorTable;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

export class Shortcuts {
  private readonly byMethod = new Map<string, Compiled[]>();
  /** How many requests each route's shortcut answered (for tests: proof that a case took the shortcut). */
  readonly answered = new Map<string, number>();
  private fallback: RouteFallback = (_req, res) => res.destroy();

  private readonly clientOf: (req: IncomingMessage) => ClientInfo;

  constructor(
    shortcuts: readonly Shortcut[],
    private readonly deps: ShortcutDeps,
  ) {
    this.clientOf = clientResolver(deps.trustedProxies);
    // The same options as the routes' validator (http/app.ts): no coercion, no removal.
    const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: false, strict: false });
    for (const shortcut of shortcuts) {
      const list = this.byMethod.get(shortcut.method) ?? [];
      this.byMethod.set(shortcut.method, list);
      list.push({ shortcut, ...compileRoute(shortcut.route), validate: shortcut.bodySchema ? ajv.compile(shortcut.bodySchema) : null });
    }
  }

  /** Where passed requests go (set once the Fastify app exists). */
  routeTo(fallback: RouteFallback): void {
    this.fallback = fallback;
  }

  /** Takes the request if a shortcut matches it: true when it is (or will be) answered here. */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    const candidates = this.byMethod.get(req.method ?? '');
    const url = req.url;
    if (!candidates || !url) return false;
    for (const compiled of candidates) {
      const match = compiled.path.exec(url);
      if (!match) continue;
      const params: Record<string, string> = {};
      compiled.names.forEach((name, i) => {
        params[name] = match[i + 1]!;
      });
      const started = performance.now();
      if (!compiled.validate) {
        if (hasBody(req)) return false;
        this.run(compiled, req, res, params, undefined, undefined, started);
        return true;
      }
      if (!isSmallJson(req)) return false;
      readBody(req, res, (raw) => {
        let body: unknown;
        try {
          body = parseJsonBody(raw);
        } catch (err) {
          if (err instanceof BodyError) return this.fallback(req, res, raw);
          throw err;
        }
        if (!compiled.validate!(body)) return this.fallback(req, res, raw);
        this.run(compiled, req, res, params, body, raw, started);
      });
      return true;
    }
    return false;
  }

  private run(
    compiled: Compiled,
    req: IncomingMessage,
    res: ServerResponse,
    params: Record<string, string>,
    body: unknown,
    raw: Buffer | undefined,
    started: number,
  ): void {
    const { shortcut } = compiled;
    const onAnswer = (answer: ShortcutAnswer | typeof PASS) => {
      if (answer === PASS) return this.fallback(req, res, raw);
      this.send(res, shortcut, answer.status, answer.body, answer.headers, started);
    };
    const onError = (err: unknown) => {
      // An idempotent request is run again by the route, which answers; another is answered here,
      // as the route's error handler would: it may have decided something already.
      if (shortcut.idempotent) return this.fallback(req, res, raw);
      const answer: ErrorAnswer =
        err instanceof DomainError
          ? this.deps.errors.forDomainError(err)
          : unexpectedErrorAnswer(err, this.deps.errors, this.deps.metrics, this.deps.log);
      this.send(res, shortcut, answer.status, answer.body, answer.headers, started);
    };
    let result: ReturnType<Shortcut['handle']>;
    try {
      result = shortcut.handle({ params, headers: req.headers, body, client: this.clientOf(req) });
    } catch (err) {
      onError(err);
      return;
    }
    // Most polls are answered from memory: no promise, no microtask.
    if (result instanceof Promise) result.then(onAnswer, onError);
    else onAnswer(result);
  }

  private send(
    res: ServerResponse,
    shortcut: Shortcut,
    status: number,
    body: unknown,
    headers: Readonly<Record<string, string>> | undefined,
    started: number,
  ): void {
    if (body === undefined) {
      res.writeHead(status, headers);
      res.end();
    } else {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    }
    this.answered.set(shortcut.route, (this.answered.get(shortcut.route) ?? 0) + 1);
    this.deps.metrics.httpDuration.observe(
      { route: shortcut.route, method: shortcut.method, status_code: status },
      (performance.now() - started) / 1000,
    );
  }
}

function hasBody(req: IncomingMessage): boolean {
  const { headers } = req;
  return (
    headers['content-type'] !== undefined ||
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  );
}

/** A small JSON body of declared length: the only kind a shortcut reads. */
function isSmallJson(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  if (type !== 'application/json' && type !== 'application/json; charset=utf-8') return false;
  const length = Number(req.headers['content-length']);
  return length > 0 && length <= MAX_BODY_BYTES;
}

function readBody(req: IncomingMessage, res: ServerResponse, onBody: (raw: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('error', () => res.destroy());
  req.on('end', () => onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}
