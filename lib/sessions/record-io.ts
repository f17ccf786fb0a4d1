import { StoreUnavailableError } from '../errors'
import type { Call } from './call'
import type { SessionRecord } from '../stores/store'

/** Runs a store operation; what the store threw becomes `FST_AIFLOW_STORE_UNAVAILABLE`, so that its event gets 503. */
export async function storeCall<T> (operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (err) {
    throw new StoreUnavailableError(String(err), { cause: err })
  }
}

/**
 * Writes the call's record at its next revision with `write`. The call
 * takes that revision only once it is written; when the write fails, the
 * call's copy here goes, since it holds an event that was not kept.
 */
export function commit (call: Call, version: string, write: (record: SessionRecord) => Promise<void>): Promise<void> {
  const revision = call.revision + 1
  return write(call.toRecord(version, revision)).then(() => { call.savedAs(revision) }, (err: unknown) => {
    call.park()
    throw err
  })
}
