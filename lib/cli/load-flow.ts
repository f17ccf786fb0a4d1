import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AnyStateMachine } from 'xstate'
import { UsageError } from './usage-error'

const TYPESCRIPT = /\.[cm]?tsx?$/

function isMachine (value: unknown): value is AnyStateMachine {
  return typeof value === 'object' && value !== null && 'root' in value &&
    typeof (value as { transition?: unknown }).transition === 'function'
}

/**
 * Makes TypeScript files loadable with the `tsx` of the flow's own project
 * or, failing that, the one beside this package: the same as `node --import tsx`.
 * tsx is not a dependency of the package: servers run compiled code and
 * need no compiler.
 */
export async function registerTypeScript (file: string, bases: readonly string[] = [file, __filename]): Promise<void> {
  for (const base of bases) {
    let loader: string
    try {
      loader = createRequire(base).resolve('tsx')
    } catch {
      continue
    }
    await import(pathToFileURL(loader).href)
    return
  }
  throw new UsageError(`${file} is TypeScript, and loading it needs tsx: npm install --save-dev tsx`)
}

/** The machine among a module's exports: `name`, or `flow`, or the default export. */
export function pickFlow (module: Record<string, any>, name?: string): AnyStateMachine | undefined {
  const inner = module.default as Record<string, unknown> | undefined
  const candidates = name !== undefined
    ? [module[name], inner?.[name]]
    : [module.flow, inner?.flow, inner?.default, inner]
  return candidates.find(isMachine)
}

/**
 * Loads the flow a command names: a `.js`, `.cjs` or `.mjs` module, or a
 * TypeScript one through tsx, exporting the machine as its default export
 * or as `flow` (or under the name given with `--export`).
 */
export async function loadFlow (file: string, { cwd, exportName }: { cwd: string, exportName?: string }): Promise<AnyStateMachine> {
  const absolute = path.resolve(cwd, file)
  if (!existsSync(absolute)) throw new UsageError(`no such file: ${file}`)
  if (TYPESCRIPT.test(absolute)) await registerTypeScript(absolute)
  let module: Record<string, any>
  try {
    module = await import(pathToFileURL(absolute).href)
  } catch (err) {
    throw new UsageError(`${file} could not be loaded: ${(err as Error).message}`)
  }
  const flow = pickFlow(module, exportName)
  if (flow !== undefined) return flow
  throw new UsageError(exportName === undefined
    ? `${file} exports no flow: export the machine as the default export or as "flow", or name its export with --export`
    : `${file} has no machine exported as "${exportName}"`)
}
