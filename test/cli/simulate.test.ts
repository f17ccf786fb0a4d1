import path from 'node:path'
import t from 'tap'
import Fastify from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { flow as menuFlow } from '../fixtures/flows/menu'
import { EXIT, runCli } from '../../lib/cli/program'
import { memoryIo } from '../fixtures/cli-io'

const flows = path.join(__dirname, '..', 'fixtures', 'flows')

t.test('typed lines play the call; the output reads as a transcript when the input is no terminal', async (t) => {
  const io = memoryIo(flows, ['hello', '3', '/silence', '/wait 10s', '/state', '1', '/back', '/b stop', '/ended', '2'])
  t.equal(await runCli(['simulate', 'menu.cjs'], io), EXIT.ok)
  t.equal(io.out(), [
    'Calling menu.cjs (inbound). Type what the caller says; /help lists the commands.',
    'call starts (inbound)',
    'assistant: Welcome. Press 1 for sales, 2 to leave.  (waits 5 s for an answer)',
    '  state: menu',
    'caller: hello',
    'assistant: You said: hello. Please press 1 or 2.',
    '  state: menu',
    'caller presses 3',
    'assistant: Please press 1 or 2.',
    '  state: menu',
    'caller stays silent',
    'assistant: Are you still there?',
    '  state: menu',
    '10 s pass (10 s into the call)',
    '  state: menu',
    'state: menu',
    'caller presses 1',
    '[transfers the call to +4930123456, back after 20 s without an answer]',
    '  state: sales',
    'the transfer failed: the call is back',
    'assistant: Nobody answered. Back to the menu.',
    '  state: menu',
    'caller (barging in): stop',
    'assistant: You said: stop. Please press 1 or 2.',
    '  state: menu',
    "the assistant's speech has ended",
    '  state: menu',
    'caller presses 2',
    'assistant: Goodbye.',
    '[hangs up]',
    '  state: bye',
    'the service ends the call',
    'The call has ended.',
    ''
  ].join('\n'))
})

t.test('end of input hangs up; help, mistakes and refused moves are told, the call goes on', async (t) => {
  const io = memoryIo(flows, ['/help', '/dance', '/event {"type":"dtmf_received","digit":"x"}', '', 'still here'])
  t.equal(await runCli(['simulate', 'echo.cjs', '--outbound', '--from', '+4930111', '--to', '+4930222'], io), EXIT.ok)
  const out = io.out()
  t.match(out, /^Calling echo\.cjs \(outbound\)\./)
  t.match(out, /\n {2}\/silence {8}stay silent until the input timeout \(\/s\)\n/)
  t.match(out, /\n\/dance is not a command; \/help lists them\n/)
  t.match(out, /\nevent\/digit must be exactly one of 0-9, \* or #\n/)
  t.match(out, /\ncaller: still here\nassistant: You said still here\n {2}state: \{\}\ncaller hangs up\nThe call has ended\.\n$/)
})

t.test('the session fields given reach the flow', async (t) => {
  const io = memoryIo(flows, ['/e'])
  t.equal(await runCli(['simulate', 'echo.cjs', '--outbound', '--from', '+4930111', '--to', '+4930222'], io), EXIT.ok)
  t.match(io.out(), /\nthe assistant's speech has ended\nassistant: \+4930111 calls \+4930222\n/)
})

t.test('in a terminal: a prompt, no echo of what was typed, colour', async (t) => {
  const io = memoryIo(flows, ['2'], { tty: true })
  t.equal(await runCli(['simulate', 'menu.cjs'], io), EXIT.ok)
  const out = io.out()
  t.match(out, '\u001b[36m> \u001b[39m', 'a cyan prompt')
  t.notMatch(out, /caller presses 2/)
  t.match(out, '\u001b[32mGoodbye.\u001b[39m')
})

t.test('--no-color and NO_COLOR turn colour off even in a terminal; FORCE_COLOR turns it on in a pipe', async (t) => {
  const off = memoryIo(flows, [], { tty: true })
  await runCli(['simulate', 'menu.cjs', '--no-color'], off)
  t.notMatch(off.out(), '\u001b[')
  const env = memoryIo(flows, [], { tty: true, env: { NO_COLOR: '1' } })
  await runCli(['simulate', 'menu.cjs'], env)
  t.notMatch(env.out(), '\u001b[')
  const forced = memoryIo(flows, [], { env: { FORCE_COLOR: '1' } })
  await runCli(['--color', 'simulate', 'menu.cjs'], forced)
  t.match(forced.out(), '\u001b[')
})

t.test('a flow that fails is shown in red, with the fallback the caller got', async (t) => {
  const io = memoryIo(flows, ['x'], { env: { FORCE_COLOR: '1' } })
  const dir = t.testdir({
    'failing.cjs': `const { createMachine } = require(${JSON.stringify(require.resolve('xstate'))})
exports.flow = createMachine({ on: { user_speak: { actions: () => { throw new Error('no idea') } } } })
`
  })
  io.cwd = dir
  t.equal(await runCli(['simulate', 'failing.cjs'], io), EXIT.ok)
  t.match(io.out(), '\u001b[31mthe flow failed: The flow failed: no idea\u001b[39m\n')
  t.match(io.out(), /Sorry, something went wrong on our side\./)
  t.match(io.out(), /\[hangs up\][\s\S]*the service ends the call/)
})

t.test('a webhook URL instead of a module: the call goes to the running server, the token from the environment', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAiFlow, { flow: menuFlow, token: 'secret' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/webhook`
  const io = memoryIo(flows, ['3', '2'], { env: { AI_FLOW_TOKEN: 'secret' } })
  t.equal(await runCli(['simulate', url], io), EXIT.ok)
  t.equal(io.out(), [
    `Calling ${url} (inbound). Type what the caller says; /help lists the commands.`,
    'call starts (inbound)',
    'assistant: Welcome. Press 1 for sales, 2 to leave.  (waits 5 s for an answer)',
    'caller presses 3',
    'assistant: Please press 1 or 2.',
    'caller presses 2',
    'assistant: Goodbye.',
    '[hangs up]',
    'the service ends the call',
    'The call has ended.',
    ''
  ].join('\n'), 'no state lines: a server\'s state cannot be seen')
  const refused = memoryIo(flows, [], { env: { AI_FLOW_TOKEN: 'secret' } })
  t.equal(await runCli(['simulate', url, '--token', 'wrong'], refused), EXIT.error, '--token wins over the environment')
  t.match(refused.err(), /answered 401/)
})

t.test('a WebSocket URL: the call goes over the socket', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAiFlow, { flow: menuFlow, websocket: true })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws`
  const io = memoryIo(flows, ['2'])
  t.equal(await runCli(['simulate', url], io), EXIT.ok)
  t.match(io.out(), /caller presses 2\nassistant: Goodbye\.\n\[hangs up\]\nthe service ends the call\nThe call has ended\.\n$/)
})

t.test('/started: what the flow does on user_speech_started shows at once, and the webhook refuses it', async (t) => {
  // examples/news-line.ts as CommonJS: the same flow, loaded without tsx in this process.
  const io = memoryIo(flows, ['/started', '2'])
  t.equal(await runCli(['simulate', 'news-line.cjs'], io), EXIT.ok)
  t.match(io.out(), [
    'caller starts speaking',
    '[stops what is playing]',
    'assistant: Yes? Press 1 for sports, 2 for the weather.',
    '  state: asking',
    'caller presses 2',
    'assistant: Weather: sunny, 21 degrees.',
    '  state: reading.weather',
    ''
  ].join('\n'))
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAiFlow, { flow: menuFlow })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const webhook = memoryIo(flows, ['/started', '2'])
  t.equal(await runCli(['simulate', `http://127.0.0.1:${(app.server.address() as { port: number }).port}/webhook`], webhook), EXIT.ok)
  t.match(webhook.out(), /\nuser_speech_started comes over the WebSocket only: the service never posts it to a webhook\. .*\ncaller presses 2\nassistant: Goodbye\./)
})
