export { createMetrics, type MetricsOptions, type ServerMetrics } from './createMetrics.js'
