import { randomUUID } from 'node:crypto'

/*
 * The load our users see: many calls at once, each a session_start, then
 * turns of the caller speaking and the assistant answering, then session_end.
 * Bodies are built from templates, so that the load generator spends its
 * time sending, not building JSON.
 */

/** What callers say, in turn: the demo answers each differently. */
const utterances = ['When are you open?', 'What are the options?', 'Do you sell bicycles?', 'Menu please']

export interface CallMixOptions {
  /** Calls in progress at any time. */
  calls: number
  /** Turns per call: each is user_speak, assistant_speak, assistant_speech_ended. */
  turns: number
}

interface CallState {
  session: string
  id: string
  step: number
}

export interface NextEvent {
  call: CallState
  body: string
  type: string
}

/** A session object as the service sends it, as JSON. */
function sessionJson (id: string): string {
  return JSON.stringify({
    id,
    account_id: 'account-123',
    phone_number: '4921155660',
    direction: 'inbound',
    from_phone_number: '4915790000687',
    to_phone_number: '4921155660'
  })
}

/**
 * Hands out the next event of the call that has waited longest. A call is
 * handed out again only after its previous event was answered, as the
 * service sends a call's events one after another.
 */
export class CallMix {
  readonly #idle: CallState[] = []
  readonly #turns: number
  readonly #length: number
  /** Events answered, by type. */
  readonly answered = new Map<string, number>()
  /** Answers that were not 200 or 204. */
  failures = 0
  callsEnded = 0

  constructor ({ calls, turns }: CallMixOptions) {
    this.#turns = turns
    this.#length = 2 + 3 * turns
    for (let i = 0; i < calls; i++) this.#idle.push(this.#fresh())
  }

  /** Events in one call. */
  get eventsPerCall (): number {
    return this.#length
  }

  #fresh (): CallState {
    const id = randomUUID()
    return { id, session: sessionJson(id), step: 0 }
  }

  /** The next event to send, or undefined when every call has one in flight. */
  next (): NextEvent | undefined {
    const call = this.#idle.shift()
    if (call === undefined) return undefined
    const { type, body } = this.#event(call)
    return { call, type, body }
  }

  /** Records the answer to a call's event and puts the call back in line. */
  answer (event: NextEvent, status: number): void {
    if (status !== 200 && status !== 204) this.failures++
    this.answered.set(event.type, (this.answered.get(event.type) ?? 0) + 1)
    const call = event.call
    call.step++
    if (call.step === this.#length) {
      this.callsEnded++
      this.#idle.push(this.#fresh())
    } else {
      this.#idle.push(call)
    }
  }

  #event (call: CallState): { type: string, body: string } {
    const { step, session } = call
    if (step === 0) return { type: 'session_start', body: `{"type":"session_start","session":${session}}` }
    if (step === this.#length - 1) return { type: 'session_end', body: `{"type":"session_end","session":${session}}` }
    const turn = Math.floor((step - 1) / 3)
    switch ((step - 1) % 3) {
      case 0: return {
        type: 'user_speak',
        body: `{"type":"user_speak","session":${session},"text":${JSON.stringify(utterances[turn % utterances.length])},"barged_in":false}`
      }
      case 1: return {
        type: 'assistant_speak',
        body: `{"type":"assistant_speak","session":${session},"text":"Sure.","duration_ms":2300,"speech_started_at":${Date.now()}}`
      }
      default: return { type: 'assistant_speech_ended', body: `{"type":"assistant_speech_ended","session":${session}}` }
    }
  }

  /** The total of events answered. */
  get total (): number {
    let sum = 0
    for (const n of this.answered.values()) sum += n
    return sum
  }

  get turns (): number {
    return this.#turns
  }
}
