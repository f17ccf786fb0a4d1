import { KNOWN_BARGE_IN_STRATEGIES, KNOWN_TTS_PROVIDERS } from './configs'
import type { AiFlowAction } from './actions'

const knownProviders: ReadonlySet<string> = new Set(KNOWN_TTS_PROVIDERS)
const knownStrategies: ReadonlySet<string> = new Set(KNOWN_BARGE_IN_STRATEGIES)

/**
 * The TTS providers and barge-in strategies of a valid action that are newer
 * than the service version the package follows (v1.11), as
 * `tts.provider=…` and `barge_in.strategy=…`: they pass unchecked, which is
 * worth saying once.
 */
export function newerNames (action: AiFlowAction): string[] {
  const names: string[] = []
  if ('tts' in action && action.tts !== undefined && !knownProviders.has(action.tts.provider)) names.push(`tts.provider=${action.tts.provider}`)
  if ('barge_in' in action && action.barge_in !== undefined && !knownStrategies.has(action.barge_in.strategy)) names.push(`barge_in.strategy=${action.barge_in.strategy}`)
  return names
}
