import { newerNames, type AiFlowAction } from '../protocol'
import type { Logger } from './logger'

/** How many newer names are remembered: past that, none is warned about. */
const REMEMBERED = 100
const warned = new Set<string>()

/**
 * Says once per process, at `warn`, that an action uses a TTS provider or a
 * barge-in strategy newer than the service version the schemas follow: it
 * passes unchecked, for the service to judge.
 */
export function warnNewerNames (action: AiFlowAction, log: Logger, sessionId: string): void {
  if (!('tts' in action) && !('barge_in' in action)) return
  for (const name of newerNames(action)) {
    if (warned.has(name) || warned.size >= REMEMBERED) continue
    warned.add(name)
    log.warn({ sessionId, newer: name }, `an action uses ${name}, which is newer than the service's v1.11: it passes unchecked, as the service will judge it`)
  }
}
