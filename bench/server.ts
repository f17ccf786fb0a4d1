import { startBare } from './configs/bare'
import { startExpress } from './configs/express'
import { startPlugin } from './configs/plugin'
import { startPluginWithTelemetry } from './configs/telemetry'
import { startRedisPlugin } from './configs/redis'
import { startWebSocketPlugin } from './configs/websocket'
import { startXState } from './configs/xstate'
import type { Running } from './configs/running'
import type { TelemetryParts } from './options'

/*
 * One server under test, in its own process: it tells its parent its port,
 * and on each `mark` message the CPU time it used since the previous mark.
 */

/** By configuration name; `url` is the Redis the `redis` configuration uses, `telemetry` what (bᵗ) registers. */
export const starters: Record<string, (url: string, telemetry: TelemetryParts) => Promise<Running>> = {
  bare: startBare,
  plugin: () => startPlugin(),
  'plugin-parked': () => startPlugin(0),
  'plugin-telemetry': (_, telemetry) => startPluginWithTelemetry(telemetry),
  redis: (url) => startRedisPlugin(url),
  websocket: startWebSocketPlugin,
  express: startExpress,
  xstate: startXState
}

export interface CpuMark { type: 'cpu', micros: number }

async function main (): Promise<void> {
  const name = process.argv[2]
  const start = starters[name]
  if (start === undefined) throw new Error(`unknown configuration ${name}`)
  const running = await start(process.argv[3] ?? '', (process.argv[4] ?? 'all') as TelemetryParts)
  let last = process.cpuUsage()
  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'mark') return
    const used = process.cpuUsage(last)
    last = process.cpuUsage()
    process.send?.({ type: 'cpu', micros: used.user + used.system } satisfies CpuMark)
  })
  process.once('disconnect', () => {
    running.close().finally(() => process.exit(0))
  })
  process.send?.({ type: 'ready', port: running.port })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
