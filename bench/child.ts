import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'

/** Run from `dist-bench/bench` when compiled: the source folder is then two levels up. */
const compiled = __filename.endsWith('.js')

/** This folder in the source tree, compiled or not. */
export const sourceDir = compiled ? path.join(__dirname, '..', '..', 'bench') : __dirname

/**
 * Runs a module of this folder in its own Node process, with an IPC channel:
 * the compiled one when the bench runs compiled (as `npm run bench` does),
 * else the TypeScript source through tsx.
 */
export function forkTs (file: string, args: string[], execArgv: string[] = []): ChildProcess {
  return fork(path.join(__dirname, compiled ? file.replace(/\.ts$/, '.js') : file), args, {
    execArgv: compiled ? execArgv : [...execArgv, '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Structured clone: Infinity and undefined survive the trip.
    serialization: 'advanced'
  })
}

/** The next message of `type` from a child; rejects when the child exits first. */
export function message<T> (child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (value: { type?: string }) => {
      if (value.type !== type) return
      cleanup()
      resolve(value as T)
    }
    const onExit = (code: number | null) => {
      cleanup()
      reject(new Error(`${child.spawnargs.slice(-2).join(' ')} exited with ${code} before sending ${type}`))
    }
    const cleanup = () => {
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

/** Ends a child by closing its IPC channel, and waits for it to go. */
export async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = once(child, 'exit')
  child.disconnect()
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
