import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { createActor, emit, setup, type AnyStateMachine } from 'xstate'
import { helloFlow } from '../../examples/hello-flow'
import { flow } from '../../examples/conversation-flow'
import { buildServer } from '../../examples/app'
import * as errors from '../../lib/errors'
import { eventSchemas } from '../../lib/protocol'
import { buildApp, event, post } from '../fixtures/helpers'
import { anchors, asUserSees, blocks, docsPages, readPage, relativeLinks, root, section, snippets } from '../fixtures/markdown'

const readme = readPage('README.md')

// The pages this repository's README work wrote; pages of other topics check their own blocks.
const guides = ['docs/writing-flows.md', 'docs/testing-flows.md', 'docs/fragments.md', 'docs/transports.md',
  'docs/outbound-calls.md', 'docs/session-stores.md', 'docs/examples.md']

t.test('every TypeScript block of the README and the guides names its file in examples/', async (t) => {
  for (const page of ['README.md', ...guides]) {
    const unnamed = snippets(readPage(page)).filter((block) => block.file === undefined)
    t.same(unnamed.map((block) => block.code.split('\n')[0]), [], `${page} shows only example files`)
  }
})

t.test('the README and the guides show examples: writing flows, fragments, stores, transports', async (t) => {
  t.ok(snippets(section(readme, 'writing-flows')).length >= 1, 'the README shows a flow')
  for (const page of ['docs/writing-flows.md', 'docs/fragments.md', 'docs/transports.md', 'docs/outbound-calls.md', 'docs/session-stores.md']) {
    t.ok(snippets(readPage(page)).length >= 1, `${page} shows an example file`)
  }
})

for (const page of ['README.md', ...docsPages()]) {
  for (const { file, code } of snippets(readPage(page)).filter((block) => block.file !== undefined)) {
    t.test(`${page}'s ${file} is the file, importing the package (and its subpaths) by name`, async (t) => {
      t.equal(code, asUserSees(file as string))
    })
  }
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

t.test('the messages the README quotes for a bad digit are the ones the server answers', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  const usage = section(readme, 'usage')
  const table = section(readme, 'errors')
  const asNumber = await post(app, event('dtmf_received', 'call-1', { digit: 1 }))
  t.equal(asNumber.status, 400)
  t.ok(usage.includes(`\`"digit": 1\` is a\n   \`400\`, \`${asNumber.body.message}\``), `usage quotes ${asNumber.body.message}`)
  const notAKey = await post(app, event('dtmf_received', 'call-1', { digit: 'x' }))
  t.equal(notAKey.status, 400)
  t.ok(table.includes(`(\`${notAKey.body.message}\`)`), `the errors table quotes ${notAKey.body.message}`)
})

t.test('the message the errors table quotes for an invalid action is the one logged', async (t) => {
  const broken = setup({}).createMachine({ on: { session_start: { actions: emit({ type: 'speak' } as never) } } })
  const { app, logs } = await buildApp({ flow: broken })
  t.teardown(() => app.close())
  await post(app, event('session_start'))
  const logged = logs.find((line) => line.err?.code === 'FST_AIFLOW_INVALID_ACTION')
  t.ok(logged, 'the invalid action is logged')
  const message = String(logged?.err.message).replace('The flow emitted an invalid action: ', '')
  t.ok(section(readme, 'errors').includes(`(\`${message}\`)`), `the errors table quotes ${message}`)
})

t.test('the errors table lists every error code the plugin raises, and no other', async (t) => {
  type ErrorClass = new () => Error & { code: string }
  const exported: unknown[] = Object.values(errors)
  const classes = exported.filter((value): value is ErrorClass => typeof value === 'function' && value.prototype instanceof Error)
  const raised = classes.map((ErrorClass) => new ErrorClass().code).sort()
  const listed = [...section(readme, 'errors').matchAll(/^\| `(FST_AIFLOW_\w+)` \|/gm)].map((match) => match[1]).sort()
  t.ok(raised.length >= 20, 'the codes were found')
  t.same(listed, raised)
})

t.test('the README links every page in docs/', async (t) => {
  for (const page of docsPages()) t.ok(readme.includes(`](${page})`), `${page} is linked`)
})

t.test('the links of the README and the guides lead to files and headings that exist', async (t) => {
  for (const page of ['README.md', ...guides]) {
    const dir = path.dirname(page)
    for (const link of relativeLinks(readPage(page))) {
      const [file, anchor] = link.split('#')
      const target = file === '' ? page : path.normalize(path.join(dir, file))
      // Pages other work adds to docs/ are linked ahead of the merge that brings them.
      if (!fs.existsSync(path.join(root, target)) && /^docs\/[\w-]+\.md$/.test(target) && !guides.includes(target)) continue
      t.ok(fs.existsSync(path.join(root, target)), `${page}: ${link} leads to a file`)
      if (anchor !== undefined) t.ok(anchors(readPage(target)).has(anchor), `${page}: ${link} leads to a heading`)
    }
  }
})

t.test('the Install section installs from a tarball and names the Node.js versions the package supports, as .ci/run tests them', async (t) => {
  const { engines, version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string }, version: string }
  const oldest = /^>=(\d+)$/.exec(engines.node)?.[1]
  t.ok(oldest !== undefined, `engines.node is a lower bound: ${engines.node}`)
  t.match(section(readme, 'install'), new RegExp(`Requires Node\\.js ${oldest as string} or later`))
  const [install] = blocks(section(readme, 'install'), 'sh')
  t.match(install, /\nnpm install && npm pack .*\n.*npm install \.\.\/fastify-ai-flow\/fastify-ai-flow-(\S+)\.tgz fastify xstate\n/, 'installed from a tarball packed in a clone')
  t.equal(/fastify-ai-flow-(\S+)\.tgz/.exec(install)?.[1], version, "the tarball's name has the package's version")
  const ci = /node_majors="\$\{CI_NODE_MAJORS:-([\d ]+)\}"/.exec(fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8'))?.[1]
  t.ok(ci !== undefined, '.ci/run names the Node majors it tests on')
  for (const major of (ci as string).split(' ')) t.match(section(readme, 'install'), new RegExp(`CI runs\\s+every test on Node ${major}\\b`), `the README says CI tests Node ${major}, as .ci/run does`)
  t.match(section(readme, 'install'), /Supported are the maintained majors, Node\.js 22 and 24/)
  t.match(section(readme, 'install'), /Node 20 is end-of-life: it runs, with npm's `EBADENGINE` warning, but is not supported\./)
})

t.test("docs/writing-flows.md's lifecycle diagram names the conversation flow's states and the events it handles", async (t) => {
  const [diagram] = blocks(readPage('docs/writing-flows.md'), 'mermaid')
  const edges = [...diagram.matchAll(/^ {2}(\S+) --> (\S+?)(?::(.*))?$/gm)]
  t.ok(edges.length >= 8, 'the diagram has its transitions')
  const drawn = new Set(edges.flatMap(([, from, to]) => [from, to]).filter((state) => state !== '[*]'))
  t.same([...drawn].sort(), Object.keys(flow.root.states).sort(), 'the states are the machine\'s')
  const handled = new Set(Object.values(flow.root.states).flatMap((state) => Object.keys(state.config.on ?? {})))
  for (const type of Object.keys(flow.config.on ?? {})) handled.add(type)
  const named = edges.flatMap(([, , , label]) => Object.keys(eventSchemas).filter((type) => label?.includes(type)))
  t.ok(named.length >= 6, 'the labels name events')
  for (const type of named) t.ok(handled.has(type), `the flow handles ${type}`)
})
