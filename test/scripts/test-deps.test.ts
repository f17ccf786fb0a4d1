import t, { type Test } from 'tap'
import { spawn, execFileSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/*
 * scripts/test-deps.sh, run before the tests by `npm test`, with Debian's
 * package tools replaced by scripts that write down how they were called
 * (apt-get would install for real). Each run starts with its stdin held
 * open and never written to: a script that waited for input would hang.
 */

const script = path.join(__dirname, '..', '..', 'scripts', 'test-deps.sh')
const redisServer = execFileSync('bash', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim()

interface Machine {
  /** What `id -u` says. */
  uid?: number
  /** sudo: absent, asking for a password (so `sudo -n` fails), or allowed without one. */
  sudo?: 'none' | 'password' | 'allowed'
  aptGet?: 'present' | 'absent' | 'failing'
  redis?: boolean
  chromium?: boolean
}

interface Run { code: number | null, stderr: string, calls: string[] }

async function runOn (t: Test, machine: Machine): Promise<Run> {
  const { uid = 1000, sudo = 'none', aptGet = 'present', redis = false, chromium = false } = machine
  const bin = t.testdir({})
  const log = path.join(bin, 'calls.log')
  const fake = (name: string, body: string): void => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`)
    chmodSync(path.join(bin, name), 0o755)
  }
  fake('id', `echo ${uid}`)
  symlinkSync('/usr/bin/env', path.join(bin, 'env'))
  if (redis) symlinkSync(redisServer, path.join(bin, 'redis-server'))
  if (sudo === 'password') fake('sudo', '[ "$1" = -n ] && exit 1; exit 0')
  if (sudo === 'allowed') fake('sudo', `echo "sudo $*" >> ${log}; [ "$1" = -n ] && shift; "$@"`)
  if (aptGet !== 'absent') {
    fake('apt-get', `echo "apt-get $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND, stdin: $(/bin/cat))" >> ${log}${aptGet === 'failing' ? '; exit 100' : ''}`)
  }
  const env = { PATH: bin, CHROMIUM_PATH: chromium ? process.execPath : path.join(bin, 'no-chromium') }
  const child = spawn('/bin/bash', [script], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  child.stdin.destroy()
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []
  return { code, stderr, calls }
}

t.test('nothing missing: nothing to do, nothing said', async (t) => {
  t.same(await runOn(t, { uid: 0, redis: true, chromium: true }), { code: 0, stderr: '', calls: [] })
})

t.test('as root, what is missing is installed with apt-get, which cannot ask anything', async (t) => {
  const run = await runOn(t, { uid: 0, chromium: true })
  t.equal(run.code, 0)
  t.match(run.stderr, 'Installing what the tests need: redis-server')
  t.same(run.calls, [
    'apt-get update -q (DEBIAN_FRONTEND=noninteractive, stdin: )',
    'apt-get install -y -q --no-install-recommends redis-server (DEBIAN_FRONTEND=noninteractive, stdin: )'
  ])
})

t.test('with sudo allowed without a password, both are installed through sudo -n', async (t) => {
  const run = await runOn(t, { sudo: 'allowed' })
  t.equal(run.code, 0)
  t.same(run.calls, [
    'sudo -n true',
    'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -q',
    'apt-get update -q (DEBIAN_FRONTEND=noninteractive, stdin: )',
    'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server chromium',
    'apt-get install -y -q --no-install-recommends redis-server chromium (DEBIAN_FRONTEND=noninteractive, stdin: )'
  ])
})

t.test('when it may not install, it stops at once with the one command that would', async (t) => {
  const command = 'sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium'
  for (const sudo of ['none', 'password'] as const) {
    const run = await runOn(t, { sudo, redis: true })
    t.equal(run.code, 1, `sudo ${sudo}`)
    t.match(run.stderr, `The tests need what is missing here: chromium. Install it with:\n  ${command}\n`)
    t.same(run.calls, [], 'apt-get was not run')
  }
})

t.test('without apt-get it says what to install; a failing apt-get fails the run', async (t) => {
  const other = await runOn(t, { uid: 0, aptGet: 'absent' })
  t.equal(other.code, 1)
  t.match(other.stderr, 'The tests need what is missing here: redis-server chromium.')
  t.match(other.stderr, 'brew install redis chromium')
  const failing = await runOn(t, { uid: 0, aptGet: 'failing', redis: true })
  t.equal(failing.code, 100)
  t.same(failing.calls, ['apt-get update -q (DEBIAN_FRONTEND=noninteractive, stdin: )'])
})
