import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { AnyStateMachine } from 'xstate'
import { parseRecording, type RecordedCall } from '../recording'
import { replayRecording, type ModelDifference, type ReplayDifference, type ReplayResult, type ToolDifference } from '../testing'
import { formatState } from './render'
import type { Paint } from './paint'
import { UsageError } from './usage-error'

async function readOne (file: string): Promise<RecordedCall[]> {
  const text = await readFile(file, 'utf8')
  try {
    return parseRecording(text)
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`)
  }
}

/**
 * Reads a recording file, or every `.jsonl` file of a directory (as the
 * `record: { dir }` option fills it), with its problems as usage errors.
 */
export async function readRecordings (where: string): Promise<RecordedCall[]> {
  let files: string[]
  try {
    files = (await stat(where)).isDirectory()
      ? (await readdir(where)).filter((name) => name.endsWith('.jsonl')).sort().map((name) => path.join(where, name))
      : [where]
  } catch (err) {
    throw new UsageError(`cannot read ${where}: ${(err as Error).message}`)
  }
  if (files.length === 0) throw new UsageError(`${where} holds no .jsonl recordings`)
  const calls: RecordedCall[] = []
  for (const file of files) calls.push(...await readOne(file))
  return calls
}

function actionLines (label: string, actions: readonly object[], color: (text: string) => string): string[] {
  if (actions.length === 0) return [`    ${label} (no actions)`]
  return actions.map((action, index) => {
    const { session_id: _, ...fields } = action as { session_id?: string }
    return `    ${index === 0 ? label : ' '.repeat(label.length)} ${color(JSON.stringify(fields))}`
  })
}

function describeEvent (event: ReplayDifference['event']): string {
  const { type, session: _, ...fields } = event
  return Object.keys(fields).length === 0 ? type : `${type} ${JSON.stringify(fields)}`
}

/** The report `replay` prints: each differing reply, recorded against replayed, then a summary. */
export function replayReport (result: ReplayResult, c: Paint): string[] {
  const lines: string[] = []
  for (const difference of result.differences) {
    lines.push(c.bold(`call ${difference.sessionId}, event ${difference.position}: ${describeEvent(difference.event)}`))
    lines.push(...actionLines('recorded:', difference.recorded, c.green))
    lines.push(...actionLines('replayed:', difference.replayed, c.red))
    const recorded = difference.recordedState === undefined ? '-' : formatState(difference.recordedState)
    const replayed = difference.replayedState === undefined ? '-' : formatState(difference.replayedState)
    lines.push(c.dim(`    state: recorded ${recorded}, replayed ${replayed}`))
  }
  for (const difference of result.modelDifferences) lines.push(...modelLines(difference, c))
  for (const difference of result.toolDifferences) lines.push(...toolLines(difference, c))
  for (const { sessionId, err } of result.errors) lines.push(c.yellow(`call ${sessionId}: the flow failed: ${err.message}`))
  for (const { sessionId, recorded, replayed } of result.versions) lines.push(c.yellow(`call ${sessionId}: recorded with flow version ${recorded}, replayed with ${replayed}`))
  const calls = `${result.calls} call${result.calls === 1 ? '' : 's'}, ${result.events} event${result.events === 1 ? '' : 's'}`
  const count = result.differences.length
  const models = result.modelDifferences.length
  const tools = result.toolDifferences.length
  const asked = (models === 0 ? '' : `, ${models} model request${models === 1 ? '' : 's'} differ${models === 1 ? 's' : ''}`) +
    (tools === 0 ? '' : `, ${tools} tool call${tools === 1 ? '' : 's'} differ${tools === 1 ? 's' : ''}`)
  lines.push(count === 0 && models === 0 && tools === 0
    ? c.green(`${calls}: every reply matches the recording`)
    : c.red(`${calls}: ${count} repl${count === 1 ? 'y differs' : 'ies differ'} from the recording${asked}`))
  return lines
}

/** A model request that differs from the recorded one: which of its parts, recorded against replayed. */
function modelLines ({ sessionId, position, recorded, replayed }: ModelDifference, c: Paint): string[] {
  const head = c.bold(`call ${sessionId}, model call ${position}: `)
  if (recorded === undefined) return [head + 'the recording has no answer for it']
  const parts = (['instructions', 'tools', 'messages', 'options'] as const).filter((key) => JSON.stringify(recorded[key]) !== JSON.stringify(replayed[key]))
  const show = (value: unknown): string => value === undefined ? '(none)' : JSON.stringify(value)
  return [head + `the request differs in ${parts.join(', ')}`, ...parts.flatMap((key) => [
    `    recorded ${key}: ${c.green(show(recorded[key]))}`,
    `    replayed ${key}: ${c.red(show(replayed[key]))}`
  ])]
}

/** A tool call that differs from the recorded one: in what (the tool, its arguments, its schemas), recorded against replayed. */
function toolLines ({ sessionId, position, recorded, replayed }: ToolDifference, c: Paint): string[] {
  const head = c.bold(`call ${sessionId}, tool call ${position} (${replayed.name}): `)
  if (recorded === undefined) return [head + 'the recording has no result for it']
  const parts: Array<[string, unknown, unknown]> = [
    ['tool', recorded.name, replayed.name],
    ['arguments', recorded.args, replayed.args],
    ['arguments schema', recorded.schemas.parameters, replayed.schemas.parameters],
    ['result schema', recorded.schemas.result, replayed.schemas.result]
  ]
  const differing = parts.filter(([, a, b]) => JSON.stringify(a) !== JSON.stringify(b))
  const show = (value: unknown): string => value === undefined ? '(none)' : JSON.stringify(value)
  const answered = recorded.name === replayed.name ? 'answered from the recording all the same' : 'answered with an error'
  return [head + `differs in ${differing.map(([part]) => part).join(', ')}; ${answered}`, ...differing.flatMap(([part, a, b]) => [
    `    recorded ${part}: ${c.green(show(a))}`,
    `    replayed ${part}: ${c.red(show(b))}`
  ])]
}

/**
 * Replays a recording (a file or a directory) through a flow; resolves with
 * the report and whether anything differed. Each call is served with the
 * `replyTimeout` it was recorded with, unless `replyTimeout` is given.
 */
export async function replay (file: string, flow: AnyStateMachine, c: Paint, replyTimeout?: number): Promise<{ lines: string[], differs: boolean }> {
  const calls = await readRecordings(file)
  const result = await replayRecording(calls, flow, { replyTimeout })
  return { lines: replayReport(result, c), differs: result.differences.length > 0 || result.modelDifferences.length > 0 || result.toolDifferences.length > 0 }
}
