import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

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

async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Starts one when `redis-server` is installed; otherwise says why not. */
export async function startRedis (): Promise<BenchRedis | string> {
  if (spawnSync('redis-server', ['--version']).error !== undefined) {
    return 'redis-server is not installed (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)'
  }
  const port = await freePort()
  const dir = mkdtempSync(path.join(tmpdir(), 'aiflow-bench-redis-'))
  const child: ChildProcess = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', ''
  ], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)))
  })
  child.stdout?.resume()
  return {
    url: `redis://127.0.0.1:${port}`,
    cpuMicros: () => procCpuMicros(child.pid),
    async stop () {
      if (child.exitCode === null) {
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
