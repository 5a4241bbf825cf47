import { createServer, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import type { Context } from '../context.js';
import { DomainError } from '../errors.js';
import { historyRoutes } from '../history/routes.js';
import { metricsRoutes } from '../metrics/routes.js';
import { webRoutes } from '../web/routes.js';
import { type ErrorTable, errorResponses } from './errors.js';
import { healthRoutes, type Lifecycle } from './health.js';
import { BodyError, parseJsonBody } from './json-body.js';
import { Shortcuts } from './shortcuts.js';
import { unexpectedErrorAnswer } from './unexpected.js';

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle;
    shortcuts: Shortcuts;
  }
}

/** Fastify's default keep-alive timeout, longer than common load balancers' idle timeouts (60 s). */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
const BODY_LIMIT = 16 * 1024;

/** Builds the HTTP application without listening, so tests can `inject()` requests. */
export async function buildApp(ctx: Context): Promise<FastifyInstance> {
  const { errors, infra } = ctx;
  const { config } = infra;
  const shortcuts = new Shortcuts(
    ctx.capabilities.flatMap(({ capability }) => capability.shortcuts ?? []),
    { trustedProxies: config.trustedProxies, errors, metrics: infra.metrics, log: infra.log },
  );
  const app = Fastify({
    loggerInstance: infra.log,
    // Logging two lines per request costs more than the request itself on the hot path; errors
    // and slow requests are still logged, with the request id.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // A userId of 128 code points, percent-encoded, is up to ~1,150 characters of path.
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
    // The client's address and protocol: believed from X-Forwarded-* only when the request came
    // through a configured proxy (the shortcuts apply the same rule, http/client.ts).
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    // Errors of the HTTP parser and the router get the documented error body too.
    clientErrorHandler: (err, socket) => answerClientError(errors, err, socket),
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const answer =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? errors.answer('uri_too_long')
          : errors.answer('invalid_request', undefined, 'The URL is not well-formed');
      reply.code(answer.status).headers(answer.headers).send(answer.body);
    },
    // The request shortcuts of the capabilities (http/shortcuts.ts) answer the surge requests
    // before Fastify routes them; whatever they do not take goes to Fastify. inject() in tests
    // bypasses them.
    serverFactory: (handler) => {
      const server = createServer(
        // How often idle and slow connections are checked against the timeouts below.
        { connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs) },
        (req, res) => {
          if (!shortcuts.take(req, res)) handler(req, res);
        },
      );
      // A slow client cannot hold a connection open: headers within headersTimeoutMs, the whole
      // request within requestTimeoutMs (10 s and 30 s by default); beyond maxConnections new
      // connections are refused at once, so a flood of idle sockets cannot exhaust the process.
      server.headersTimeout = config.headersTimeoutMs;
      server.requestTimeout = config.requestTimeoutMs;
      server.maxConnections = config.maxConnections;
      // Fastify applies its timeouts only to servers it creates. Without them Node closes a
      // keep-alive connection after 5 s idle: behind a load balancer (whose idle timeout is
      // typically 60 s) that races its reuse of the connection into 502s, and waiting people,
      // who poll every few seconds, reconnect again and again (a new connection costs the
      // server far more than a poll). Fastify's own default is used.
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      return server;
    },
    ajv: {
      // Reject unknown fields instead of silently dropping them, and never coerce "5" into 5.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
    },
  });
  app.decorate('shortcuts', shortcuts);

  // Only JSON bodies are accepted, decoded strictly (json-body.ts): anything else is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // A request whose body a shortcut already read is replayed into the route, and its answer relayed.
  shortcuts.routeTo((req, res, body) => {
    app
      .inject({ method: req.method as 'POST', url: req.url!, headers: req.headers, ...(body ? { payload: body } : {}) })
      .then((answer) => {
        res.writeHead(answer.statusCode, answer.headers as Record<string, string>);
        res.end(answer.rawPayload);
      })
      .catch(() => res.destroy());
  });

  // Every route documents the error body for its 4xx and 5xx answers.
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ??= {});
    schema.response = { ...errorResponses, ...(schema.response as object | undefined) };
  });

  const lifecycle: Lifecycle = { draining: false };
  app.decorate('lifecycle', lifecycle);

  app.setErrorHandler((error: FastifyError | DomainError | BodyError, request, reply) => {
    const send = (answer: { status: number; body: unknown; headers: Record<string, string> }) =>
      reply.code(answer.status).headers(answer.headers).send(answer.body);
    if (error instanceof DomainError) return send(errors.forDomainError(error));
    if (error instanceof BodyError) return send(errors.answer(error.code));
    if (error.validation) return send(errors.answer('invalid_request', undefined, error.message));
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(errors.answer('payload_too_large'));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(errors.answer('unsupported_media_type'));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return send(errors.answer('invalid_json'));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return send(errors.answer('invalid_request', undefined, error.message));
    }
    return send(unexpectedErrorAnswer(error, errors, infra.metrics, request.log));
  });

  app.setNotFoundHandler((request, reply) => {
    const answer = errors.answer('not_found', undefined, `No route for ${request.method} ${request.url.split('?')[0]}`);
    reply.code(answer.status).send(answer.body);
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Floodgate', version: '0.1.0', description: 'Waiting room and first-come claims' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  healthRoutes(app, ctx, lifecycle);
  metricsRoutes(app, ctx);
  webRoutes(app);
  historyRoutes(app, ctx.history, infra.admin);
  app.get('/.well-known/jwks.json', { schema: { tags: ['tokens'] } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return ctx.keystore.publicJwks;
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  for (const { capability } of ctx.capabilities) capability.routes(app);

  return app;
}

/** Answers what the HTTP parser refused (timeouts, oversized headers, garbage) with the documented body. */
function answerClientError(errors: ErrorTable, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'request_timeout'
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? 'header_fields_too_large'
        : 'malformed_request';
  const answer = errors.answer(code);
  const body = JSON.stringify(answer.body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
