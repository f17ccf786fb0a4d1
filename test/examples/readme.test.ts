import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { createActor, type AnyStateMachine } from 'xstate'
import { helloFlow } from '../../examples/hello-flow'
import { flow } from '../../examples/conversation-flow'

const root = path.join(__dirname, '..', '..')
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')

/** The TypeScript blocks of a piece of the README, each with the example file its first line names. */
function snippets (text: string): Array<{ file: string | undefined, code: string }> {
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map(([, body]) => {
    const marker = /^\/\/ (examples\/[\w./-]+\.ts)\n/.exec(body)
    return { file: marker?.[1], code: marker === null ? body : body.slice(marker[0].length) }
  })
}

function section (name: string): string {
  const start = readme.indexOf(`<!-- section: ${name} -->`)
  const next = readme.indexOf('<!-- section: ', start + 1)
  return readme.slice(start, next === -1 ? undefined : next)
}

t.test('every code example in the writing-flows section names its file in examples/', async (t) => {
  const blocks = snippets(section('writing-flows'))
  t.ok(blocks.length >= 2, 'the section has examples')
  for (const block of blocks) t.type(block.file, 'string', block.code.split('\n')[0])
})

for (const { file, code } of snippets(readme).filter((block) => block.file !== undefined)) {
  t.test(`the README's ${file} is the file, importing the package (and its testing subpath) by name`, async (t) => {
    const source = fs.readFileSync(path.join(root, file as string), 'utf8')
    t.equal(code, source.replace(/from '\.\.\/lib(\/[\w-]+)?'/g, "from 'fastify-ai-flow$1'"))
  })
}

t.test('the README examples run', async (t) => {
  const session = { id: 'readme-call' }
  const run = (machine: AnyStateMachine, events: Array<Record<string, unknown>>): unknown[] => {
    const emitted: unknown[] = []
    const actor = createActor(machine, { input: { session } })
    actor.on('*', (action) => { emitted.push(action) })
    actor.start()
    for (const event of events) actor.send({ session, ...event } as never)
    return emitted
  }

  t.same(run(helloFlow, [{ type: 'session_start' }, { type: 'dtmf_received', digit: '7' }]), [
    { type: 'speak', text: 'Hello! Press any key to end the call.' },
    { type: 'speak', text: 'You pressed 7. Goodbye!' },
    { type: 'hangup' }
  ])
  t.same(run(flow, [{ type: 'session_start' }, { type: 'user_speak', text: 'hi' }]), [
    { type: 'speak', text: 'Hello! What can I do for you?', user_input_timeout_seconds: 8 },
    { type: 'speak', text: 'You said: hi. Anything else?', user_input_timeout_seconds: 8 }
  ])
})
