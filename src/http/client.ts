import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import proxyaddr from '@fastify/proxy-addr';
import type { ClientInfo } from '../capability.js';

/**
 * Who is asking: the socket's address, unless the request came through a trusted proxy
 * (FLOODGATE_TRUSTED_PROXIES), in which case the forwarded address; and whether it came over
 * https (the socket, or a trusted proxy's X-Forwarded-Proto). The same rule Fastify applies to
 * request.ip with the same trustProxy list, for requests the shortcuts answer.
 */
export function clientResolver(trusted: readonly string[]): (req: IncomingMessage) => ClientInfo {
  const trust = proxyaddr.compile([...trusted]);
  return (req) => {
    const peer = req.socket.remoteAddress ?? '';
    const viaProxy = trusted.length > 0 && trust(peer, 0);
    const ip = viaProxy ? proxyaddr(req, trust) : peer;
    const forwardedProto = viaProxy
      ? String(req.headers['x-forwarded-proto'] ?? '')
          .split(',')[0]
          ?.trim()
      : '';
    return { ip, secure: (req.socket as TLSSocket).encrypted === true || forwardedProto === 'https' };
  };
}
