/** The secret the inspector bench's server and its watcher share. */
export const INSPECTOR_BENCH_SECRET = 'inspector-bench-secret-0123456789'
