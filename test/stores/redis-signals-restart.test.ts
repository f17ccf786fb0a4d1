import t from 'tap'
import { Redis } from 'ioredis'
import { RedisStore } from '../../lib/redis'
import { RedisServer } from '../fixtures/redis-server'
import { eventually } from '../fixtures/helpers'

t.test('after Redis is stopped and started again, a store hears of calls ended elsewhere again: it subscribes anew itself', async (t) => {
  const server = await RedisServer.start({ appendOnly: false })
  t.teardown(() => server.destroy())
  const store = new RedisStore({ url: server.url, prefix: 'signals:', commandTimeout: 200 })
  t.teardown(() => store.close())
  const heard: string[] = []
  store.onEnded((id) => heard.push(id))
  const say = async (id: string): Promise<void> => {
    const publisher = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 })
    try {
      await publisher.connect()
      await publisher.publish('signals:locks', `ended:${id}`)
    } finally {
      publisher.disconnect()
    }
  }
  t.ok(await eventually(async () => { await say('before'); return heard.includes('before') }), 'heard before the restart')
  await server.stop()
  await server.start()
  t.ok(await eventually(async () => { await say('after').catch(() => {}); return heard.includes('after') }), 'heard after it')
})
