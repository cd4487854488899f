import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';

/**
 * `npm run size`: what licensekit adds to a bundle. The built root entry (`dist/index.js`) bundled and
 * minified for a neutral platform, gzipped, with zod bundled and with zod left to the app (most apps
 * have it already); and the Cloudflare Worker example as deployed (everything bundled). Fails when
 * the root entry without zod exceeds 25 kB (25,000 bytes) gzipped.
 */
const limit = 25_000;
const root = resolve('dist/index.js');
const worker = resolve('examples/cloudflare-workers/src/index.ts');

interface Size {
  name: string;
  minified: number;
  gzip: number;
  metafile: Metafile;
}

async function measure(name: string, options: BuildOptions): Promise<Size> {
  const result = await build({
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'error',
    ...options,
  });
  const bytes = result.outputFiles?.[0]?.contents;
  if (!bytes || !result.metafile) throw new Error(`${name}: esbuild produced no output`);
  return {
    name,
    minified: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    metafile: result.metafile,
  };
}

if (!existsSync(root)) {
  console.error('dist/index.js is missing: run `npm run build` first');
  process.exit(1);
}

const neutral: BuildOptions = { entryPoints: [root], platform: 'neutral', mainFields: ['module', 'main'] };
const sizes = [
  await measure('root entry, zod external', { ...neutral, external: ['zod', 'zod/*'] }),
  await measure('root entry, zod bundled', neutral),
];
if (existsSync(worker)) {
  sizes.push(
    await measure('Cloudflare Worker example (examples/cloudflare-workers)', {
      entryPoints: [worker],
      platform: 'browser',
      conditions: ['workerd', 'worker', 'browser'],
      alias: { licensekit: root },
    }),
  );
} else {
  console.log('(examples/cloudflare-workers/src/index.ts not found: Worker bundle skipped)');
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
console.log('| bundle | minified | minified + gzip |');
console.log('| --- | ---: | ---: |');
for (const size of sizes) console.log(`| ${size.name} | ${kB(size.minified)} | ${kB(size.gzip)} |`);

// Where the bytes come from: the same bundle built from the sources, so each module is named.
const fromSources = await measure('sources', {
  ...neutral,
  entryPoints: [resolve('src/index.ts')],
  external: ['zod', 'zod/*'],
});
const inputs = Object.values(fromSources.metafile.outputs)[0]?.inputs ?? {};
const largest = Object.entries(inputs)
  .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
  .slice(0, 10)
  .map(([path, { bytesInOutput }]) => `${path.replace(/^.*node_modules\//, '')} ${kB(bytesInOutput)}`);
console.log(`\nlargest modules of the root entry without zod (minified, before gzip): ${largest.join(', ')}`);

const lean = sizes[0]!;

if (lean.gzip > limit) {
  console.error(`\nroot entry without zod is ${kB(lean.gzip)} gzipped: over the ${kB(limit)} budget`);
  process.exit(1);
}
console.log(`\nroot entry without zod: ${kB(lean.gzip)} gzipped, within the ${kB(limit)} budget`);
