import path from 'node:path'
import t from 'tap'
import { EXIT, runCli } from '../../lib/cli/program'
import { memoryIo } from '../fixtures/cli-io'

const flows = path.join(__dirname, '..', 'fixtures', 'flows')

t.test('diagram draws a fragment as one box with its exits; --expand draws its inside', async (t) => {
  const collapsed = memoryIo(flows)
  t.equal(await runCli(['diagram', 'fragment.cjs'], collapsed), EXIT.ok)
  t.match(collapsed.out(), /\n {2}state "question" as question\n {2}question : prompt\n/)
  t.match(collapsed.out(), /\n {2}question --> thanks : answered\n {2}question --> bye : no input #215;2\n/)
  t.notMatch(collapsed.out(), /reprompt1/)
  const expanded = memoryIo(flows)
  t.equal(await runCli(['diagram', 'fragment.cjs', '--expand'], expanded), EXIT.ok)
  t.match(expanded.out(), /\n {2}state "question" as question \{\n/)
  t.match(expanded.out(), /\n {4}question_listening --> question_reprompt1 : user_input_timeout\n/)
  t.match(expanded.out(), /\n {2}question --> bye : no input #215;2\n/, 'the exits are labelled the same')
})

t.test('--help tells of --expand', async (t) => {
  const io = memoryIo(flows)
  t.equal(await runCli(['diagram', '--help'], io), EXIT.ok)
  t.match(io.out(), /--expand +draw the inside of fragments/)
})
