import { defineConfig } from 'tsup';

/** One entry per subpath export; shared modules are split into chunks so each is emitted once. */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    testing: 'src/testing.ts',
  },
  format: ['esm'],
  dts: true,
  splitting: true,
  sourcemap: false,
  clean: true,
  target: 'node20',
  platform: 'neutral',
  external: [/^node:/],
  // Keep `node:` specifiers in dist/node.js (Deno and bundlers need the prefix).
  removeNodeProtocol: false,
});
