import type { AgentMessage } from './model'
import type { FunctionCall } from './function-tools'

/**
 * What the agent states of a call remember, in the call's context under
 * `agent`: plain JSON, so it is stored, parked and restored with the call
 * on any instance.
 */
export interface AgentMemory {
  /** The conversation so far, oldest first, as the model is given it. */
  messages: AgentMessage[]
  /**
   * The answer on its way to the caller: its sentences as they were sent,
   * and how many of them have finished playing (`assistant_speech_ended`).
   * Absent once the caller has taken their turn.
   */
  speaking?: { sentences: string[], played: number }
  /** Silences in a row, counted by a state with `onNoInput`: anything said, by the caller or the state, starts again. */
  silences?: number
  /** Rounds of function calls in the caller's turn so far: the caller's next turn starts again. */
  rounds?: number
  /** The function calls running now, for the state to know whether barge-in may stop them. */
  calls?: FunctionCall[]
  /**
   * The id of the agent state that handed the call over, until the agent
   * state it went to has asked its model: that one answers at once, in the
   * same caller turn.
   */
  handover?: string
}

/** What a turn's tools and a handoff leave in the memory: what is said meanwhile keeps it. */
const working = ({ rounds, calls, handover }: AgentMemory): Pick<AgentMemory, 'rounds' | 'calls' | 'handover'> => ({
  ...(rounds === undefined ? {} : { rounds }),
  ...(calls === undefined ? {} : { calls }),
  ...(handover === undefined ? {} : { handover })
})

/**
 * How much of the conversation is kept: the last so many messages (a
 * number), the last messages within a number of messages and of characters,
 * or a function that trims (and may summarise) it.
 */
export type AgentHistory = number | HistoryBounds | ((messages: AgentMessage[]) => AgentMessage[])

/** The newest messages kept: at most `messages` of them, and at most `characters` characters in all (the newest one always). */
export interface HistoryBounds { messages?: number, characters?: number }

/** What the conversation keeps unless told otherwise. */
export const DEFAULT_HISTORY = { messages: 40, characters: 20_000 } as const

/** The characters a message takes in a request: its text, or a tool's name, arguments and result. */
function size (message: AgentMessage): number {
  if (message.role !== 'tool') return message.text.length
  return message.name.length + String(JSON.stringify(message.args)).length + message.result.length
}

/** The memory in a context, or an empty one. */
export function memoryOf (context: unknown): AgentMemory {
  const memory = (context as { agent?: AgentMemory } | undefined)?.agent
  return memory ?? { messages: [] }
}

function bounded (messages: AgentMessage[], history: AgentHistory): AgentMessage[] {
  if (typeof history === 'function') return history(messages)
  const { messages: most = DEFAULT_HISTORY.messages, characters = DEFAULT_HISTORY.characters } = typeof history === 'number' ? { messages: history } : history
  let start = Math.max(0, messages.length - most)
  let total = 0
  for (let index = messages.length - 1; index >= start; index--) {
    total += size(messages[index])
    // The newest message is always kept: a caller turn is already cut to the state's turnLimit.
    if (total > characters && index < messages.length - 1) start = index + 1
  }
  return start === 0 ? messages : messages.slice(start)
}

/**
 * One more sentence sent to the caller: it extends the assistant's answer
 * in progress when that is the conversation's last message, or begins one.
 * After a tool entry (the state entered again after a tool call) or once the
 * answer was trimmed away, a sentence begins a new answer: extending the
 * last message then would overwrite the tool entry.
 */
export function said (memory: AgentMemory, sentence: string, history: AgentHistory): AgentMemory {
  const { speaking } = memory
  const answer = memory.messages.at(-1)
  if (speaking === undefined || answer?.role !== 'assistant') {
    return { ...working(memory), messages: bounded([...memory.messages, { role: 'assistant', text: sentence }], history), speaking: { sentences: [sentence], played: 0 } }
  }
  const messages = [...memory.messages]
  messages[messages.length - 1] = { role: 'assistant', text: `${answer.text} ${sentence}` }
  return { ...working(memory), messages, speaking: { sentences: [...speaking.sentences, sentence], played: speaking.played } }
}

/** One sentence finished playing. */
export function played (memory: AgentMemory): AgentMemory {
  const { speaking } = memory
  if (speaking === undefined) return memory
  return { ...working(memory), messages: memory.messages, speaking: { sentences: speaking.sentences, played: speaking.played + 1 } }
}

/** Whether some of the answer has not finished playing yet. */
export function stillPlaying (memory: AgentMemory): boolean {
  const { speaking } = memory
  return speaking !== undefined && speaking.played < speaking.sentences.length
}

/**
 * The caller cut the answer off: the conversation keeps only what they
 * heard, the sentences that finished playing and the one that was playing
 * (ended with `—` where it was cut), marked `interrupted`, so that the model
 * knows what the caller missed.
 */
export function cutOff (memory: AgentMemory): AgentMemory {
  const { speaking } = memory
  if (speaking === undefined || !stillPlaying(memory)) return { ...working(memory), messages: memory.messages }
  const heard = speaking.sentences.slice(0, speaking.played + 1)
  heard[heard.length - 1] += ' —'
  const messages = [...memory.messages]
  // The answer being spoken is the conversation's last assistant message: tool calls come after their text.
  let index = messages.length - 1
  while (index >= 0 && messages[index].role !== 'assistant') index--
  // A small history trimmed the answer away: there is nothing left to cut.
  if (index < 0) return { ...working(memory), messages }
  messages[index] = { role: 'assistant', text: heard.join(' '), interrupted: true }
  return { ...working(memory), messages }
}

/**
 * The caller's turn: what they said joins the conversation, its first
 * `limit` characters (marked `cut` when it had more). When they barged in,
 * the answer before is cut to what they heard of it; otherwise they heard
 * it all.
 */
export function heard (memory: AgentMemory, text: string, bargedIn: boolean, history: AgentHistory, limit: number): AgentMemory {
  const before = bargedIn ? cutOff(memory).messages : memory.messages
  const turn: AgentMessage = text.length > limit ? { role: 'caller', text: text.slice(0, limit), cut: true } : { role: 'caller', text }
  return { messages: bounded([...before, turn], history) }
}

/** Messages the conversation gets as they are: tool calls, refused or taken. */
export function noted (memory: AgentMemory, added: readonly AgentMessage[], history: AgentHistory): AgentMemory {
  if (added.length === 0) return memory
  return { ...working(memory), messages: bounded([...memory.messages, ...added], history), speaking: memory.speaking }
}
