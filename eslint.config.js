'use strict'

// Lint as the Fastify ecosystem does: neostandard, with its TypeScript support.
module.exports = require('neostandard')({
  ts: true,
  files: ['{lib,test,examples,bench}/**/*.{ts,js,cjs,mjs}', '*.js'],
  ignores: ['dist/**', 'dist-bench/**', 'coverage/**', '.tap/**', 'node_modules/**']
})
