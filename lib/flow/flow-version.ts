import { createHash } from 'node:crypto'
import type { AnyStateMachine } from 'xstate'

/** Words a flow author writes for people; they never change what a snapshot means. */
const prose = new Set(['description', 'meta'])

/**
 * The version a flow gets when none is given: a digest of its states,
 * transitions, invocations and delays, which is what a persisted snapshot
 * depends on. Changing what an action or actor does keeps the version;
 * changing the shape of the statechart gives a new one. A change of the
 * context's shape is not seen: name the version yourself for that.
 *
 * @example
 * app.register(fastifyAiFlow, { flow: flowV2, flows: { [flowVersionOf(flowV1)]: flowV1 } })
 */
export function flowVersionOf (flow: AnyStateMachine): string {
  let shape: string
  try {
    shape = JSON.stringify(flow.definition, function (this: Record<string, unknown>, key, value: unknown) {
      // Only on a state (it has an id) or a transition (it has a source): a state may be named `meta`.
      return prose.has(key) && (typeof this.id === 'string' || typeof this.source === 'string') ? undefined : value
    })
  } catch {
    // A definition that cannot be written out (a cycle or a BigInt in it) is told apart by its id only.
    shape = flow.id
  }
  return 'sha256:' + createHash('sha256').update(shape).digest('base64url').slice(0, 16)
}
