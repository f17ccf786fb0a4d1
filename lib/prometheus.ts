/*
 * `fastify-ai-flow/prometheus`: metrics for Prometheus in one call, apart
 * from the main entry so that only its users need OpenTelemetry installed.
 */
export { prometheusMetrics, type PrometheusMetricsOptions } from './telemetry/prometheus-metrics'
