import { readFileSync } from 'node:fs'
import { INSTALL_HINT, RedisServer } from '../test/fixtures/redis-server'

/** A redis-server of the benchmark's own, on a free port, keeping nothing on disk. */
export interface BenchRedis {
  url: string
  /** CPU time redis-server has used so far, in µs; undefined where /proc is not there to ask. */
  cpuMicros (): number | undefined
  stop (): Promise<void>
}

/** utime + stime of a process, from Linux's /proc (clock ticks of 10 ms on every usual kernel). */
function procCpuMicros (pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return undefined
  }
}

/** Starts one when `redis-server` is installed; otherwise says why not. */
export async function startRedis (): Promise<BenchRedis | string> {
  let server: RedisServer
  try {
    server = await RedisServer.start({ appendOnly: false })
  } catch (err) {
    if ((err as Error).message === INSTALL_HINT) return 'redis-server is not installed (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)'
    throw err
  }
  return {
    url: server.url,
    cpuMicros: () => procCpuMicros(server.pid),
    stop: () => server.destroy()
  }
}
