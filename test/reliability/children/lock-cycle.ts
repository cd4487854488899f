/**
 * Child of the lock takeover tests: `lock-cycle.ts <lockPath>`. Prints READY, then on `hold` takes
 * the lock and prints HELD, and on `release` leaves the critical section and prints RELEASED.
 */
import { createInterface } from 'node:readline';
import { FileLock } from '../../../src/adapters/node/file-lock.js';

const [lockPath] = process.argv.slice(2);
const lock = FileLock.for(lockPath!);
let release: () => void = () => undefined;
setInterval(() => undefined, 60_000); // a pending promise alone does not keep Node running
console.log('READY');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'hold') {
    void lock
      .run(async () => {
        console.log('HELD');
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      })
      .then(() => console.log('RELEASED'));
  } else if (line === 'release') release();
}
