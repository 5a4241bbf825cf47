// tsc only emits JavaScript: copy the Lua scripts and SQL migrations next to the compiled modules
// so dist/ is self-contained and the same relative paths work from src/ (tsx) and dist/ (node).
import { cpSync } from 'node:fs';

cpSync('src', 'dist', {
  recursive: true,
  filter: (path) => !/\.(ts|tsx)$/.test(path),
});
