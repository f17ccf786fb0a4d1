import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/** Mermaid's browser bundle, as the live view serves it. */
export interface MermaidBundle {
  script: Buffer
  /** Its Subresource Integrity hash: the page's policy lets exactly this script run. */
  integrity: string
}

const MERMAID = 'mermaid/dist/mermaid.min.js'

/** Where Mermaid is looked for: the application's own packages first, then those beside this one. */
export const mermaidPlaces = (): string[] => [path.join(process.cwd(), 'package.json'), __filename]

/**
 * Mermaid's browser bundle from the installed `mermaid` package (an
 * optional peer dependency), so that the page draws the flow without
 * reaching any other server; undefined when it is not installed.
 */
export function findMermaid (places: readonly string[] = mermaidPlaces()): MermaidBundle | undefined {
  for (const place of places) {
    let script: Buffer
    try {
      script = readFileSync(createRequire(place).resolve(MERMAID))
    } catch {
      continue
    }
    return { script, integrity: `sha384-${createHash('sha384').update(script).digest('base64')}` }
  }
  return undefined
}
