import { createRequire } from 'node:module'
import path from 'node:path'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { simulateCall } from '../testing'
import { diagram } from './diagram-command'
import { flowToolCommands } from './flow-tool-commands'
import { loadFlow } from './load-flow'
import { colorEnabled, paint, type Paint } from './paint'
import { replay } from './replay-command'
import { interactiveCall } from './simulate-command'

/** Where the CLI reads and writes: the process's own streams, or a test's. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: { write (text: string): unknown, isTTY?: boolean }
  stderr: { write (text: string): unknown }
  cwd: string
  env: NodeJS.ProcessEnv
}

/** 0 done, 1 the replies differ from the recording (or `check` found errors), 2 anything went wrong. */
export const EXIT = { ok: 0, differs: 1, error: 2 } as const

interface FlowOptions { export?: string }
interface SimulateOptions extends FlowOptions { outbound?: boolean, from?: string, to?: string, token?: string }

const version = (createRequire(__filename)('fastify-ai-flow/package.json') as { version: string }).version

/** What every command needs: the streams, the colours, and a way to set the exit code. */
interface Context {
  io: CliIo
  colors: () => Paint
  setCode: (code: number) => void
}

const withExport = (command: Command): Command => command
  .option('--export <name>', 'the export that holds the machine (default: flow, then the default export)')

function simulateCommand (root: Command, { io, colors }: Context): void {
  withExport(root.command('simulate')
    .description('Play a call in the terminal, against a flow or a running server: type what the caller says.')
    .argument('<flow-module-or-url>', 'a .js or .ts module exporting the machine, or a server\'s webhook or WebSocket URL')
    .option('--outbound', 'the flow placed the call (session.direction "outbound")')
    .option('--from <number>', "the caller's phone number")
    .option('--to <number>', 'the called phone number')
    .option('--token <token>', 'the X-API-TOKEN a server wants (default: $AI_FLOW_TOKEN)'))
    .action(async (target: string, options: SimulateOptions) => {
      const session = { ...(options.from !== undefined && { from_phone_number: options.from }), ...(options.to !== undefined && { to_phone_number: options.to }) }
      const remote = /^(https?|wss?):\/\//.test(target)
      const call = remote
        ? simulateCall(target, { session, token: options.token ?? io.env.AI_FLOW_TOKEN })
        : simulateCall(await loadFlow(target, { cwd: io.cwd, exportName: options.export }), { session })
      const name = remote ? target : path.basename(target)
      try {
        await interactiveCall(call, { input: io.stdin, output: io.stdout, c: colors(), name, direction: options.outbound === true ? 'outbound' : 'inbound' })
      } finally {
        await call.close()
      }
    })
}

function diagramCommand (root: Command, { io }: Context): void {
  withExport(root.command('diagram')
    .description('Print the flow as a Mermaid state diagram.')
    .argument('<flow-module>', 'a .js or .ts module exporting the machine')
    .option('--html', 'print a self-contained HTML page that renders the diagram instead')
    .option('--expand', 'draw the inside of fragments (prompt, menu, collectDigits): their reprompt states')
    .addOption(new Option('--direction <dir>', 'the direction of the diagram').choices(['TB', 'LR'])))
    .action(async (file: string, options: FlowOptions & { html?: boolean, expand?: boolean, direction?: 'TB' | 'LR' }) => {
      const flow = await loadFlow(file, { cwd: io.cwd, exportName: options.export })
      const { html, expand, direction } = options
      io.stdout.write(diagram(flow, { html, expand, direction, cwd: io.cwd, name: path.basename(file) }))
    })
}

/** `--reply-timeout`: a whole number of ms above 0. */
function replyTimeoutOption (value: string): number {
  const ms = Number(value)
  if (!Number.isInteger(ms) || ms <= 0) throw new InvalidArgumentError('it must be a whole number of ms above 0.')
  return ms
}

function replayCommand (root: Command, { io, colors, setCode }: Context): void {
  withExport(root.command('replay')
    .description('Run a recorded call through a flow; print where the replies differ. Exit code 1 when they do.')
    .argument('<recording>', 'a JSON Lines recording, as the plugin\'s record option writes it, or a directory of them')
    .argument('<flow-module>', 'a .js or .ts module exporting the machine')
    .option('--reply-timeout <ms>', 'serve every call with this replyTimeout instead of the one it was recorded with', replyTimeoutOption))
    .action(async (recording: string, file: string, options: FlowOptions & { replyTimeout?: number }) => {
      const flow = await loadFlow(file, { cwd: io.cwd, exportName: options.export })
      const { lines, differs } = await replay(path.resolve(io.cwd, recording), flow, colors(), options.replyTimeout)
      io.stdout.write(lines.join('\n') + '\n')
      setCode(differs ? EXIT.differs : EXIT.ok)
    })
}

function program (io: CliIo, setCode: (code: number) => void): Command {
  const root = new Command('fastify-ai-flow')
    .description('Try, draw, replay, check and export AI Flow call flows written as XState machines.')
    .version(version)
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--no-color', 'never colour the output')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
  const context: Context = { io, setCode, colors: () => paint(colorEnabled(io.env, io.stdout, root.opts<{ color?: boolean }>().color)) }
  simulateCommand(root, context)
  diagramCommand(root, context)
  replayCommand(root, context)
  flowToolCommands(root, context)
  return root
}

/**
 * Runs the CLI on `args` (without `node` and the script) and resolves with
 * the exit code; nothing here calls `process.exit`.
 */
export async function runCli (args: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok
  try {
    await program(io, (value) => { code = value }).parseAsync(args, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.error
    io.stderr.write(`fastify-ai-flow: ${(err as Error).message}\n`)
    return EXIT.error
  }
  return code
}
