// The commands of `floodgate` but the load tester (src/loadtest/command.ts): each parses its own
// options strictly, and touches nothing before its arguments are known to be right.
// The server's modules are imported by the command that runs, not before: `--help` loads none.
import { KEY_ACTIVATION_DELAY_SECONDS, KEY_RELOAD_MS } from '../tokens/keystore.js';
import { COMMON_OPTIONS, integerOption, numberOption, parseOptions } from './args.js';
import { OperationalError, redactUrl } from './errors.js';

export interface Command {
  name: string;
  /** One line for `floodgate --help`. */
  summary: string;
  /** The full usage, for `floodgate <name> --help` and after a usage error. */
  usage: string;
  /** Resolves with the exit status, or 'running' when the process goes on (serve). */
  run(argv: string[]): Promise<number | 'running'>;
}

export const ENVIRONMENT = `Configuration comes from the environment: DATABASE_URL, REDIS_URL or REDIS_CLUSTER_NODES,
FLOODGATE_ADMIN_TOKEN, PORT, HOST, FLOODGATE_REDIS_PREFIX, LOG_LEVEL (see README).`;

const COMMON_USAGE = `  --verbose           on an error, print its stack trace too
  -h, --help          this help`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run one instance: the API and all background work (migrates first)',
  usage: `Usage: floodgate serve [--port N] [--drain-seconds S]

Migrates the database, checks that Redis answers, then serves the API and runs the background
work until SIGTERM or SIGINT.
  --port N            the port to listen on (default: PORT, else 8080)
  --drain-seconds S   after SIGTERM, keep answering this long with readiness failing (default 5)
${COMMON_USAGE}

${ENVIRONMENT}`,
  async run(argv) {
    const values = parseOptions(argv, { ...COMMON_OPTIONS, port: { type: 'string' }, 'drain-seconds': { type: 'string' } });
    const drainSeconds = numberOption('drain-seconds', values['drain-seconds'], 5, 0, 3600);
    const [{ loadConfig }, { checkRedis, migrateDatabase }, { serve }] = await Promise.all([
      import('../config.js'),
      import('./dependencies.js'),
      import('../server.js'),
    ]);
    const config = loadConfig(values.port === undefined ? {} : { port: integerOption('port', values.port, 0, 0, 65535) });
    await migrateDatabase(config.databaseUrl);
    await checkRedis(config);
    try {
      await serve(config, { migrate: false, drainSeconds });
    } catch (err) {
      throw listenFailure(err, config.host, config.port) ?? err;
    }
    return 'running';
  },
};

/** One line for a failure to listen, or null if `err` is something else. */
function listenFailure(err: unknown, host: string, port: number): OperationalError | null {
  const where = `${host}:${port}`;
  switch ((err as { code?: string }).code) {
    case 'EADDRINUSE':
      return new OperationalError(`cannot listen on ${where}: port ${port} is in use (choose another with --port or PORT)`, { cause: err });
    case 'EACCES':
      return new OperationalError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new OperationalError(`cannot listen on ${where}: ${host} is not an address of this machine (HOST)`, { cause: err });
  }
  return null;
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create the database if needed and apply the SQL migrations (idempotent)',
  usage: `Usage: floodgate migrate

Creates the database named in DATABASE_URL if it does not exist, then applies the migrations not
applied yet, in order, under an advisory lock (safe while other instances start).
${COMMON_USAGE}`,
  async run(argv) {
    parseOptions(argv, COMMON_OPTIONS);
    const [{ loadConfig }, { migrateDatabase }] = await Promise.all([import('../config.js'), import('./dependencies.js')]);
    const { databaseUrl } = loadConfig();
    const applied = await migrateDatabase(databaseUrl);
    // Which database, said every time: DATABASE_URL has a default, and it may not be the one meant.
    console.log(`${redactUrl(databaseUrl)}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
    return 0;
  },
};

const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;

export const rotateKeyCommand: Command = {
  name: 'rotate-key',
  summary: `publish a new token-signing key; instances sign with it ${minutes(KEY_ACTIVATION_DELAY_SECONDS)} later`,
  usage: `Usage: floodgate rotate-key

Publishes a new access-token signing key: it is in every instance's JWKS within ${KEY_RELOAD_MS / 1000} s and signs
new tokens from ${minutes(KEY_ACTIVATION_DELAY_SECONDS)} after this command (long enough for every origin's cached JWKS
to list it). The key it replaces signs until then and stays trusted for a day after. Running
instances pick the change up by themselves: no restart.
${COMMON_USAGE}`,
  async run(argv) {
    parseOptions(argv, COMMON_OPTIONS);
    const [{ loadConfig }, { createPool }, { rotateSigningKey }, { withPostgres }] = await Promise.all([
      import('../config.js'),
      import('../db/pool.js'),
      import('../tokens/keystore.js'),
      import('./dependencies.js'),
    ]);
    const { databaseUrl } = loadConfig();
    // One connection is enough: the lock's connection runs the rotation's statements.
    const pool = createPool(databaseUrl, 1);
    try {
      const rotation = await withPostgres(databaseUrl, () => rotateSigningKey(pool)).catch((err: { code?: string }) => {
        if (err.code === '42P01')
          throw new OperationalError(`the database at ${redactUrl(databaseUrl)} is not migrated: run floodgate migrate`);
        throw err;
      });
      console.log(`published signing key ${rotation.kid}: in the JWKS of every instance within ${KEY_RELOAD_MS / 1000} s`);
      console.log(
        `it signs new tokens from ${rotation.activatesAt.toISOString()} (in ${minutes(KEY_ACTIVATION_DELAY_SECONDS)})` +
          (rotation.replaces.length ? `; until then ${rotation.replaces.join(', ')} signs, and stays trusted for a day after` : ''),
      );
    } finally {
      await pool.end();
    }
    return 0;
  },
};
