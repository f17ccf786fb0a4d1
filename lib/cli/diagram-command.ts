import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { AnyStateMachine } from 'xstate'
import { toMermaid } from '../tools/mermaid'
import { mermaidPage } from '../tools/mermaid-page'
import { UsageError } from './usage-error'

const MERMAID = 'mermaid/dist/mermaid.min.js'

/**
 * Mermaid's browser bundle, from the project in `cwd` or else beside this
 * package. It is only needed for `--html`, so it is not a dependency.
 */
export function mermaidScript (bases: readonly string[]): string {
  for (const base of bases) {
    try {
      return readFileSync(createRequire(base).resolve(MERMAID), 'utf8')
    } catch {}
  }
  throw new UsageError('--html inlines Mermaid, which is not installed: npm install --save-dev mermaid')
}

export interface DiagramOptions {
  html?: boolean
  direction?: 'TB' | 'LR'
  /** Draw the inside of fragments too. */
  expand?: boolean
  /** Where to look for Mermaid first: the user's project. */
  cwd: string
  /** Names the flow in the page's title. */
  name: string
}

/** The text `diagram` prints: the Mermaid source, or a page that renders it. */
export function diagram (flow: AnyStateMachine, options: DiagramOptions): string {
  const source = toMermaid(flow, { direction: options.direction, expand: options.expand })
  if (options.html !== true) return source
  const script = mermaidScript([path.join(options.cwd, 'package.json'), __filename])
  return mermaidPage(source, { title: `${options.name}: ${flow.id}`, script })
}
