/** The part of pino's logger the sessions layer uses. */
export interface Logger {
  child (bindings: Record<string, unknown>): Logger
  debug (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}
