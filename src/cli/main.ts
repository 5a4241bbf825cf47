import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { createPool } from '../db/pool.js';
import { prepareDatabase, serve } from '../server.js';
import { rotateSigningKey } from '../tokens/keystore.js';

const USAGE = `Usage: floodgate <command> [options]

Commands:
  serve [--port N] [--drain-seconds S]   run the API and all background work (migrates first)
  migrate                                apply the SQL migrations (idempotent)
  rotate-key                             start signing with a new key; the old one stays in the JWKS
  loadtest --target URL --scenario ...   reproduce a surge and audit the invariants (--help)

Configuration comes from the environment: PORT, HOST, REDIS_URL, DATABASE_URL,
FLOODGATE_ADMIN_TOKEN, FLOODGATE_REDIS_PREFIX, LOG_LEVEL (see README).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({
        args: rest,
        options: { port: { type: 'string' }, 'drain-seconds': { type: 'string' } },
      });
      const config = loadConfig(values.port ? { port: Number(values.port) } : {});
      await serve(config, { drainSeconds: Number(values['drain-seconds'] ?? 5) });
      return -1; // keep running
    }
    case 'migrate': {
      const applied = await prepareDatabase(loadConfig().databaseUrl);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
      return 0;
    }
    case 'rotate-key': {
      const pool = createPool(loadConfig().databaseUrl, 1);
      try {
        console.log(`new signing key: ${await rotateSigningKey(pool)} (instances pick it up on restart)`);
      } finally {
        await pool.end();
      }
      return 0;
    }
    case 'loadtest': {
      const { loadtestCommand, LOADTEST_USAGE } = await import('../loadtest/command.js');
      if (rest.includes('--help')) {
        console.log(LOADTEST_USAGE);
        return 0;
      }
      return loadtestCommand(rest);
    }
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
    process.exit(1);
  },
);
