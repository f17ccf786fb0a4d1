/**
 * The event a flow gets when a webhook reply must go out while promise work
 * its event started still runs (`replyTimeout`): what the flow emits on it
 * goes in that reply (a filler line, say), and the work's result leads the
 * next one. Never sent over the WebSocket, where what the work brings goes
 * out whenever it comes. A flow that does not handle it is not changed by it.
 */
export const REPLY_DEADLINE = 'aiflow.reply_deadline'

export interface ReplyDeadlineEvent { type: typeof REPLY_DEADLINE }
