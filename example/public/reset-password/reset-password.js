// The page a reset link opens: /reset-password/?user_id=…&timestamp=…&signature=…
import { API, postJson, tryAgainIn } from '/assets/api.js'
import { clearStatus, setBusy, showStatus } from '/assets/status.js'

const query = new URLSearchParams(window.location.search)
const link = { user_id: query.get('user_id'), timestamp: query.get('timestamp'), signature: query.get('signature') }
// The query is a credential: out of the address bar, and so out of history, bookmarks and screen shares, at once.
window.history.replaceState(null, '', window.location.pathname)

const form = document.getElementById('reset-form')
const password = document.getElementById('password')
const again = document.getElementById('password-confirm')
const status = document.getElementById('status')
const expiry = document.getElementById('link-expiry')

const NEW_LINK = { href: '/forgot-password/', text: 'Ask for a new link' }
const NOT_CHANGED = 'Your password was not changed.'
// What the API says of a link that cannot be used, whether asked on load or when the password is sent.
const LINK_PROBLEMS = new Map([
  ['FST_RESET_PASSWORD_INVALID_SIGNATURE', { title: 'This link does not work', text: 'It may have been used already, or it was not copied whole.' }],
  ['FST_RESET_PASSWORD_SIGNATURE_EXPIRED', { title: 'This link has expired', text: 'Reset links work for a limited time only.' }]
])

// The same shapes the API accepts (lib/schemas.ts), so a cut-off link is reported before anyone types a password.
function wellFormed ({ user_id: userId, timestamp, signature }) {
  return userId !== null && userId.length >= 1 && userId.length <= 64 &&
    timestamp !== null && /^[0-9]{1,12}$/.test(timestamp) &&
    signature !== null && signature.length >= 1 && signature.length <= 128
}

/** A state the link cannot leave: the form goes away and focus moves to what happened. */
function finish (outcome) {
  form.hidden = true
  form.reset()
  showStatus(status, outcome).focus()
}

/** A problem with the password typed: the field is marked, described by the message, and focused. */
function fieldError (field, outcome) {
  showStatus(status, { kind: 'error', ...outcome })
  field.setAttribute('aria-invalid', 'true')
  field.setAttribute('aria-describedby', `status ${field === password ? 'password-rules' : ''}`.trim())
  field.focus()
  field.select()
}

/** A problem that trying again later may solve: the form stays, focus moves to the message. */
function retryLater (outcome) {
  showStatus(status, { kind: 'error', ...outcome }).focus()
}

function clearErrors () {
  clearStatus(status)
  password.removeAttribute('aria-invalid')
  password.setAttribute('aria-describedby', 'password-rules')
  again.removeAttribute('aria-invalid')
  again.removeAttribute('aria-describedby')
}

const mismatch = { title: 'The passwords do not match', text: 'Type the same new password in both fields.' }

function showOutcome ({ status: code, body, retryAfter }) {
  if (code === 200) {
    return finish({ kind: 'ok', title: 'Your password has been changed', text: 'You can now log in with your new password.', link: { href: '/login/', text: 'Log in' } })
  }
  const problem = LINK_PROBLEMS.get(body.code)
  if (problem !== undefined) return finish({ kind: 'error', title: problem.title, text: `${problem.text} ${NOT_CHANGED}`, link: NEW_LINK })
  switch (body.code) {
    case 'FST_RESET_PASSWORD_PASSWORD_MISMATCH':
      return fieldError(again, mismatch)
    case 'FST_RESET_PASSWORD_INVALID_PASSWORD':
      return fieldError(password, {
        title: 'Choose a different password',
        text: 'This password cannot be used:',
        list: (body.reasons ?? []).map((reason) => reason.message)
      })
    case 'FST_RESET_PASSWORD_RATE_LIMITED':
      return retryLater({ title: 'Too many attempts', text: `${NOT_CHANGED} ${tryAgainIn(retryAfter)}` })
    case 'FST_RESET_PASSWORD_UNAVAILABLE':
      return retryLater({ title: 'The service is unavailable', text: `${NOT_CHANGED} Try again in a few minutes.` })
    default:
      return retryLater({ title: 'Something went wrong', text: `${NOT_CHANGED} Check your connection and try again.` })
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearErrors()
  // A quick check to save a round trip; the server checks again and is the one that decides.
  if (password.value !== again.value) return fieldError(again, mismatch)
  setBusy(form, true)
  const result = await postJson(`${API}/reset-password`, { ...link, password: password.value, password_confirm: again.value })
  setBusy(form, false)
  showOutcome(result)
})

/**
 * Asks the API whether the link still works, without using it, so that a used or expired link says so
 * before anyone types a password. Any other answer (rate limit, outage) shows the form: sending it tells.
 */
async function checkLink () {
  const { status: code, body } = await postJson(`${API}/verify-reset-password-link`, link)
  const problem = code === 400 ? LINK_PROBLEMS.get(body.code) : undefined
  if (problem !== undefined) return finish({ kind: 'error', ...problem, link: NEW_LINK })
  if (code === 200) {
    const until = new Date(body.expires_at).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })
    expiry.textContent = `This link works until ${until}.`
    expiry.hidden = false
  }
  form.hidden = false
  password.focus()
}

if (wellFormed(link)) {
  checkLink()
} else {
  finish({ kind: 'error', title: 'This link is incomplete', text: 'Open the link from the e-mail again, or copy the whole of it into the address bar.', link: NEW_LINK })
}
