export { CallTelemetry, type CallTelemetryOptions, type SummaryLogger } from './call-telemetry'
export type { EventTurn } from './event-turn'
export type { CallEnd, CallOutcome, CallSummary, Transport } from './call-stats'
