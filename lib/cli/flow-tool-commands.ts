import path from 'node:path'
import { Option, type Command } from 'commander'
import { COVERAGE_FILE_ENV } from '../testing/coverage-record'
import { statelyModule, toStatelyConfig } from '../tools/export'
import { checkReport } from './check-command'
import { coverageReport } from './coverage-command'
import { declaredEventTypes } from './declared-events'
import { loadFlow } from './load-flow'
import type { CliIo } from './program'
import type { Paint } from './paint'

interface Context {
  io: CliIo
  colors: () => Paint
  setCode: (code: number) => void
}

const DEFAULT_RECORD = 'flow-coverage.jsonl'

const flowCommand = (root: Command, name: string, description: string): Command => root.command(name)
  .description(description)
  .argument('<flow-module>', 'a .js or .ts module exporting the machine')
  .option('--export <name>', 'the export that holds the machine (default: flow, then the default export)')

function exportCommand (root: Command, { io }: Context): void {
  flowCommand(root, 'export', 'Print the flow as a machine config for Stately Studio, the XState VS Code extension and createMachine.')
    .addOption(new Option('--format <format>', 'ts: a module calling createMachine; json: the bare config').choices(['ts', 'json']).default('ts'))
    .action(async (file: string, options: { export?: string, format: 'ts' | 'json' }) => {
      const config = toStatelyConfig(await loadFlow(file, { cwd: io.cwd, exportName: options.export }))
      io.stdout.write(options.format === 'json' ? JSON.stringify(config, null, 2) + '\n' : statelyModule(config, file))
    })
}

function checkCommand (root: Command, { io, colors, setCode }: Context): void {
  flowCommand(root, 'check', 'Find mistakes in a flow before a call does. Exit code 1 when there are errors.')
    .option('--event <types...>', 'event types the service sends besides the documented ones')
    .option('--types', 'ask TypeScript for the events a .ts flow declares in types.events (takes some seconds)')
    .action(async (file: string, options: { export?: string, event?: string[], types?: boolean }) => {
      const flow = await loadFlow(file, { cwd: io.cwd, exportName: options.export })
      const declared = options.types === true ? declaredEventTypes(path.resolve(io.cwd, file), options.export === undefined ? ['flow', 'default'] : [options.export]) : undefined
      const { lines, failed } = checkReport(flow, path.basename(file), colors(), [...options.event ?? [], ...declared ?? []])
      io.stdout.write(lines.join('\n') + '\n')
      setCode(failed ? 1 : 0)
    })
}

function coverageCommand (root: Command, { io, colors }: Context): void {
  flowCommand(root, 'coverage', 'Print which states and transitions of a flow its tests visited, and scripts for the states they missed.')
    .option('--record <file>', `the record the tests wrote with ${COVERAGE_FILE_ENV}=<file> (default: $${COVERAGE_FILE_ENV}, then ${DEFAULT_RECORD})`)
    .option('--expand', 'count the inside of fragments (prompt, menu, collectDigits, agent) too, not only their exits')
    .action(async (file: string, options: { export?: string, record?: string, expand?: boolean }) => {
      const flow = await loadFlow(file, { cwd: io.cwd, exportName: options.export })
      const record = options.record ?? io.env[COVERAGE_FILE_ENV] ?? DEFAULT_RECORD
      const lines = await coverageReport(flow, { file: path.resolve(io.cwd, record), shown: record, expand: options.expand }, path.basename(file), colors())
      io.stdout.write(lines.join('\n') + '\n')
    })
}

/** `export`, `check` and `coverage`: the commands that read a flow without playing a call. */
export function flowToolCommands (root: Command, context: Context): void {
  exportCommand(root, context)
  checkCommand(root, context)
  coverageCommand(root, context)
}
