import { createServer } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { answerClaimDirectly } from '../claims/fast-claim.js';
import { claimRoutes } from '../claims/routes.js';
import type { Context } from '../context.js';
import { metricsRoutes } from '../metrics/routes.js';
import { partnerRoutes } from '../partners/routes.js';
import { answerCompleteDirectly } from '../waiting-room/fast-complete.js';
import { answerEntryDirectly } from '../waiting-room/fast-enter.js';
import { answerPollDirectly } from '../waiting-room/fast-poll.js';
import { waitingRoomRoutes } from '../waiting-room/routes.js';
import { webRoutes } from '../web/routes.js';
import { AppError, errorBody } from './errors.js';
import { healthRoutes, type Lifecycle } from './health.js';
import type { RouteFallback } from './shortcuts.js';
import { isDependencyDown, unexpectedErrorAnswer } from './unexpected.js';

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle;
  }
}

/** Fastify's default keep-alive timeout, longer than common load balancers' idle timeouts (60 s). */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** Builds the HTTP application without listening, so tests can `inject()` requests. */
export async function buildApp(ctx: Context): Promise<FastifyInstance> {
  let toRoute: RouteFallback = (_req, res) => res.destroy();
  const claimDeps = { claims: ctx.claims, apiKeys: ctx.apiKeys, waitingRoom: ctx.waitingRoom, metrics: ctx.metrics, log: ctx.log };
  const completeDeps = { waitingRoom: ctx.waitingRoom, metrics: ctx.metrics, log: ctx.log };
  const app = Fastify({
    loggerInstance: ctx.log,
    // Logging two lines per request costs more than the request itself on the hot path; errors
    // and slow requests are still logged, with the request id.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
    // Every body has a schema that rejects unknown keys, "__proto__" and "constructor" included,
    // so the JSON parser's own scan for them is redundant work on every request.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    return503OnClosing: true,
    // The shortcuts of the surge requests (waiting-room/fast-poll.ts, fast-enter.ts,
    // fast-complete.ts, claims/fast-claim.ts); whatever they do not answer goes to Fastify.
    // inject() in tests bypasses them.
    serverFactory: (handler) => {
      const server = createServer((req, res) => {
        if (answerPollDirectly(ctx.waitingRoom, ctx.metrics, toRoute, req, res)) return;
        if (answerEntryDirectly(ctx.waitingRoom, ctx.metrics, toRoute, req, res)) return;
        if (answerCompleteDirectly(completeDeps, req, res)) return;
        if (answerClaimDirectly(claimDeps, toRoute, req, res)) return;
        handler(req, res);
      });
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

  // Only JSON bodies are accepted: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');

  // A request whose body a shortcut already read is replayed into the route, and its answer relayed.
  toRoute = (req, res, body) => {
    app
      .inject({ method: req.method as 'POST', url: req.url!, headers: req.headers, payload: body })
      .then((answer) => {
        res.writeHead(answer.statusCode, answer.headers as Record<string, string>);
        res.end(answer.rawPayload);
      })
      .catch(() => res.destroy());
  };

  const lifecycle: Lifecycle = { draining: false };
  app.decorate('lifecycle', lifecycle);

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      return reply.code(error.status).send(error.body());
    }
    if (error.validation) {
      return reply.code(400).send(errorBody('invalid_request', error.message));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(errorBody('payload_too_large', 'The body is larger than 16 KiB'));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send(errorBody('unsupported_media_type', 'Send the body as application/json'));
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return reply.code(400).send(errorBody('invalid_json', 'The body is not valid JSON'));
    }
    if (!isDependencyDown(error) && error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody('invalid_request', error.message));
    }
    const answer = unexpectedErrorAnswer(error, ctx.metrics, request.log);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Floodgate', version: '0.1.0', description: 'Waiting room and first-come claims' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  healthRoutes(app, ctx, lifecycle);
  metricsRoutes(app, ctx);
  webRoutes(app);
  app.get('/.well-known/jwks.json', { schema: { tags: ['tokens'] } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return ctx.keystore.publicJwks;
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  waitingRoomRoutes(app, ctx.waitingRoom, ctx.config.adminToken);
  partnerRoutes(app, ctx.apiKeys, ctx.config.adminToken);
  claimRoutes(app, { claims: ctx.claims, apiKeys: ctx.apiKeys, waitingRoom: ctx.waitingRoom, adminToken: ctx.config.adminToken });

  return app;
}
