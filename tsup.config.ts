import { defineConfig } from 'tsup';

/** The library's entries: one per subpath export, each with its type declarations. */
const libraryEntries = {
  index: 'src/index.ts',
  node: 'src/node.ts',
  testing: 'src/testing.ts',
};

/**
 * One entry per subpath export, plus `cli` (the `licensekit` bin, `dist/cli.js`). Shared modules
 * are split into chunks so each is emitted once. The bin's `#!/usr/bin/env node` banner is the
 * first line of `src/cli/main.ts`: esbuild keeps an entry's hashbang on that entry's output only,
 * and tsup marks that file executable. The bin is not an import, so it gets no declarations.
 */
export default defineConfig({
  entry: { ...libraryEntries, cli: 'src/cli/main.ts' },
  format: ['esm'],
  dts: { entry: libraryEntries },
  splitting: true,
  sourcemap: false,
  clean: true,
  target: 'node20',
  platform: 'neutral',
  external: [/^node:/],
  // Keep `node:` specifiers in dist/node.js (Deno and bundlers need the prefix).
  removeNodeProtocol: false,
});
