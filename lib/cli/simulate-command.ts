import { createInterface } from 'node:readline'
import type { SimulatedCall, Direction } from '../testing'
import { HELP, parseCommand, playCommand } from './commands'
import { formatState, renderTurn } from './render'
import type { Paint } from './paint'

export interface InteractiveOptions {
  input: NodeJS.ReadableStream & { isTTY?: boolean }
  output: { write (text: string): unknown }
  c: Paint
  /** What the banner calls the flow. */
  name: string
  direction: Direction
}

/**
 * An interactive call in the terminal: each line typed is a move of the
 * caller; after each, what the assistant says or does and the flow's state.
 * When the input is not a terminal (a script piped in), each move is echoed
 * too, so the output reads as a transcript. End of input hangs up.
 */
export async function interactiveCall (call: SimulatedCall, options: InteractiveOptions): Promise<void> {
  const { input, output, c } = options
  const terminal = input.isTTY === true
  const print = (lines: readonly string[]): void => { for (const line of lines) output.write(line + '\n') }
  let shown = 0
  let errors = 0
  const show = (): void => {
    for (const turn of call.turns.slice(shown)) print(renderTurn(turn, c, { echo: !terminal }))
    shown = call.turns.length
    for (const err of call.errors.slice(errors)) print([c.red(`the flow failed: ${err.message}`), c.dim('  (the caller got the fallback reply)')])
    errors = call.errors.length
  }

  print([c.bold(`Calling ${options.name} (${options.direction}). Type what the caller says; /help lists the commands.`)])
  await call.start(options.direction)
  show()
  const lines = createInterface({ input, terminal: false })
  const prompt = (): void => { if (terminal) output.write(c.cyan('> ')) }
  prompt()
  for await (const line of lines) {
    const command = parseCommand(line)
    if (command.kind === 'help') print(HELP)
    else if (command.kind === 'state') print([c.dim(`state: ${formatState(call.state)}`)])
    else if (command.kind === 'error') print([c.red(command.message)])
    else {
      try {
        await playCommand(call, command)
      } catch (err) {
        print([c.red((err as Error).message)])
      }
    }
    show()
    if (call.ended) break
    prompt()
  }
  lines.close()
  if (!call.ended) {
    await call.hangUp()
    show()
  }
  print([c.dim('The call has ended.')])
}
