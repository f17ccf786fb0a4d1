import type { SessionRecord, SessionStore } from '../stores/store'
import type { Call } from './call'
import { recordProblem } from './record'
import { storeCall } from './record-io'

/**
 * Which owners of the record's work live, as far as a `shared` store that
 * knows who lives can tell (undefined: no other instance runs this call's
 * work). When one is gone, the call's copy here (if any) goes too: restored
 * from the record, it runs that work again, here, where it only stood in for it.
 * A promise only when the store is asked: most events have no work of another instance.
 */
export function livingOwners (call: Call, record: SessionRecord | undefined, instance: string, shared: SessionStore | undefined): ReadonlySet<string> | undefined | Promise<ReadonlySet<string>> {
  const work = record?.work
  // A record is untrusted: one that fails its checks is refused when the call is restored.
  if (!Array.isArray(work) || work.length === 0 || recordProblem(record, call.id) !== undefined) return undefined
  const others = [...new Set(work.map((item) => item.owner))].filter((owner) => owner !== instance)
  const present = shared?.present
  if (others.length === 0 || present === undefined) return undefined
  return asked(call, storeCall(() => present.call(shared, others)), others.length)
}

async function asked (call: Call, presence: Promise<string[]>, others: number): Promise<ReadonlySet<string>> {
  const alive = new Set(await presence)
  if (alive.size < others && call.actor !== undefined) call.park()
  return alive
}
