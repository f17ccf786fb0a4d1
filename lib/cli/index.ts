#!/usr/bin/env node
import { runCli } from './program'

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env
}).then((code) => { process.exitCode = code })
