// The load generator process of one `--seeds` job (seed-jobs.ts): prints what it measured as it
// goes and hands its SeedJobResult back (worker-process.ts).
import { runSeedJob, type SeedJobInput } from './seed-jobs.js';
import { finishWorker, workerInput } from './worker-process.js';

finishWorker(await runSeedJob(await workerInput<SeedJobInput>()));
