/*
 * `fastify-ai-flow/redis`: the Redis session store, apart from the main
 * entry so that only its users need ioredis installed.
 */
export { RedisStore, type RedisStoreOptions } from './stores/redis-store'
