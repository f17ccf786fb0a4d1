/** A server started for a benchmark. */
export interface Running {
  port: number
  close (): Promise<void>
}
