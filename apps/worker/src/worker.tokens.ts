export const WORKER_RUNTIME = Symbol('WorkerRuntime');
