import { buildServer } from '../../examples/app'
import type { Running } from './running'

/** The plugin with the demo flow and the default in-memory store, as `npm start` serves it without logs. */
export async function startPlugin (): Promise<Running> {
  const app = buildServer()
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as { port: number }).port, close: () => app.close() }
}
