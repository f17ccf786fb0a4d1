/*
 * The stores that keep calls between their events, each implementing the
 * session engine's contract (store.ts). `RedisStore` is exported from
 * `fastify-ai-flow/redis` alone, so that only its users load ioredis.
 */
export { MemoryStore } from './memory-store'
export type { SessionStore, SessionRecord, LockedRecord, LockOptions, LockChange, TimerRecord, WorkRecord, WorkLeases, LiveBoard, LiveChange } from './store'
