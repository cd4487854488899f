/** The demo story in one process, the one `licensekit demo` runs (it lives in `src/cli/demo.ts`). */
import { runDemo } from '../src/cli/demo.js';

await runDemo();
