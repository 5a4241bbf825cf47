import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, InvalidRequest } from '../errors.js';
import type { PartnerKeys } from '../partners/api-keys.js';
import type { AdminAuth } from '../tokens/admin-token.js';
import {
  captureBody,
  earnBody,
  earnResponse,
  historyQuery,
  historyResponse,
  holdBody,
  holdParams,
  holdResponse,
  readQuery,
  reverseBody,
  reverseResponse,
  settleResponse,
  spendBody,
  spendResponse,
  transactionParams,
  transferBody,
  transferResponse,
  voidBody,
  walletParams,
  walletResponse,
  writeHeaders,
} from './schemas.js';
import type { Applied, WalletService, WriteCall } from './service.js';

export interface WalletRouteDeps {
  wallet: WalletService;
  partners: PartnerKeys;
  admin: AdminAuth;
}

const DEFAULT_PAGE = 50;

/** Stripe's name for it: the answer is the stored answer of an earlier request with the same key (the transfer shortcut sends it too). */
const REPLAYED_HEADER = 'idempotent-replayed';

export function walletRoutes(app: FastifyInstance, { wallet, partners, admin }: WalletRouteDeps): void {
  const tags = ['wallet'];
  // The partner is known before the body is looked at: a request without a valid key is a 401.
  const partnerOnly = async (request: FastifyRequest) => void (await partners.require(request.headers));

  /** A partner reads its own wallets; the admin token reads any partner's, named by `partnerId`. */
  async function reader(headers: IncomingHttpHeaders, partnerId: string | undefined): Promise<string> {
    if (headers['x-api-key'] !== undefined || !admin.isAdmin(headers)) return partners.require(headers);
    if (partnerId === undefined) throw new InvalidRequest('querystring must have property partnerId with the admin token');
    return partnerId;
  }

  function send(reply: FastifyReply, applied: Applied) {
    if (applied.replayed) reply.header(REPLAYED_HEADER, 'true');
    return reply.code(201).send(applied.body);
  }

  /** Registers one write: POST, partner only, an Idempotency-Key, a body schema, a 201 schema. */
  function write<Body>(
    route: string,
    schemas: { params?: object; body: object; response: object },
    handler: (call: WriteCall<Body>) => Promise<Applied>,
  ): void {
    app.post<{ Params: Record<string, string>; Body: Body; Headers: { 'idempotency-key': string } }>(
      route,
      {
        onRequest: partnerOnly,
        schema: {
          tags,
          ...(schemas.params ? { params: schemas.params } : {}),
          headers: writeHeaders,
          body: schemas.body,
          response: { 201: schemas.response },
        },
      },
      async (request, reply) => {
        const partnerId = await partners.require(request.headers);
        const call: WriteCall<Body> = {
          partnerId,
          idempotencyKey: request.headers['idempotency-key'],
          route,
          params: request.params,
          body: request.body as Body,
        };
        return send(reply, await handler(call));
      },
    );
  }

  write('/v1/wallets/:userId/earn', { params: walletParams, body: earnBody, response: earnResponse }, (call) =>
    wallet.earn(call as WriteCall<{ points: number; expiresAt?: string; expiresInDays?: number; reason: string }>),
  );
  write('/v1/wallets/:userId/spend', { params: walletParams, body: spendBody, response: spendResponse }, (call) =>
    wallet.spend(call as WriteCall<{ points: number; reason: string }>),
  );
  write('/v1/wallets/transfers', { body: transferBody, response: transferResponse }, (call) =>
    wallet.transfer(call as WriteCall<{ from: string; to: string; points: number; reason: string }>),
  );
  write('/v1/wallets/:userId/holds', { params: walletParams, body: holdBody, response: holdResponse }, (call) =>
    wallet.hold(call as WriteCall<{ points: number; expiresInSeconds: number; reason?: string }>),
  );
  write('/v1/wallets/holds/:holdId/capture', { params: holdParams, body: captureBody, response: settleResponse }, (call) =>
    wallet.capture(call as WriteCall<{ points?: number } | undefined>),
  );
  write('/v1/wallets/holds/:holdId/void', { params: holdParams, body: voidBody, response: settleResponse }, (call) =>
    wallet.void(call as WriteCall<object | undefined>),
  );
  write(
    '/v1/wallets/transactions/:transactionId/reverse',
    { params: transactionParams, body: reverseBody, response: reverseResponse },
    (call) => wallet.reverse(call as WriteCall<{ points?: number; reason?: string } | undefined>),
  );

  app.get<{ Params: { userId: string }; Querystring: { partnerId?: string } }>(
    '/v1/wallets/:userId',
    { schema: { tags, params: walletParams, querystring: readQuery, response: { 200: walletResponse } } },
    async (request) => {
      const partnerId = await reader(request.headers, request.query.partnerId);
      const view = await wallet.views.wallet(partnerId, request.params.userId);
      if (!view) throw new DomainError('wallet_not_found');
      return view;
    },
  );

  app.get<{ Params: { userId: string }; Querystring: { partnerId?: string; cursor?: string; limit?: string } }>(
    '/v1/wallets/:userId/history',
    { schema: { tags, params: walletParams, querystring: historyQuery, response: { 200: historyResponse } } },
    async (request) => {
      const partnerId = await reader(request.headers, request.query.partnerId);
      const { cursor, limit } = request.query;
      const page = await wallet.views.history(
        partnerId,
        request.params.userId,
        cursor === undefined ? null : Number(cursor),
        limit === undefined ? DEFAULT_PAGE : Number(limit),
      );
      if (!page) throw new DomainError('wallet_not_found');
      return { userId: request.params.userId, ...page };
    },
  );
}
