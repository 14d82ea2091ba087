// The first file a worker thread runs (see lib/workers/pool.ts): it registers tsx's TypeScript loader,
// which tslab's in-memory compilation does not give a worker, then loads the module it was given.
const { workerData } = require("node:worker_threads");
require("tsx/cjs/api").register();
require(workerData.modulePath);
