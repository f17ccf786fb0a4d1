'use strict'

// Lint as the Fastify ecosystem does: neostandard, with its TypeScript support.
module.exports = require('neostandard')({
  ts: true,
  files: ['lib/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts', '*.js'],
  ignores: ['dist/**', 'dist-bench/**', 'coverage/**', '.tap/**', 'node_modules/**']
})
