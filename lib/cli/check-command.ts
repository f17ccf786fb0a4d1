import type { AnyStateMachine } from 'xstate'
import { checkFlow, type Finding } from '../tools/check'
import type { Paint } from './paint'

function plural (count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

/** The report `check` prints, and whether it found an error. */
export function checkReport (flow: AnyStateMachine, name: string, c: Paint, events: readonly string[]): { lines: string[], failed: boolean } {
  const findings = checkFlow(flow, { events })
  const errors = findings.filter((finding) => finding.level === 'error')
  const width = Math.max(0, ...findings.map((finding) => finding.rule.length))
  const line = (finding: Finding): string => {
    const level = finding.level === 'error' ? c.red('error  ') : c.yellow('warning')
    return `${level} ${finding.rule.padEnd(width)}  ${c.bold(finding.state)}: ${finding.message}`
  }
  const summary = findings.length === 0
    ? c.green(`${name} (${flow.id}): no problems found`)
    : `${name} (${flow.id}): ${plural(errors.length, 'error')}, ${plural(findings.length - errors.length, 'warning')}`
  return { lines: [...findings.map(line), summary], failed: errors.length > 0 }
}
