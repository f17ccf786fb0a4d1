import { existsSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type * as TypeScript from 'typescript'

const TYPESCRIPT = /\.[cm]?tsx?$/

/** TypeScript's compiler, from the flow's project or beside this package; undefined when neither has it. */
function loadTypeScript (bases: readonly string[]): typeof TypeScript | undefined {
  for (const base of bases) {
    try {
      return createRequire(base)('typescript') as typeof TypeScript
    } catch {}
  }
  return undefined
}

/** The options of the flow's own tsconfig.json, so that its paths and module settings hold. */
function compilerOptions (ts: typeof TypeScript, dir: string): TypeScript.CompilerOptions {
  const file = ts.findConfigFile(dir, (name) => existsSync(name))
  if (file === undefined) return { noEmit: true, skipLibCheck: true, strict: true, moduleResolution: ts.ModuleResolutionKind.Node10 }
  // TypeScript reads even broken JSON into an object; none comes only when the file vanished since it was found.
  /* c8 ignore next */
  const config: unknown = ts.readConfigFile(file, (name) => ts.sys.readFile(name)).config ?? {}
  return { ...ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(file)).options, noEmit: true, skipLibCheck: true }
}

function literals (type: TypeScript.Type): string[] | undefined {
  const parts = type.isUnion() ? type.types : [type]
  const names = parts.map((part) => part.isStringLiteral() ? part.value : undefined)
  // A `string` among them means any event at all: nothing to check against.
  return names.every((name) => name !== undefined) ? names as string[] : undefined
}

/**
 * The event types a TypeScript flow declares, read by TypeScript from the
 * machine's type (`EventFromLogic<typeof flow>['type']`): the protocol's
 * and those of its `types.events`, which run time cannot see. Undefined
 * for a JavaScript flow, without TypeScript installed, or when the type
 * is not a union of names.
 */
export function declaredEventTypes (given: string, exportNames: readonly string[], bases: readonly string[] = [given, __filename]): string[] | undefined {
  if (!TYPESCRIPT.test(given)) return undefined
  // Where the file really is: its project's tsconfig.json and node_modules are found from there.
  const file = realpathSync(given)
  const ts = loadTypeScript(bases)
  if (ts === undefined) return undefined
  const probe = path.join(path.dirname(file), '__fastify_ai_flow_events__.ts')
  const module = './' + path.basename(file).replace(TYPESCRIPT, '')
  const text = `import * as flowModule from ${JSON.stringify(module)}\n` +
    exportNames.map((name, index) => `export type Events${index} = import('xstate').EventFromLogic<typeof flowModule[${JSON.stringify(name)}]>['type']\n`).join('')
  const options = compilerOptions(ts, path.dirname(file))
  const host = ts.createCompilerHost(options)
  const { getSourceFile, fileExists } = host
  host.fileExists = (name) => name === probe || fileExists(name)
  host.getSourceFile = (name, version, ...rest) => name === probe ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, ...rest)
  const program = ts.createProgram([probe], options, host)
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(probe) as TypeScript.SourceFile
  for (const statement of source.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue
    const names = literals(checker.getTypeAtLocation(statement.name))
    if (names !== undefined && names.length > 0) return names
  }
  return undefined
}
