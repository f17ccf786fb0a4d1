import { CallBusyError, LockLostError, StoreUnavailableError } from '../errors'
import type { Call } from './call'
import { storeCall } from './record-io'
import type { LockChange, SessionRecord, SessionStore } from '../stores/store'

/** How long a shared store's lock outlives the reply deadline, should its holder die, when the store cannot renew it. */
const LEASE_MARGIN = 2000
/**
 * The lease of a lock that the store can renew, in ms: its holder renews it
 * every third of it while its turn runs, so that a dead holder keeps the
 * call's next event waiting for at most this long, well inside its wait.
 */
export const RENEWED_LEASE = 1500

const noop = (): void => {}

/** A call's record, with the shared store's lock on it when there is one, and when that lock was granted. */
export type Claim = Promise<{ record: SessionRecord | undefined, token?: string, grantedAt?: number }>

/**
 * Lines the call up for its lock in a shared store, at once, so that its
 * events keep their arrival order across instances. Resolves when it is the
 * call's turn, or rejects with 503 once the reply deadline has passed.
 * Undefined for a store that does not lock.
 */
export function claimLock (store: SessionStore, call: Call, replyTimeout: number): Claim {
  const lock = store.lock as NonNullable<SessionStore['lock']>
  const claim = lock.call(store, call.id, {
    wait: replyTimeout,
    lease: store.renew === undefined ? replyTimeout + LEASE_MARGIN : RENEWED_LEASE,
    onContention: () => call.contention()
  }).then(({ record, token }) => ({ record, token, grantedAt: Date.now() }), (err) => {
    throw err instanceof CallBusyError ? err : new StoreUnavailableError(String(err), { cause: err })
  })
  claim.catch(noop) // awaited once the call's earlier tasks are done
  return claim
}

/**
 * Releases the call's lock, writing `change` with it. When the lock had
 * been lost, nothing is written and the call's copy here is dropped.
 */
export async function releaseLock (store: SessionStore, call: Call, change?: LockChange): Promise<void> {
  const token = call.unlocked()
  let held: boolean
  try {
    held = await (store.unlock as NonNullable<SessionStore['unlock']>)(call.id, token, change)
  } catch (err) {
    throw new StoreUnavailableError(String(err), { cause: err })
  }
  if (held) return
  // This copy went on from a state that is no longer the call's: the next event loads it afresh.
  call.park()
  throw new LockLostError()
}

/** Renews the lease of the call's lock until the returned function is called, when the store can. */
export function keepLease (store: SessionStore, call: Call): () => void {
  if (store.renew === undefined) return noop
  // Called once the turn holds the lock: its token is the call's.
  const token = call.token as string
  const timer = setInterval(() => renewLease(store, call, token), RENEWED_LEASE / 3).unref()
  return () => clearInterval(timer)
}

/**
 * Renews the lease of the lock `token` holds on the call, now, when the
 * store can. A renewal that fails or comes too late costs the lock, which
 * the save then finds out and says.
 */
export function renewLease (store: SessionStore, call: Call, token = call.token as string): void {
  const { renew } = store
  if (renew !== undefined) storeCall(() => renew.call(store, call.id, token, RENEWED_LEASE)).catch(noop)
}
