// `floodgate`: parses the command line, runs one command, and turns whatever fails into one line
// and an exit status: 0 done, 1 operational error (a dependency, a port, the configuration),
// 2 usage error (the command line itself), 130 interrupted (the load tester's Ctrl-C).
// main.ts runs it for the process; tests run it in-process for what needs no process of its own.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ConfigError } from '../config.js';
import { LOADTEST_SUMMARY, LOADTEST_USAGE } from '../loadtest/usage.js';
import { asksForHelp, asksForVerbose } from './args.js';
import { type Command, ENVIRONMENT, migrateCommand, rotateKeyCommand, serveCommand } from './commands.js';
import { firstLine, networkCause, OperationalError, UsageError, urlPassword, withoutSecrets } from './errors.js';

const loadtestCommand: Command = {
  name: 'loadtest',
  summary: LOADTEST_SUMMARY,
  usage: LOADTEST_USAGE,
  async run(argv) {
    // Loaded only when asked for: the load tester's dependencies are not the server's.
    const { loadtestCommand } = await import('../loadtest/command.js');
    return loadtestCommand(argv);
  },
};

const COMMANDS: Command[] = [serveCommand, migrateCommand, rotateKeyCommand, loadtestCommand];

const USAGE = `Usage: floodgate <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}

Options:
  -h, --help     this help; floodgate <command> --help for a command's
  --version      the version
  --verbose      on an error, print its stack trace too

${ENVIRONMENT}
Exit status: 0 done, 1 operational error (a dependency unreachable, a port in use, a bad
configuration), 2 usage error, 130 interrupted.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Where the CLI writes: the process's stdout and stderr, or a test's buffers. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: Output = { out: (text) => console.log(text), err: (text) => console.error(text) };

/**
 * Runs `floodgate argv`: resolves with the exit status, or 'running' when the process must go on
 * (serve). Never rejects: every failure is printed (one line; the stack with --verbose) and
 * becomes a status.
 */
export async function runCli(argv: string[], output: Output = processOutput): Promise<number | 'running'> {
  const at: { command: Command | null } = { command: null };
  try {
    return await dispatch(argv, output, at);
  } catch (err) {
    return report(err, argv, at.command, output);
  }
}

async function dispatch(argv: string[], output: Output, at: { command: Command | null }): Promise<number | 'running'> {
  const args = argv[0] === '--verbose' ? argv.slice(1) : argv;
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError('missing command');
  if (first === '--help' || first === '-h' || first === 'help') {
    const about = COMMANDS.find((c) => c.name === rest[0]);
    output.out(about ? about.usage : USAGE);
    return 0;
  }
  if (first === '--version' || first === '-V') {
    output.out(version());
    return 0;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option ${first}`);
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) throw new UsageError(`unknown command "${first}"`);
  at.command = command;
  if (asksForHelp(rest)) {
    output.out(command.usage);
    return 0;
  }
  return command.run(rest);
}

/** What must never be printed: passwords in the configured URLs, the admin token, keys given as options. */
function secrets(argv: string[]): string[] {
  const env = process.env;
  const found = [urlPassword(env.DATABASE_URL), urlPassword(env.REDIS_URL), env.FLOODGATE_ADMIN_TOKEN ?? null];
  argv.forEach((arg, i) => {
    const [name, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? argv[i + 1];
    if (name === '--admin-token' || name === '--api-key') found.push(value ?? null);
    if (name === '--database-url') found.push(urlPassword(value));
  });
  return found.filter((s): s is string => !!s);
}

function report(err: unknown, argv: string[], command: Command | null, output: Output): number {
  const prefix = command ? `floodgate ${command.name}` : 'floodgate';
  const print = (text: string) => output.err(withoutSecrets(text, secrets(argv)));
  if (err instanceof UsageError) {
    print(`${prefix}: ${err.message}\n\n${command ? command.usage : USAGE}`);
    return 2;
  }
  let line: string;
  if (err instanceof OperationalError) line = err.message;
  else if (err instanceof ConfigError) line = `configuration error: ${err.message}`;
  else {
    const cause = networkCause(err);
    const { address, port } = err as { address?: string; port?: number };
    line = cause && address ? `cannot reach ${address}${port ? `:${port}` : ''}: ${cause}` : firstLine(err);
  }
  const expected = err instanceof OperationalError || err instanceof ConfigError;
  // The stack, with its causes (the driver's own error under ours).
  if (asksForVerbose(argv)) print(`${prefix}: ${line}\n${inspect(err, { depth: 4 })}`);
  else print(`${prefix}: ${line}${expected ? '' : ' (--verbose prints the stack trace)'}`);
  return 1;
}
