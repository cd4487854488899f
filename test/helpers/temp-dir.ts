import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh empty directory under the OS temp dir, named after `label`. */
export function makeTempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `licensekit-${label}-`));
}

/** Removes `dir` and everything in it; a missing dir is fine. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Temp dirs made by one test file, removed together in its `afterAll`/`afterEach`. */
export class TempDirs {
  readonly #dirs: string[] = [];

  async make(label: string): Promise<string> {
    const dir = await makeTempDir(label);
    this.#dirs.push(dir);
    return dir;
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.#dirs.splice(0).map(removeTempDir));
  }
}
