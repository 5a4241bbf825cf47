// The `floodgate` executable (bin/floodgate.js loads the build of this file).
import { runCli } from './cli.js';

runCli(process.argv.slice(2)).then((status) => {
  if (status !== 'running') process.exit(status);
});
