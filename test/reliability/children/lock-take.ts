/**
 * Child of the lock takeover tests: `lock-take.ts <lockPath> <timeoutMs>`. Takes the lock once and
 * prints OK, or the code of the error it got.
 */
import { FileLock } from '../../../src/adapters/node/file-lock.js';

const [lockPath, timeout] = process.argv.slice(2);
const outcome = await FileLock.for(lockPath!, { timeoutMs: Number(timeout) })
  .run(async () => 'OK')
  .catch((error: { code?: string }) => String(error.code));
console.log(outcome);
