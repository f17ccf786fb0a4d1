/** The fields of events (in `session`) and actions that hold phone numbers. */
const SESSION_FIELDS = ['phone_number', 'from_phone_number', 'to_phone_number'] as const
const ACTION_FIELDS = ['target_phone_number', 'caller_id_number', 'phone_number'] as const

/**
 * Masks every digit of a phone number but the last two: `+4915790000687`
 * becomes `+***********87`. Enough to tell two calls apart in a recording,
 * not enough to call anyone back.
 */
export function maskNumber (value: unknown): unknown {
  if (typeof value !== 'string') return value
  const digits = value.replace(/\D/g, '').length
  let seen = 0
  return value.replace(/\d/g, (digit) => ++seen <= digits - 2 ? '*' : digit)
}

function masked<T extends Record<string, unknown>> (object: T, fields: readonly string[]): T {
  const copy: Record<string, unknown> = { ...object }
  for (const field of fields) if (field in copy) copy[field] = maskNumber(copy[field])
  return copy as T
}

/** A copy of an event with the phone numbers of its session masked. */
export function redactEvent<T extends { session: Record<string, unknown> }> (event: T): T {
  return { ...event, session: masked(event.session, SESSION_FIELDS) }
}

/** A copy of an action with its phone numbers (transfer target, caller id, SMS recipient) masked. */
export function redactAction<T extends Record<string, unknown>> (action: T): T {
  return masked(action, ACTION_FIELDS)
}

/**
 * A copy of a value with every phone number of `session` masked wherever it
 * appears in a string (with or without its `+`): the numbers an author put
 * in a model's instructions, or a model's tool call, as the event's own are.
 */
export function maskNumbersIn<T> (value: T, session: Readonly<Record<string, unknown>> | undefined): T {
  const numbers = SESSION_FIELDS.map((field) => session?.[field])
    .filter((number): number is string => typeof number === 'string')
    .flatMap((number) => [number, number.replace(/\D/g, '')])
    // Short values would mask ordinary digits; longer ones go first, so that a number inside another is masked whole.
    .filter((number) => number.replace(/\D/g, '').length >= 5)
    .sort((a, b) => b.length - a.length)
  if (numbers.length === 0) return value
  let text = JSON.stringify(value)
  for (const number of numbers) text = text.replaceAll(number, maskNumber(number) as string)
  return JSON.parse(text) as T
}
