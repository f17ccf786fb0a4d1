import { createColors } from 'picocolors'

/** The colours the CLI uses; plain text when colour is off. */
export type Paint = ReturnType<typeof createColors>

/**
 * Colour when the output is a terminal, as most tools decide: `NO_COLOR`
 * (https://no-color.org) and `--no-color` turn it off, `FORCE_COLOR` and
 * `--color` turn it on, `TERM=dumb` is no terminal.
 */
export function colorEnabled (env: NodeJS.ProcessEnv, output: { isTTY?: boolean }, flag?: boolean): boolean {
  if (flag !== undefined) return flag
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0'
  return output.isTTY === true && env.TERM !== 'dumb'
}

export function paint (enabled: boolean): Paint {
  return createColors(enabled)
}
