import type { CallTelemetry } from '../telemetry'
import type { SessionStore } from '../stores/store'

/**
 * The store, with every operation on a call timed by telemetry (a span
 * under the call's event and `aiflow.store.duration`); a lock from the
 * moment its event lined up, in `aiflow.lock.wait`. What is not a call's
 * (due calls, instances) goes through as it is.
 */
export function timedStore (store: SessionStore, telemetry: CallTelemetry): SessionStore {
  const { lock, unlock } = store
  return {
    get: (id) => telemetry.storeOperation(id, 'get', store.get(id)),
    set: (id, record, ttl) => telemetry.storeOperation(id, 'set', store.set(id, record, ttl)),
    delete: (id) => telemetry.storeOperation(id, 'delete', store.delete(id)),
    close: store.close?.bind(store),
    lock: lock === undefined ? undefined : (id, options) => telemetry.lockClaimed(id, lock.call(store, id, options)),
    unlock: unlock === undefined ? undefined : (id, token, change) => telemetry.storeOperation(id, 'unlock', unlock.call(store, id, token, change)),
    renew: store.renew?.bind(store),
    checkWrite: store.checkWrite?.bind(store),
    dueCalls: store.dueCalls?.bind(store),
    announce: store.announce?.bind(store),
    present: store.present?.bind(store)
  }
}
