import type { SessionRecord } from '../stores/store'
import type { Call } from './call'
import { recordProblem } from './record'

/**
 * Which owners of the record's work live, as far as a `shared` store that
 * knows who lives can tell (undefined: no other instance runs this call's
 * work; `present` says which of some instances live). When one is gone, the call's copy here (if any) goes too: restored
 * from the record, it runs that work again, here, where it only stood in for it.
 * A promise only when the store is asked: most events have no work of another instance.
 */
export function livingOwners (call: Call, record: SessionRecord | undefined, instance: string, present: Present | undefined): ReadonlySet<string> | undefined | Promise<ReadonlySet<string>> {
  const work = record?.work
  // A record is untrusted: one that fails its checks is refused when the call is restored.
  if (!Array.isArray(work) || work.length === 0 || recordProblem(record, call.id) !== undefined) return undefined
  const others = [...new Set(work.map((item) => item.owner))].filter((owner) => owner !== instance)
  if (others.length === 0 || present === undefined) return undefined
  return asked(call, present(others), others.length)
}

/** Which of `instances` live, as far as the store and this instance can tell. */
export type Present = (instances: string[]) => Promise<string[]>

async function asked (call: Call, presence: Promise<string[]>, others: number): Promise<ReadonlySet<string>> {
  const alive = new Set(await presence)
  if (alive.size < others && call.actor !== undefined) call.park()
  return alive
}
