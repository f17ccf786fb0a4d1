import t from 'tap'
import { MemoryStore, type SessionRecord } from '../../lib'

const record: SessionRecord = {
  version: '1', snapshot: {}, pending: [], session: { id: 'a' }, failed: false, revision: 1, startedAt: 0, updatedAt: 0
}

t.test('get, set, delete, and expiry on read and by sweep', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  await store.set('a', record, 60_000)
  t.equal(await store.get('a'), record)
  await store.delete('a')
  t.equal(await store.get('a'), undefined)

  await store.set('old', record, 1)
  // The store reads the wall clock: here it is moved on 5 ms rather than waited for.
  const realNow = Date.now
  const later = realNow() + 5
  Date.now = () => later
  t.teardown(() => { Date.now = realNow })
  t.equal(store.size, 1, 'an expired record stays until it is read or swept')
  t.equal(await store.get('old'), undefined, 'it is not returned')
  t.equal(store.size, 0, 'and reading it dropped it')
  Date.now = realNow

  await store.set('b', record, 1000)
  await store.set('c', record, 10)
  store.sweep(Date.now() + 100)
  t.equal(store.size, 1)
  t.ok(await store.get('b'))
})

t.test('close empties the store', async (t) => {
  const store = new MemoryStore()
  await store.set('a', record, 1000)
  await store.close()
  t.equal(store.size, 0)
})
