// The load generator process of one `--seeds` job (seed-jobs.ts): reads a SeedJobInput on stdin,
// prints what it measured on stdout, and writes its SeedJobResult as JSON on file descriptor 3.
import { writeSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { runSeedJob, type SeedJobInput } from './seed-jobs.js';

const input = JSON.parse(await text(process.stdin)) as SeedJobInput;
const result = await runSeedJob(input);
writeSync(3, JSON.stringify(result));
// The load tester's keep-alive pools would hold the process open.
process.exit(0);
