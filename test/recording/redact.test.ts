import t from 'tap'
import { maskNumber, redactAction, redactEvent } from '../../lib/recording'

t.test('every digit of a number but the last two is masked', async (t) => {
  t.equal(maskNumber('+4915790000687'), '+***********87')
  t.equal(maskNumber('4921155660'), '********60')
  t.equal(maskNumber('+49 (211) 556-60'), '+** (***) ***-60', 'what is not a digit stays')
  t.equal(maskNumber('12'), '12')
  t.equal(maskNumber('anonymous'), 'anonymous')
  t.equal(maskNumber(undefined), undefined)
})

t.test('an event: the numbers of its session, nothing else, and no change to the original', async (t) => {
  const event = {
    type: 'user_speak',
    text: 'call me on 0151 2345678',
    session: { id: 'a', account_id: 'acc-1', phone_number: '+1234567890', from_phone_number: '+9876543210', to_phone_number: '+1234567890' }
  }
  t.same(redactEvent(event), {
    type: 'user_speak',
    text: 'call me on 0151 2345678',
    session: { id: 'a', account_id: 'acc-1', phone_number: '+********90', from_phone_number: '+********10', to_phone_number: '+********90' }
  })
  t.equal(event.session.from_phone_number, '+9876543210')
  t.same(redactEvent({ type: 'session_start', session: { id: 'b' } }), { type: 'session_start', session: { id: 'b' } }, 'absent fields stay absent')
})

t.test('an action: transfer target and caller id, SMS recipient', async (t) => {
  t.same(redactAction({ type: 'transfer', session_id: 's', target_phone_number: '+4930123456', caller_id_name: 'Acme', caller_id_number: '+4930999888' }),
    { type: 'transfer', session_id: 's', target_phone_number: '+********56', caller_id_name: 'Acme', caller_id_number: '+********88' })
  t.same(redactAction({ type: 'send_sms', session_id: 's', phone_number: '4915112345678', message: 'Your code is 1234' }),
    { type: 'send_sms', session_id: 's', phone_number: '***********78', message: 'Your code is 1234' })
  t.same(redactAction({ type: 'hangup', session_id: 's' }), { type: 'hangup', session_id: 's' })
})
