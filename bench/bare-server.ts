// The calibration server: a bare node:http server doing the least any JSON API must do (parse the
// request, read a body, write a small JSON answer). Every benchmark figure is divided by its own,
// measured in the same run on the same machine.
import { createServer } from 'node:http';

const reply = JSON.stringify({ ticketId: '1.AAAAAAAAAAAAAAAAAAAAAA', state: 'waiting', position: 1, etaSeconds: 1, pollAfterMs: 1000 });

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    if (body) JSON.parse(body);
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
    res.end(reply);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
